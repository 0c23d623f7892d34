"""The catalog kinds ``ctdl convert --kind`` accepts: a module of its own so the command line can offer them
without importing the readers."""

KINDS = ("auto", "credentials", "learning-opportunities", "organizations", "competencies", "case", "rsd", "esco")

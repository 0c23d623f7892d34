"""ctdl_tools: catalogs → CTDL JSON-LD → SHACL validation → Credential Registry → linked LERs."""

__version__ = "0.1.0"

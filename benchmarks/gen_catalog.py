"""Write a deterministic synthetic credentials catalog (CE bulk-upload CSV) of any size.

    python benchmarks/gen_catalog.py 100000 /tmp/creds-100k.csv [--seed 1]

The columns are exactly those of ``samples/college/credentials.csv``. Rows vary the credential type,
status, languages, durations, CIP/SOC codes (drawn from a small pool of real, matching CIP 2020 / SOC 2018
pairs), costs and condition profiles, with description lengths like real catalogs (about 110-500
characters, median 300). Every row names the same owning organization (``OWNER``) and has a unique External
Identifier and Subject Webpage. Rows refer only to organizations, by CTID or ``Name~URL`` (no learning
opportunities, no competency frameworks), so every row converts on its own, with no warnings.

The same N and seed always give the same bytes (Python's ``random.Random`` is stable across versions for
the calls used here). 100k rows take a few seconds.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from pathlib import Path

HEADER = [
    "External Identifier", "Credential Name", "Credential Type", "Description", "Subject Webpage",
    "Owned By", "Offered By", "Credential Status", "Language", "Keywords", "Audience Level Type",
    "Estimated Duration", "CIP List", "SOC List", "Date Effective", "Version Identifier",
    "Cost: Description", "Cost: Currency Type", "Cost: Types List", "Cost: Price", "Cost: Details Url",
    "Condition Profile: Description", "Condition Profile: Credit Unit Value",
    "Condition Profile: Credit Unit Type", "Condition Profile: Required Competency Framework",
    "Condition Profile: Target Learning Opportunity", "Accredited By", "In Catalog",
]

OWNER = "ce-6391869b-c421-4c33-ab98-8787f42a5b57"       # the synthetic provider (fixed)
ACCREDITOR = "ce-bcdc348f-f8f1-4aaa-aaf8-01e1375c8e2a"  # a QA organization outside the file (fixed)
WEB = "https://www.synthetic-college.example.edu"

# (field, CIP 2020, SOC 2018 list, keywords) — real codes that belong together.
FIELDS = [
    ("Welding Technology", "48.0508", "51-4121", "welding|fabrication|SMAW|GMAW"),
    ("Registered Nursing", "51.3801", "29-1141", "nursing|RN|NCLEX-RN|patient care"),
    ("Practical Nursing", "51.3901", "29-2061", "LPN|practical nursing|NCLEX-PN"),
    ("Nurse Aide", "51.3902", "31-1131", "nurse aide|STNA|long-term care"),
    ("Information Technology Support", "11.1006", "15-1232|15-1231", "IT support|help desk|CompTIA A+"),
    ("Cybersecurity", "11.1003", "15-1212.00", "cybersecurity|Security+|network defense"),
    ("Accounting", "52.0302", "43-3031|13-2011", "accounting|bookkeeping|QuickBooks"),
    ("HVAC-R Technology", "47.0201", "49-9021", "HVAC|refrigeration|EPA 608"),
    ("Mechatronics", "15.0403", "17-3024|49-9041", "mechatronics|PLC|automation"),
    ("CNC Machining", "48.0510", "51-9161|51-4041", "CNC|machining|G-code"),
    ("Early Childhood Education", "13.1210", "25-2011|39-9011", "early childhood|preschool|CDA"),
    ("Medical Assisting", "51.0801", "31-9092", "medical assistant|CCMA|clinical"),
    ("Phlebotomy", "51.1009", "31-9097", "phlebotomy|venipuncture"),
    ("Automotive Technology", "47.0604", "49-3023", "automotive|ASE|brakes"),
    ("Commercial Driving", "49.0205", "53-3032", "CDL|truck driving|ELDT"),
    ("Electrical Technology", "46.0302", "47-2111", "electrician|NEC|wiring"),
    ("Industrial Maintenance", "47.0303", "49-9041|49-9071", "industrial maintenance|millwright"),
    ("Pharmacy Technology", "51.0805", "29-2052", "pharmacy technician|PTCB"),
    ("Business Administration", "52.0201", "", "business|management|transfer"),
    ("Agribusiness", "01.0101", "11-9013", "agribusiness|farm management"),
]

# (type label as written, weight, name pattern, duration choices, credit choices, credit unit, level)
TYPES = [
    ("Associate of Applied Science Degree", 18, "{f}, A.A.S.", ["2 years"], [60, 61, 62, 64, 68],
     "Credit Hour", "Associates Degree Level|Lower Division Level"),
    ("Associate of Arts Degree", 4, "{f} Transfer, A.A.", ["2 years"], [60, 62], "Semester Hour",
     "Associates Degree Level"),
    ("Associate of Science Degree", 4, "{f}, A.S.", ["2 years"], [60, 64], "Semester Hour",
     "Associates Degree Level|Lower Division Level"),
    ("Certificate", 30, "{f} Certificate", ["1 year", "32 weeks", "16 weeks", "12 months~18 months"],
     [9, 12, 16, 17, 24, 30], "Credit Hour", "Post-Secondary Level"),
    ("Certificate of Completion", 10, "{f} Training", ["75 hours", "120 hours", "160 hours", "8 weeks"],
     [75, 120, 160], "Contact Hour", "Beginner Level"),
    ("Apprenticeship Certificate", 5, "{f} Apprenticeship", ["4 years", "3 years"], [12, 16, 20],
     "Credit Hour", "Post-Secondary Level|Professional Level"),
    ("Micro-Credential", 12, "{f} Micro-Credential", ["8 weeks", "16 weeks"], [3, 4], "Semester Hour",
     "Beginner Level"),
    ("Digital Badge", 12, "{f} Skills Badge", ["12 hours", "40 hours"], [1.2, 2.4, 4],
     "Continuing Education Unit", "Beginner Level"),
    ("Certification", 5, "Certified {f} Technician", [""], [], "", "Professional Level"),
]
TYPE_WEIGHTS = [t[1] for t in TYPES]
STATUSES = ["Active"] * 46 + ["Ceasing", "Deprecated", "Teach Out", "Suspended"]
LANGUAGES = ["English"] * 9 + ["English|Spanish"]
COST_SETS = [
    ("Tuition|Technology Fee|Learning Resource", 3),
    ("Tuition|Program Specific Fee", 2),
    ("Tuition", 1),
    ("Tuition|Consumables|Equipment", 3),
    ("Tuition|Background Check", 2),
]
OPENINGS = [
    "Prepares students for entry-level careers in {lf}, combining classroom instruction with hands-on "
    "practice in the college's labs.",
    "Gives working adults and career changers the skills employers in {lf} ask for, with day, evening and "
    "online sections.",
    "Builds the technical foundation for jobs in {lf} and prepares students for the related industry "
    "certification exams.",
    "A stackable credential in {lf} designed with regional employers, whose credits apply toward further "
    "study.",
]
MIDDLES = [
    "Students learn industry-standard tools, safety practices and troubleshooting methods.",
    "Coursework covers core concepts, applied projects and a supervised capstone experience.",
    "Instructors with industry experience teach in small sections with individual feedback.",
    "Graduates can continue into the related associate degree without losing credit.",
    "The program includes a work-based learning placement with a local employer.",
    "Advisors help each student plan a schedule around work and family commitments.",
]
CLOSINGS = [
    "",
    " Financial aid and workforce grants are available to eligible students.",
    " Classes start each fall and spring semester.",
    " Completers are prepared to sit for the related state or national licensure examination.",
]


def slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-").replace("--", "-")


def row(i: int, rng: random.Random) -> list[str]:
    field, cip, soc, keywords = FIELDS[rng.randrange(len(FIELDS))]
    ctype, _w, pattern, durations, credit_choices, unit, level = rng.choices(TYPES, TYPE_WEIGHTS)[0]
    ext_id = f"SYN-{i:07d}"
    name = pattern.format(f=field)
    if rng.random() < 0.3:
        variant = rng.choice(["Evening", "Online", "Weekend", "Accelerated", "Bilingual"])
        name += f" ({variant} Option {i % 97 + 1})"
    sentences = [rng.choice(OPENINGS).format(lf=field.lower())]
    sentences += rng.sample(MIDDLES, rng.randint(0, 3))
    description = " ".join(sentences) + rng.choice(CLOSINGS)
    page = f"{WEB}/programs/{slug(field)}/{ext_id.lower()}/"

    credits = rng.choice(credit_choices) if credit_choices else None
    cost_cols = [""] * 5
    if rng.random() < 0.8:
        types, n = rng.choice(COST_SETS)
        base = (credits or 10) * (165 if unit in ("Credit Hour", "Semester Hour") else 12)
        prices = [str(int(base))] + [str(rng.randrange(40, 1500, 5)) for _ in range(n - 1)]
        cost_cols = [f"Estimated in-district cost of the {name} for the 2025-2026 academic year.", "USD",
                     types, "|".join(prices), f"{WEB}/tuition-and-fees/"]
    if credits is not None:
        condition = [f"Complete the required {credits:g} {unit.lower()}s with a grade of C or better.",
                     f"{credits:g}", unit]
    else:
        condition = ["Pass the written examination and the hands-on performance assessment.", "", ""]
    accredited = ""
    if ctype.startswith("Associate") or ctype == "Certificate":
        accredited = ACCREDITOR if rng.random() < 0.7 else "Regional Accreditation Council~https://www.rac.example.org/"
    return [
        ext_id, name, ctype, description, page, OWNER, OWNER, rng.choice(STATUSES), rng.choice(LANGUAGES),
        keywords, level, rng.choice(durations), cip, soc, "2025-08-15", "2025-2026 Catalog", *cost_cols,
        *condition, "", "", accredited, f"{WEB}/catalog/2025-2026/{ext_id.lower()}/",
    ]


def generate(n: int, out: Path, seed: int = 1) -> Path:
    """Write ``n`` credential rows to ``out`` (CSV, UTF-8); the same n and seed give the same bytes."""
    rng = random.Random(seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(row(i, rng) for i in range(1, n + 1))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a deterministic synthetic credentials CSV.")
    parser.add_argument("n", type=int, help="number of credential rows")
    parser.add_argument("out", type=Path, help="CSV file to write")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    args = parser.parse_args(argv)
    if args.n < 0:
        parser.error("n must be >= 0")
    generate(args.n, args.out, args.seed)
    print(f"wrote {args.n} credentials to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

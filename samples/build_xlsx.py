"""Build samples/catalog.xlsx from the CSVs in samples/college/, laid out like Credential Engine's templates.

The workbook is the same catalog as the CSVs (credentials, learning opportunities, organizations) in the
shape providers actually send: one sheet per bulk-upload template, the header in row 1, a
Required/Optional/Recommended row and an instructions row under it, data from row 4, and trailing
``ADD NEW … HERE`` padding rows. Numbers, dates and TRUE are real Excel numbers, dates and booleans, as
they are after someone types them into Excel.

Run from anywhere (needs openpyxl)::

    python samples/build_xlsx.py            # writes samples/catalog.xlsx
    python samples/build_xlsx.py --check    # exit 1 if samples/catalog.xlsx is not what the CSVs give

The output is byte-for-byte reproducible: fixed document properties and timestamps, fixed zip entry
dates, so re-running it on unchanged CSVs changes nothing and `git diff` stays quiet.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import re
import sys
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

HERE = Path(__file__).resolve().parent
COLLEGE = HERE / "college"
OUTPUT = HERE / "catalog.xlsx"
FIXED_TIME = dt.datetime(2025, 8, 1, 9, 0, 0)
ZIP_TIME = (2025, 8, 1, 9, 0, 0)

REQ, OPT, REC, COND = "Required", "Optional", "Recommended", "Conditional"

# Per column: (row 2 requirement, row 3 instruction). Every instruction starts with a word CE's templates
# use (Enter/Select/Example/List/Provide/If/Use) so readers can tell the guidance rows from data.
GUIDANCE: dict[str, tuple[str, str]] = {
    # shared
    "External Identifier": (REQ, "Enter your own unique ID for this record (updates find it by this ID)."),
    "CTID": (OPT, "Enter the CTID if the record is already published; leave blank for new records."),
    "Description": (REQ, "Enter 1-3 sentences (at least 15 characters) describing the record."),
    "Subject Webpage": (REQ, "Enter the public web page about this record (https://...)."),
    "Owned By": (REQ, "Enter the CTID of the owning organization."),
    "Offered By": (REC, "Enter the CTID of the offering organization, or Name~https://webpage."),
    "Language": (REQ, "Enter language names separated by |, e.g. English|Spanish."),
    "Keywords": (REC, "List keywords separated by |."),
    "Estimated Duration": (REC, "Enter a number and unit, e.g. 2 years or 120 hours; a range as min~max."),
    "CIP List": (REC, "List CIP 2020 codes separated by |, e.g. 48.0508."),
    "In Catalog": (OPT, "Enter the URL of this record's page in your online catalog."),
    "Cost: Description": (COND, "If you enter costs: describe what the cost covers."),
    "Cost: Currency Type": (COND, "If you enter costs: enter the currency code, e.g. USD."),
    "Cost: Types List": (REC, "List cost types separated by |, e.g. Tuition|Technology Fee."),
    "Cost: Price": (REC, "List one price per cost type, in the same order, e.g. 9900|900."),
    "Cost: Details Url": (COND, "If you enter costs: enter the page that explains them."),
    # credentials
    "Credential Name": (REQ, "Enter the name as it appears in your catalog."),
    "Credential Type": (REQ, "Select a CTDL credential type, e.g. Certificate, Associate of Arts Degree."),
    "Credential Status": (REQ, "Select Active, Ceasing, Deprecated, Probationary, Suspended or Teach Out."),
    "Audience Level Type": (REC, "List audience levels separated by |, e.g. Associates Degree Level."),
    "SOC List": (REC, "List SOC 2018 or O*NET-SOC codes separated by |, e.g. 29-2061."),
    "Date Effective": (OPT, "Enter the date the credential takes effect, e.g. 2025-08-15."),
    "Version Identifier": (OPT, "Enter the catalog version, e.g. 2025-2026 Catalog."),
    "Condition Profile: Description": (REC, "Enter what a person must do to earn the credential."),
    "Condition Profile: Credit Unit Value": (OPT, "Enter the number of credits required, e.g. 60."),
    "Condition Profile: Credit Unit Type": (OPT, "Select a credit unit, e.g. Semester Hour."),
    "Condition Profile: Required Competency Framework": (OPT, "List framework CTIDs separated by |."),
    "Condition Profile: Target Learning Opportunity": (
        OPT, "List External Identifiers of required programs or courses, separated by |."),
    "Accredited By": (REC, "Enter the accrediting organization's CTID, or Name~https://webpage."),
    # learning opportunities
    "Learning Type": (REQ, "Select Course or Learning Program."),
    "Learning Opportunity Name": (REQ, "Enter the course or program name."),
    "Coded Notation": (COND, "Enter the course code, e.g. WLD 110 (required for courses)."),
    "Life Cycle Status Type": (REQ, "Select Active, Ceasing, Ceased, Developing, Suspended or Teach Out."),
    "Is Non-Credit": (OPT, "Enter TRUE for non-credit courses; leave blank otherwise."),
    "Credit Unit Value": (REC, "Enter the number of credits, e.g. 3."),
    "Credit Unit Type": (REC, "Select a credit unit, e.g. Semester Hour or Contact Hour."),
    "Delivery Type": (REC, "Select In-Person Only, Online Only or Blended Delivery (several: use |)."),
    "Learning Method Type": (REC, "List learning methods separated by |, e.g. Lecture|Laboratory."),
    "Teaches Competency Framework": (REC, "List CTIDs of the competency frameworks taught, separated by |."),
    "Has Part": (OPT, "List External Identifiers of the courses in this program, separated by |."),
    "ConditionProfile: Name": (OPT, "Enter a name for the requirement, e.g. Prerequisites."),
    "ConditionProfile: Description": (OPT, "Enter the requirement as your catalog states it."),
    "ConditionProfile: Target Learning Opportunity": (
        OPT, "List External Identifiers of prerequisite courses, separated by |."),
    # organizations
    "Organization Type": (REQ, "Select CredentialOrganization or QACredentialOrganization."),
    "Organization Name": (REQ, "Enter the organization's legal or public name."),
    "Agent Type": (REQ, "List organization types separated by |, e.g. Two-Year College."),
    "Agent Sector Type": (REQ, "Select Public, Private Not-For-Profit or Private For-Profit."),
    "Email": (COND, "Provide an email or a street address (at least one is required)."),
    "Phone": (OPT, "Enter the main phone number."),
    "Street Address": (COND, "Provide a street address or an email (at least one is required)."),
    "City": (OPT, "Enter the city."),
    "Region": (OPT, "Enter the state, e.g. OH."),
    "Postal Code": (OPT, "Enter the ZIP code."),
    "Country": (OPT, "Enter the country, e.g. United States."),
}

# (sheet title, CSV file, padding text, {column: list of allowed values for a drop-down})
SHEETS = [
    ("Credential Data - MAKE UPDATES", "credentials.csv", "ADD NEW CREDENTIAL HERE",
     {"Credential Status": ["Active", "Ceasing", "Deprecated", "Probationary", "Suspended", "Teach Out"]}),
    ("Learning Opportunity Data", "learning_opportunities.csv", "ADD NEW LEARNING OPPORTUNITY HERE",
     {"Learning Type": ["Course", "Learning Program", "Learning Opportunity"],
      "Life Cycle Status Type": ["Active", "Ceasing", "Ceased", "Developing", "Suspended", "Teach Out"]}),
    ("Organization Data", "organization.csv", "ADD NEW ORGANIZATION HERE",
     {"Organization Type": ["CredentialOrganization", "QACredentialOrganization"],
      "Agent Sector Type": ["Public", "Private Not-For-Profit", "Private For-Profit"]}),
]
PADDING_ROWS = 3
NUMBER_COLUMNS = {"Credit Unit Value", "Condition Profile: Credit Unit Value", "Cost: Price"}
DATE_COLUMNS = {"Date Effective"}
BOOLEAN_COLUMNS = {"Is Non-Credit"}
_NUMBER = re.compile(r"^\d+(\.\d+)?$")

INSTRUCTIONS = [
    "Riverbend Community College - catalog bulk upload (fictional sample data)",
    "",
    "Each data sheet follows a Credential Engine bulk-upload template:",
    "  row 1 holds the column names, row 2 says whether a column is Required, Recommended, Conditional",
    "  or Optional, row 3 explains what to enter, and records start in row 4.",
    "Separate several values in one cell with | (for example English|Spanish or Tuition|Technology Fee).",
    "Refer to an organization that has no CTID as Name~https://webpage.",
    "Convert with:  ctdl convert samples/catalog.xlsx samples/college/skills.csv -o out/xlsx",
]

HEADER_FILL = PatternFill("solid", start_color="1F4E78", end_color="1F4E78")
REQUIRED_FILL = PatternFill("solid", start_color="FCE4D6", end_color="FCE4D6")
GUIDE_FILL = PatternFill("solid", start_color="F2F2F2", end_color="F2F2F2")
PAD_FILL = PatternFill("solid", start_color="E2EFDA", end_color="E2EFDA")


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def excel_value(column: str, text: str) -> object:
    """The cell value Excel would hold after someone typed ``text`` into ``column``."""
    if not text:
        return None
    if column in NUMBER_COLUMNS and _NUMBER.match(text):
        return float(text) if "." in text else int(text)
    if column in DATE_COLUMNS:
        return dt.datetime.strptime(text, "%Y-%m-%d")
    if column in BOOLEAN_COLUMNS and text.upper() in ("TRUE", "FALSE"):
        return text.upper() == "TRUE"
    return text


def add_sheet(workbook: openpyxl.Workbook, title: str, csv_name: str, padding: str,
              choices: dict[str, list[str]]) -> None:
    header, rows = read_csv(COLLEGE / csv_name)
    sheet = workbook.create_sheet(title)
    sheet.append(header)
    sheet.append([GUIDANCE[name][0] if name in GUIDANCE else OPT for name in header])
    sheet.append([GUIDANCE[name][1] if name in GUIDANCE else "Enter a value if you have one."
                  for name in header])
    for row in rows:
        sheet.append([excel_value(name, text) for name, text in zip(header, row, strict=True)])
    for _ in range(PADDING_ROWS):
        sheet.append([padding])
    last_data = 3 + len(rows)
    for index, name in enumerate(header, start=1):
        letter = get_column_letter(index)
        head = sheet.cell(row=1, column=index)
        head.font, head.fill = Font(bold=True, color="FFFFFF"), HEADER_FILL
        head.alignment = Alignment(wrap_text=True, vertical="center")
        need = sheet.cell(row=2, column=index)
        need.font = Font(bold=need.value == REQ, italic=True)
        need.fill = REQUIRED_FILL if need.value == REQ else GUIDE_FILL
        hint = sheet.cell(row=3, column=index)
        hint.font, hint.fill = Font(italic=True, color="595959", size=9), GUIDE_FILL
        hint.alignment = Alignment(wrap_text=True, vertical="top")
        longest = max([len(name)] + [len(str(r[index - 1])) for r in rows[:50]])
        sheet.column_dimensions[letter].width = max(14, min(60, longest * 0.9))
        if name in DATE_COLUMNS:
            for (cell,) in sheet.iter_rows(min_row=4, max_row=last_data, min_col=index, max_col=index):
                cell.number_format = "yyyy-mm-dd"
        if name in choices:
            rule = DataValidation(type="list", formula1='"' + ",".join(choices[name]) + '"', allow_blank=True)
            rule.add(f"{letter}4:{letter}{last_data + PADDING_ROWS + 200}")
            sheet.add_data_validation(rule)
    for row in range(last_data + 1, last_data + PADDING_ROWS + 1):
        sheet.cell(row=row, column=1).fill = PAD_FILL
        sheet.cell(row=row, column=1).font = Font(bold=True, color="375623")
    sheet.row_dimensions[3].height = 48
    sheet.freeze_panes = "B4"


def build() -> bytes:
    workbook = openpyxl.Workbook()
    intro = workbook.active
    intro.title = "Instructions"
    for line in INSTRUCTIONS:
        intro.append([line])
    intro["A1"].font = Font(bold=True, size=14)
    intro.column_dimensions["A"].width = 110
    for title, csv_name, padding, choices in SHEETS:
        add_sheet(workbook, title, csv_name, padding, choices)
    workbook.active = 1
    props = workbook.properties
    props.creator = props.lastModifiedBy = "Riverbend Community College (sample data)"
    props.title = "Riverbend Community College catalog - Credential Engine bulk upload"
    props.created = props.modified = FIXED_TIME
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _normalise_zip(buffer.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Fixed entry dates and the fixed modified time openpyxl overwrites on save: reproducible bytes."""
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                 rb"\g<1>" + stamp + rb"\g<2>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, content)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT,
                        help="workbook to write (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="only compare with the existing workbook")
    args = parser.parse_args(argv)
    data = build()
    if args.check:
        current = args.output.read_bytes() if args.output.exists() else b""
        if current != data:
            print(f"{args.output} is out of date: run python samples/build_xlsx.py", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.write_bytes(data)
    print(f"wrote {args.output} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

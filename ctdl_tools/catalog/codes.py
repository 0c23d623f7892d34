"""CIP, SOC / O*NET-SOC and NAICS codes as written in catalog cells: read, repair, check, title.

Codes in real catalogs are dirty (reference/catalogs.md §0.3, §0.8, §3.4): Excel drops the leading zero of
CIP ``01.0101`` and the trailing zeros of ``11.0100``; Credential Engine's own sample writes CIP ``49-0205``;
TPOT asks for O*NET codes without dash or dot; old catalogs still carry SOC 2010 codes (``15-1122.00``).

Each normaliser returns the canonical :class:`Code`, and says in ``Code.warnings`` what it repaired or could
not confirm (a code is never changed silently), or raises ``ValueError`` when the text is no code of that
kind at all. A code may be followed by its title (``49.0205 - Truck and Bus Driver…``); the title is kept in
``Code.written_title`` and checked against the official one.

Lists (``ctdl_tools/catalog/data``, see SOURCES.md): NCES CIP 2020, BLS SOC 2018, O*NET-SOC 2019. Each is
read on first use, once; results are cached per input string, as a catalog repeats few codes many times.
There is no NAICS list: NAICS codes are checked for form and sector only.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

CIP, SOC, ONET, NAICS = "cip", "soc", "onet", "naics"
CIP_FILE = "codes_cip2020_titles_ucop.csv"
SOC_FILE = "codes_soc2018_hierarchy_osmt_BLS-Import.csv"
ONET_FILE = "codes_onet-soc_osmt_oNet-Import.csv"
_DATA = "ctdl_tools.catalog.data"
_CACHE_SIZE = 16384  # distinct cell texts remembered; a catalog has far fewer distinct codes

# Hyphen, non-breaking hyphen, figure dash, en dash, em dash…: word processors swap them for "-".
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_SEPARATORS = ".," + _DASHES
_DASH_SET, _SEPARATOR_SET = re.escape(_DASHES), re.escape(_SEPARATORS)  # for [...]: "-" must be escaped


@dataclass(frozen=True)
class Code:
    system: str          # "cip" | "soc" | "onet" | "naics"
    code: str            # canonical: CIP "49.0205", SOC "53-3032", O*NET-SOC "15-1252.00", NAICS "611519"
    title: str | None    # official title from the bundled list, when known
    warnings: tuple[str, ...] = ()   # repairs / unknown codes, fit to print after a cell location
    written_title: str | None = None  # text the cell gave after the code ("49.0205 Truck Driving"), if any


# --- the bundled lists -------------------------------------------------------------------------------------
def _rows(filename: str) -> list[dict[str, str]]:
    with resources.files(_DATA).joinpath(filename).open("r", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def _cip_titles() -> dict[str, str | None]:
    """CIP 2020 code → title without NCES's closing period; ``None`` for a reserved code."""
    titles: dict[str, str | None] = {}
    for row in _rows(CIP_FILE):
        title = row["CIP_Title"].strip()
        titles[row["CIP_Code"].strip()] = None if title == "Reserved." else title.removesuffix(".")
    return titles


@cache
def _soc_titles() -> dict[str, str]:
    """SOC 2018 code → title, for major, minor, broad and detailed groups alike."""
    return {row["SOC Code"].strip(): row["SOC Title"].strip() for row in _rows(SOC_FILE)}


@cache
def _onet_titles() -> dict[str, str]:
    return {row["O*NET-SOC Code"].strip(): row["Title"].strip() for row in _rows(ONET_FILE)}


# NAICS 2017/2022 sectors (census.gov/naics); manufacturing, retail and transportation span two-digit ranges.
_NAICS_SECTORS = {
    "11": "Agriculture, Forestry, Fishing and Hunting", "21": "Mining, Quarrying, and Oil and Gas Extraction",
    "22": "Utilities", "23": "Construction", "31-33": "Manufacturing", "42": "Wholesale Trade",
    "44-45": "Retail Trade", "48-49": "Transportation and Warehousing", "51": "Information",
    "52": "Finance and Insurance", "53": "Real Estate and Rental and Leasing",
    "54": "Professional, Scientific, and Technical Services", "55": "Management of Companies and Enterprises",
    "56": "Administrative and Support and Waste Management and Remediation Services",
    "61": "Educational Services", "62": "Health Care and Social Assistance",
    "71": "Arts, Entertainment, and Recreation", "72": "Accommodation and Food Services",
    "81": "Other Services (except Public Administration)", "92": "Public Administration",
}
_NAICS_SECTOR_OF = {two: sector for sector in _NAICS_SECTORS
                    for two in (sector, *(str(n) for n in range(int(sector[:2]), int(sector[-2:]) + 1)))}


def cip_title(code: str) -> str | None:
    """The CIP 2020 title of a canonical code (``"49.0205"``); None if unknown or reserved."""
    return _cip_titles().get(code)


def soc_title(code: str) -> str | None:
    """The SOC 2018 title of a canonical code (``"53-3032"``, also group codes such as ``"15-1200"``)."""
    return _soc_titles().get(code)


def onet_title(code: str) -> str | None:
    """The O*NET-SOC 2019 title of a canonical code (``"15-1252.00"``)."""
    return _onet_titles().get(code)


# --- splitting a cell into prefix, code and title ---------------------------------------------------------
# "CIP", "CIP 2020 code:", "O*NET-SOC", "SOC 2018", "NAICS #"…; a year must not run into the code's digits.
_PREFIX_TAIL = r"(?:[\s-]*20[0-9]{2}(?![0-9.]))?(?:[\s-]*codes?)?\s*[:#=-]?\s*"
_CIP_PREFIX = re.compile(r"cip" + _PREFIX_TAIL, re.IGNORECASE)
_OCC_PREFIX = re.compile(r"(?:o\*?net(?:[\s-]*soc)?|soc)" + _PREFIX_TAIL, re.IGNORECASE)
_NAICS_PREFIX = re.compile(r"naics" + _PREFIX_TAIL, re.IGNORECASE)
# Possessive: the code token is every digit and separator up front, never a shorter prefix of them.
_TOKEN = re.compile(rf"([0-9][0-9{_SEPARATOR_SET}]*+)(.*)", re.DOTALL)
_CODE_LIKE = re.compile(rf"[0-9]{{2}}[{_SEPARATOR_SET}][0-9]{{2}}")
_LETTER = re.compile(r"[^\W\d_]")


def _split(text: str, prefix: re.Pattern[str]) -> tuple[str, str | None] | None:
    """``"CIP 49.0205 - Truck Driving"`` → ``("49.0205", "Truck Driving")``; None if no code leads."""
    body = text.strip()
    if match := prefix.match(body):
        body = body[match.end():]
    match = _TOKEN.fullmatch(body)
    if match is None:
        return None
    token, tail = match.groups()
    core = token.rstrip(_SEPARATORS)
    separated = core != token or not tail or tail[0].isspace() or tail[0] in ":"
    rest = tail.strip().lstrip(":" + _DASHES).strip()
    if not separated or (rest and (not _LETTER.search(rest) or _CODE_LIKE.search(rest))):
        return None
    return core, rest or None


def _not_a_code(text: str, kind: str, example: str, hint: str = "") -> ValueError:
    if len(_CODE_LIKE.findall(text)) > 1:
        hint = "; separate several codes with |"
    return ValueError(f"{text.strip()!r} is not {kind} (e.g. {example}){hint}")


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _same_title(written: str, official: str) -> bool:
    """Equal but for case and punctuation, or a truncation of the official title."""
    return bool(_squash(written)) and _squash(official).startswith(_squash(written))


def _title_warnings(label: str, written: str | None, title: str | None) -> list[str]:
    if written and title and not _same_title(written, title):
        return [f"{label}: the text after the code ({written!r}) is not its official title ({title!r}); "
                "the official title is used"]
    return []


def _repair_warning(label: str, text: str, code: str, reasons: list[str]) -> list[str]:
    return [f"{label} {text.strip()!r} read as {code}: {'; '.join(reasons)}"] if reasons else []


# --- CIP ---------------------------------------------------------------------------------------------------
_CIP_FORM = re.compile(rf"([0-9]{{1,2}})(?:([.,{_DASH_SET}])([0-9]{{1,4}}))?")
_CIP_DIGITS = re.compile(r"[0-9]{3,6}")
_SOC_LOOK = re.compile(rf"[0-9]{{2}}[{_DASH_SET}][0-9]{{4}}")
_LEADING_ZERO = "the leading zero was lost (Excel drops it)"
_TRAILING_ZERO = "a trailing zero was lost (Excel drops it)"


def _cip_form(core: str) -> tuple[str, list[str]] | None:
    """The canonical CIP spelling of ``core`` and the repairs that took, or None if it is no CIP form."""
    reasons: list[str] = []
    if match := _CIP_FORM.fullmatch(core):
        series, separator, detail = match.group(1), match.group(2), match.group(3) or ""
        if separator == ",":
            reasons.append("a comma was written for the dot")
        elif separator and separator != ".":
            reasons.append("a dash was written for the dot")
    elif _CIP_DIGITS.fullmatch(core):
        # An odd count of bare digits is a code whose leading zero went (010101 → 10101).
        digits = core.rjust(len(core) + len(core) % 2, "0")
        series, detail = digits[:2], digits[2:]
        reasons.append("written without the dot")
    else:
        return None
    if len(series) == 1 or series != core[:2]:
        series = series.rjust(2, "0")
        reasons.insert(0, _LEADING_ZERO)
    if len(detail) in (1, 3):
        # 11.10 and 11.1000 both become 11.1 in Excel; the 4-digit series is the likelier.
        ambiguous = f" (if {series}.{detail}000 was meant, write it as text)" if len(detail) == 1 else ""
        detail += "0"
        reasons.append(_TRAILING_ZERO + ambiguous)
    return series + ("." + detail if detail else ""), reasons


def _cip_checks(code: str, core: str) -> list[str]:
    titles = _cip_titles()
    if code not in titles:
        message = f"CIP {code} is not in CIP 2020 (kept as is: a CIP 2010 code or a typo?)"
        soc = code.replace(".", "-")
        if _SOC_LOOK.fullmatch(core) and soc in _soc_titles():
            message += f"; {soc} is a SOC 2018 code: is it in the right column?"
        return [message]
    if titles[code] is None:
        return [f"CIP {code} is reserved in CIP 2020 (no program is classified under it)"]
    return []


@lru_cache(maxsize=_CACHE_SIZE)
def normalize_cip(text: str) -> Code:
    """A CIP code at any level (``49``, ``49.02``, ``49.0205``), repairing ``1.0101``, ``11.010``,
    ``49-0205`` and ``490205``; a ``CIP`` prefix and a trailing title are allowed."""
    split = _split(text, _CIP_PREFIX)
    form = _cip_form(split[0]) if split else None
    if split is None or form is None:
        raise _not_a_code(text, "a CIP code", "49.0205, 49.02 or 49")
    (core, written), (code, reasons) = split, form
    title = cip_title(code)
    warnings = (_repair_warning("CIP", text, code, reasons) + _cip_checks(code, core)
                + _title_warnings(f"CIP {code}", written, title))
    return Code(CIP, code, title, tuple(warnings), written)


# --- SOC 2018 and O*NET-SOC --------------------------------------------------------------------------------
_OCC_FORM = re.compile(rf"([0-9]{{2}})([{_DASH_SET}]?)([0-9]{{4}})(?:(\.?)([0-9]{{2}}))?")
_CIP_LOOK = re.compile(r"[0-9]{1,2}\.[0-9]{2}(?:[0-9]{1,2})?")


def _occupation_form(core: str) -> tuple[str, str, list[str]] | None:
    """(system, canonical code, repairs) for a SOC or O*NET-SOC spelling, or None."""
    match = _OCC_FORM.fullmatch(core)
    if match is None:
        return None
    major, dash, detail, dot, suffix = match.groups()
    code = f"{major}-{detail}" + (f".{suffix}" if suffix else "")
    reasons = []
    if not dash and suffix and not dot:
        reasons.append("written without the dash and the dot (the 8-digit TPOT form)")
    elif not dash:
        reasons.append("written without the dash")
    elif dash != "-":
        reasons.append(f"{dash!r} was written for the hyphen")
    if dash and suffix and not dot:
        reasons.append("written without the dot")
    return (ONET if suffix else SOC), code, reasons


def _occupation_checks(system: str, code: str) -> list[str]:
    base = code[:7]
    if code in (_onet_titles() if system == ONET else _soc_titles()):
        return []
    label = "O*NET-SOC" if system == ONET else "SOC"
    if base in _soc_titles():
        return [f"{label} {code} is not in the O*NET-SOC 2019 taxonomy (kept as is)"]
    if f"{code[:2]}-0000" not in _soc_titles():
        return [f"{label} {code} is not in SOC 2018 ({code[:2]} is not a SOC major group)"]
    # Not only old codes: BLS wage tables (OEWS) list aggregates such as 15-1245 that no SOC edition defines.
    return [f"{label} {code} is not in SOC 2018 (a retired SOC 2010 code, a BLS wage-survey (OEWS) aggregate, or "
            "a typo?)"]


@lru_cache(maxsize=_CACHE_SIZE)
def normalize_occupation(text: str) -> Code:
    """A SOC 2018 code (``15-1252``, groups such as ``15-1200`` too) or an O*NET-SOC code (``15-1252.00``)."""
    split = _split(text, _OCC_PREFIX)
    form = _occupation_form(split[0]) if split else None
    if split is None or form is None:
        hint = "; it looks like a CIP code" if split and _CIP_LOOK.fullmatch(split[0]) else ""
        raise _not_a_code(text, "a SOC or O*NET-SOC code", "15-1252 or 15-1252.00", hint)
    (_core, written), (system, code, reasons) = split, form
    title = onet_title(code) if system == ONET else soc_title(code)
    label = "O*NET-SOC" if system == ONET else "SOC"
    warnings = (_repair_warning(label, text, code, reasons) + _occupation_checks(system, code)
                + _title_warnings(f"{label} {code}", written, title))
    return Code(system, code, title, tuple(warnings), written)


# --- NAICS -------------------------------------------------------------------------------------------------
_NAICS_FORM = re.compile(r"[0-9]{2,6}|31-33|44-45|48-49")


@lru_cache(maxsize=_CACHE_SIZE)
def normalize_naics(text: str) -> Code:
    """A NAICS code of 2 to 6 digits (``611519``), or a sector range (``31-33``)."""
    split = _split(text, _NAICS_PREFIX)
    if split is None or not _NAICS_FORM.fullmatch(split[0]):
        raise _not_a_code(text, "a NAICS code", "611519, 2 to 6 digits")
    code, written = split
    title = _NAICS_SECTORS.get(_NAICS_SECTOR_OF.get(code, ""))
    warnings = [] if code[:2] in _NAICS_SECTOR_OF else [
        f"NAICS {code} is not in any NAICS sector ({code[:2]} is not a sector code)"]
    warnings += _title_warnings(f"NAICS {code}", written, title)
    return Code(NAICS, code, title, tuple(warnings), written)

"""CIP / SOC / O*NET-SOC / NAICS codes: normalisation (catalog.codes) and alignment objects (build.codes)."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import time
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctdl_tools.build.codes import code_alignment, property_for
from ctdl_tools.catalog import codes
from ctdl_tools.catalog.codes import (
    Code,
    cip_title,
    normalize_cip,
    normalize_naics,
    normalize_occupation,
    onet_title,
    soc_title,
)

TRUCK_CIP = "Truck and Bus Driver/Commercial Vehicle Operator and Instructor"
CANONICAL = {
    "cip": re.compile(r"[0-9]{2}(\.[0-9]{2}([0-9]{2})?)?"),
    "soc": re.compile(r"[0-9]{2}-[0-9]{4}"),
    "onet": re.compile(r"[0-9]{2}-[0-9]{4}\.[0-9]{2}"),
    "naics": re.compile(r"[0-9]{2,6}|31-33|44-45|48-49"),
}
NORMALIZERS = (normalize_cip, normalize_occupation, normalize_naics)


def joined(code: Code) -> str:
    return " | ".join(code.warnings)


# --- the vendored lists -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "sha256"), [
    ("codes_cip2020_titles_ucop.csv", "c3011b30c8bc2a67da41afa197cb00264db284fa26b8d42ebf10d17715d12bb7"),
    ("codes_soc2018_hierarchy_osmt_BLS-Import.csv",
     "00e746312adabb0dca13e477c866df98e5138f8fb68fe1efa5ec9b7d3b9fc492"),
    ("codes_onet-soc_osmt_oNet-Import.csv",
     "e43dba44e7a674629c25f55ec6d0ae50369321905e45d306d0aa80498abd139f"),
])
def test_vendored_lists_are_unmodified_copies(name: str, sha256: str) -> None:
    data = resources.files("ctdl_tools.catalog.data").joinpath(name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == sha256
    assert sha256 in resources.files("ctdl_tools.catalog.data").joinpath("SOURCES.md").read_text("utf-8")


def test_lists_are_not_read_at_import() -> None:
    script = ("import ctdl_tools.catalog.codes as c, ctdl_tools.build.codes; "
              "print(c._cip_titles.cache_info().currsize, c._soc_titles.cache_info().currsize, "
              "c._onet_titles.cache_info().currsize)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["0", "0", "0"]


def test_list_sizes_match_their_documentation() -> None:
    cip = codes._cip_titles()
    assert [sum(len(c) == n for c in cip) for n in (2, 5, 7)] == [50, 473, 2325]
    assert sum(title is None for title in cip.values()) == 37   # "Reserved."
    assert len(codes._soc_titles()) == 23 + 98 + 459 + 867
    assert len(codes._onet_titles()) == 1016


# --- CIP ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("49.0205", "49.0205"), ("01.0101", "01.0101"), ("01.01", "01.01"), ("01", "01"), ("49", "49"),
    ("CIP 49.0205", "49.0205"), ("CIP: 49.0205", "49.0205"), ("cip code 49.0205", "49.0205"),
    ("CIP 2020 49.0205", "49.0205"), ("CIP-49.0205", "49.0205"), ("  49.0205\t", "49.0205"),
    ("49.0205 - Truck and Bus Driver/Commercial Vehicle Operator and Instructor", "49.0205"),
    ("49.0205: truck and bus driver", "49.0205"), ("15.1307 3-D Modeling and Design Technology", "15.1307"),
])
def test_cip_canonical_forms_need_no_warning(text: str, expected: str) -> None:
    code = normalize_cip(text)
    assert (code.system, code.code, code.warnings) == ("cip", expected, ())


@pytest.mark.parametrize(("text", "expected", "says"), [
    ("1.0101", "01.0101", ["read as 01.0101", "leading zero was lost"]),
    ("1.01", "01.01", ["leading zero was lost"]),
    ("1", "01", ["leading zero was lost"]),
    ("12.041", "12.0410", ["trailing zero was lost"]),
    ("1.031", "01.0310", ["leading zero was lost", "trailing zero was lost"]),
    ("11.010", "11.0100", ["read as 11.0100", "trailing zero was lost", "not in CIP 2020"]),
    ("11.1", "11.10", ["trailing zero was lost", "if 11.1000 was meant"]),
    ("49-0205", "49.0205", ["'49-0205' read as 49.0205", "dash was written for the dot"]),
    ("49\u20130205", "49.0205", ["dash was written for the dot"]),
    ("1-0101", "01.0101", ["leading zero was lost", "dash was written for the dot"]),
    ("490205", "49.0205", ["written without the dot"]),
    ("10101", "01.0101", ["leading zero was lost", "written without the dot"]),
    ("4902", "49.02", ["written without the dot"]),
    ("49,0205", "49.0205", ["comma was written for the dot"]),
    ("CIP 1.0101", "01.0101", ["'CIP 1.0101' read as 01.0101"]),
])
def test_cip_repairs_always_warn(text: str, expected: str, says: list[str]) -> None:
    code = normalize_cip(text)
    assert code.code == expected
    for words in says:
        assert words in joined(code)


def test_cip_unknown_and_reserved_codes_are_kept_with_a_warning() -> None:
    unknown = normalize_cip("02.0101")
    assert (unknown.code, unknown.title) == ("02.0101", None)
    assert unknown.warnings == ("CIP 02.0101 is not in CIP 2020 (kept as is: a CIP 2010 code or a typo?)",)
    reserved = normalize_cip("21.0101")
    assert (reserved.code, reserved.title) == ("21.0101", None)
    assert reserved.warnings == ("CIP 21.0101 is reserved in CIP 2020 (no program is classified under it)",)
    assert "reserved" in joined(normalize_cip("55.99"))


def test_cip_that_is_really_a_soc_code_says_so() -> None:
    code = normalize_cip("15-1252")
    assert code.code == "15.1252"
    assert "15-1252 is a SOC 2018 code" in joined(code)


def test_cip_titles() -> None:
    assert normalize_cip("49.0205").title == TRUCK_CIP
    assert cip_title("49.0205") == TRUCK_CIP                     # NCES's closing period is dropped
    assert cip_title("51.3801") == "Registered Nursing/Registered Nurse"
    assert cip_title("49.02") == "Ground Transportation"
    assert cip_title("49") == "TRANSPORTATION AND MATERIALS MOVING"
    assert cip_title("60.0809") == "Drug Information Pharmacy Residency/Fellowship Program"
    assert cip_title("21.0101") is None and cip_title("99.9999") is None and cip_title("1.0101") is None


def test_cip_written_title_is_kept_and_checked() -> None:
    same = normalize_cip("49.0205 - TRUCK AND BUS DRIVER")      # a truncation, other case: fine
    assert (same.written_title, same.warnings) == ("TRUCK AND BUS DRIVER", ())
    other = normalize_cip("49.0205 Practical Nursing")
    assert other.title == TRUCK_CIP and other.written_title == "Practical Nursing"
    assert "('Practical Nursing') is not its official title" in joined(other)
    assert normalize_cip("02.0101 Some Old Program").written_title == "Some Old Program"


@pytest.mark.parametrize("text", [
    "", "   ", "abc", "CIP", "CIP 2020", "49.0205, 49.0206", "49.0205 49.0206", "49.0205;49.0206",
    "123.4567", "49.02055", "1234567", "49.0205Truck", "(49.0205)", "49..0205", ".0205", "49.0205 - 1234",
    "\u0664\u0669.\u0660\u0662\u0660\u0665",   # Arabic-Indic digits are not codes
])
def test_not_a_cip_code(text: str) -> None:
    with pytest.raises(ValueError, match="is not a CIP code"):
        normalize_cip(text)


def test_several_codes_in_one_cell_get_a_hint() -> None:
    with pytest.raises(ValueError, match=r"separate several codes with \|"):
        normalize_cip("49.0205, 49.0206")


def test_every_listed_cip_code_is_its_own_canonical_form() -> None:
    for code, title in codes._cip_titles().items():
        result = normalize_cip(code)
        assert (result.code, result.title) == (code, title)
        assert result.warnings == (() if title else (f"CIP {code} is reserved in CIP 2020 (no program is "
                                                     "classified under it)",))


def test_excel_damaged_cip_codes_come_back() -> None:
    """What Excel makes of a six-digit code typed as a number is repaired to it, with a warning."""
    for code, title in codes._cip_titles().items():
        damaged = repr(float(code))               # 01.0310 → '1.031', 49.0205 → '49.0205'
        if len(code) != 7 or not title or len(damaged.partition(".")[2]) < 3:
            continue                               # 2+ trailing zeros lost: ambiguous with a series
        result = normalize_cip(damaged)
        assert result.code == code
        assert ("read as" in joined(result)) == (damaged != code)


# --- SOC / O*NET-SOC --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "system", "expected", "title"), [
    ("53-3032", "soc", "53-3032", "Heavy and Tractor-Trailer Truck Drivers"),
    ("15-1252", "soc", "15-1252", "Software Developers"),
    ("15-0000", "soc", "15-0000", "Computer and Mathematical Occupations"),
    ("15-1200", "soc", "15-1200", "Computer Occupations"),
    ("15-1250", "soc", "15-1250", "Software and Web Developers, Programmers, and Testers"),
    ("15-1252.00", "onet", "15-1252.00", "Software Developers"),
    ("15-1299.08", "onet", "15-1299.08", "Computer Systems Engineers/Architects"),
    ("SOC 53-3032", "soc", "53-3032", "Heavy and Tractor-Trailer Truck Drivers"),
    ("SOC 2018: 53-3032", "soc", "53-3032", "Heavy and Tractor-Trailer Truck Drivers"),
    ("O*NET-SOC 15-1252.00", "onet", "15-1252.00", "Software Developers"),
    ("ONET 15-1252.00", "onet", "15-1252.00", "Software Developers"),
    ("33-3051", "soc", "33-3051", "Police and Sheriff\u2019s Patrol Officers"),
    ("53-3032 Heavy and Tractor-Trailer Truck Drivers", "soc", "53-3032",
     "Heavy and Tractor-Trailer Truck Drivers"),
])
def test_occupation_canonical_forms(text: str, system: str, expected: str, title: str) -> None:
    code = normalize_occupation(text)
    assert (code.system, code.code, code.title, code.warnings) == (system, expected, title, ())


@pytest.mark.parametrize(("text", "system", "expected", "says"), [
    ("151252", "soc", "15-1252", "'151252' read as 15-1252: written without the dash"),
    ("15125200", "onet", "15-1252.00", "without the dash and the dot (the 8-digit TPOT form)"),
    ("151252.00", "onet", "15-1252.00", "written without the dash"),
    ("15-125200", "onet", "15-1252.00", "written without the dot"),
    ("15\u20131252", "soc", "15-1252", "'\u2013' was written for the hyphen"),
])
def test_occupation_repairs_always_warn(text: str, system: str, expected: str, says: str) -> None:
    code = normalize_occupation(text)
    assert (code.system, code.code) == (system, expected)
    assert says in joined(code)
    assert code.title == "Software Developers"


def test_soc_2010_codes_are_kept_and_flagged() -> None:
    why = "(a retired SOC 2010 code, a BLS wage-survey (OEWS) aggregate, or a typo?)"
    onet = normalize_occupation("15-1122.00")            # CE's own sample; SOC 2018 has 15-1212
    assert (onet.system, onet.code, onet.title) == ("onet", "15-1122.00", None)
    assert onet.warnings == (f"O*NET-SOC 15-1122.00 is not in SOC 2018 {why}",)
    soc = normalize_occupation("15-1122")
    assert (soc.system, soc.code, soc.title) == ("soc", "15-1122", None)
    assert soc.warnings == (f"SOC 15-1122 is not in SOC 2018 {why}",)
    assert f"not in SOC 2018 {why}" in joined(normalize_occupation("151122"))


def test_other_unknown_occupation_codes() -> None:
    assert "10 is not a SOC major group" in joined(normalize_occupation("10-1234"))
    assert "not in the O*NET-SOC 2019 taxonomy" in joined(normalize_occupation("15-1252.07"))
    assert "not in the O*NET-SOC 2019 taxonomy" in joined(normalize_occupation("15-1250.00"))


def test_occupation_titles() -> None:
    assert soc_title("53-3032") == "Heavy and Tractor-Trailer Truck Drivers"
    assert onet_title("15-1252.00") == "Software Developers"
    assert onet_title("11-1011.03") == "Chief Sustainability Officers"
    assert soc_title("15-1122") is None and onet_title("15-1252") is None and soc_title("15-1252.00") is None


@pytest.mark.parametrize("text", ["", "15", "1512", "15-12", "15-1252.0", "15-1252.000", "15.1252", "1-1252",
                                  "15-1252, 15-1253", "software developer", "15-1252x"])
def test_not_an_occupation_code(text: str) -> None:
    with pytest.raises(ValueError, match="is not a SOC or O\\*NET-SOC code"):
        normalize_occupation(text)


def test_cip_in_the_occupation_column_gets_a_hint() -> None:
    with pytest.raises(ValueError, match="it looks like a CIP code"):
        normalize_occupation("49.0205")


def test_every_listed_occupation_code_is_its_own_canonical_form() -> None:
    for code, title in codes._soc_titles().items():
        assert normalize_occupation(code) == Code("soc", code, title)
    for code, title in codes._onet_titles().items():
        assert normalize_occupation(code) == Code("onet", code, title)
        tpot = normalize_occupation(code.replace("-", "").replace(".", ""))
        assert (tpot.code, tpot.title) == (code, title) and "TPOT" in joined(tpot)


# --- NAICS -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected", "title"), [
    ("611519", "611519", None), ("6115", "6115", None), ("61", "61", "Educational Services"),
    ("NAICS 611519", "611519", None), ("NAICS 2022: 611519", "611519", None),
    ("31-33", "31-33", "Manufacturing"), ("32", "32", "Manufacturing"), ("9271", "9271", None),
])
def test_naics(text: str, expected: str, title: str | None) -> None:
    assert normalize_naics(text) == Code("naics", expected, title)


def test_naics_unknown_sector_warns() -> None:
    code = normalize_naics("991234")
    assert code.code == "991234"
    assert code.warnings == ("NAICS 991234 is not in any NAICS sector (99 is not a sector code)",)


def test_naics_written_title() -> None:
    code = normalize_naics("611519 - All Other Technical and Trade Schools")
    assert (code.code, code.title) == ("611519", None)
    assert code.written_title == "All Other Technical and Trade Schools"


@pytest.mark.parametrize("text", ["", "6", "1234567", "61-1519", "61.1519", "abc", "611519, 611513"])
def test_not_a_naics_code(text: str) -> None:
    with pytest.raises(ValueError, match="is not a NAICS code"):
        normalize_naics(text)


# --- never crash, never change silently ---------------------------------------------------------------------
code_ish = st.from_regex(r"\A(CIP |SOC |O\*NET |NAICS )?[0-9]{0,3}[.\-,\u2013 ]?[0-9]{0,5}(\.[0-9]{0,3})?"
                         r"( ?[-:]? ?[A-Za-z ]{0,8})?\Z")


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), code_ish))
def test_any_text_is_a_code_or_a_value_error(text: str) -> None:
    for normalize in NORMALIZERS:
        try:
            code = normalize(text)
        except ValueError as exc:
            assert "is not a" in str(exc)
            continue
        assert isinstance(code, Code)
        assert CANONICAL[code.system].fullmatch(code.code), code
        assert all(isinstance(w, str) and w for w in code.warnings)
        again = normalize(code.code)                       # canonical codes are fixed points
        assert again.code == code.code and again.title == code.title
        assert not any("read as" in w for w in again.warnings)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\A[0-9]{1,8}([.\-,\u2013][0-9]{1,6})?\Z"))
def test_a_changed_code_always_says_so(text: str) -> None:
    for normalize in NORMALIZERS:
        try:
            code = normalize(text)
        except ValueError:
            continue
        if code.code != text:
            assert f"{text!r} read as {code.code}" in joined(code)


def test_results_are_cached_and_fast() -> None:
    cells = [(normalize_cip, "49.0205"), (normalize_cip, "1.0101"), (normalize_cip, "49-0205"),
             (normalize_occupation, "15-1252.00"), (normalize_occupation, "15125200"),
             (normalize_occupation, "15-1122.00"), (normalize_naics, "611519")]
    for normalize, cell in cells:
        normalize(cell)                                       # loads the lists
    start = time.perf_counter()
    for _ in range(10_000):
        for normalize, cell in cells:
            normalize(cell)
    assert time.perf_counter() - start < 1.0                  # 70k cached calls: a few ms
    assert normalize_cip("1.0101") is normalize_cip("1.0101")


# --- alignment objects -------------------------------------------------------------------------------------
def test_cip_alignment() -> None:
    assert code_alignment(normalize_cip("49-0205"), "en-US") == {
        "@type": "ceterms:CredentialAlignmentObject",
        "ceterms:codedNotation": "49.0205",
        "ceterms:framework": "https://nces.ed.gov/ipeds/cipcode/search.aspx?y=56",
        "ceterms:frameworkName": {"en-US": "Classification of Instructional Programs"},
        "ceterms:targetNode": "https://nces.ed.gov/ipeds/cipcode/cipdetail.aspx?y=56&cip=49.0205",
        "ceterms:targetNodeName": {"en-US": TRUCK_CIP},
    }


def test_onet_alignment() -> None:
    assert code_alignment(normalize_occupation("15-1252.00"), "es", name="Desarrolladores") == {
        "@type": "ceterms:CredentialAlignmentObject",
        "ceterms:codedNotation": "15-1252.00",
        "ceterms:framework": "https://www.onetcenter.org/taxonomy.html",
        "ceterms:frameworkName": {"es": "O*NET-SOC Taxonomy"},
        "ceterms:targetNode": "https://www.onetonline.org/link/summary/15-1252.00",
        "ceterms:targetNodeName": {"es": "Software Developers"},        # the official title wins
    }


def test_soc_and_naics_alignments_have_no_target_node() -> None:
    assert code_alignment(normalize_occupation("53-3032"), "en-US") == {
        "@type": "ceterms:CredentialAlignmentObject",
        "ceterms:codedNotation": "53-3032",
        "ceterms:framework": "https://www.bls.gov/soc/2018/",
        "ceterms:frameworkName": {"en-US": "Standard Occupational Classification"},
        "ceterms:targetNodeName": {"en-US": "Heavy and Tractor-Trailer Truck Drivers"},
    }
    assert code_alignment(normalize_naics("611519"), "en-US", name="Trade Schools") == {
        "@type": "ceterms:CredentialAlignmentObject",
        "ceterms:codedNotation": "611519",
        "ceterms:framework": "https://www.census.gov/naics/",
        "ceterms:frameworkName": {"en-US": "North American Industry Classification System"},
        "ceterms:targetNodeName": {"en-US": "Trade Schools"},
    }


def test_unlisted_codes_get_no_target_node_and_the_catalog_name() -> None:
    old = code_alignment(normalize_occupation("15-1122.00"), "en-US", name="Information Security Analysts")
    assert "ceterms:targetNode" not in old
    assert old["ceterms:targetNodeName"] == {"en-US": "Information Security Analysts"}
    bare = code_alignment(normalize_cip("02.0101"), "en-US", name="  ")
    assert "ceterms:targetNode" not in bare and "ceterms:targetNodeName" not in bare
    written = code_alignment(normalize_cip("02.0101 Old Program"), "en-US")
    assert written["ceterms:targetNodeName"] == {"en-US": "Old Program"}
    assert "ceterms:targetNode" not in code_alignment(normalize_cip("21.0101"), "en-US")   # reserved


def test_property_for() -> None:
    assert property_for(normalize_cip("49.0205")) == "ceterms:instructionalProgramType"
    assert property_for(normalize_occupation("53-3032")) == "ceterms:occupationType"
    assert property_for(normalize_occupation("15-1252.00")) == "ceterms:occupationType"
    assert property_for(normalize_naics("611519")) == "ceterms:industryType"
    with pytest.raises(ValueError, match="unknown code system"):
        property_for(Code("isco", "2512", None))
    with pytest.raises(ValueError, match="unknown code system"):
        code_alignment(Code("isco", "2512", None), "en")

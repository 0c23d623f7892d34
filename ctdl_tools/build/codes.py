"""CIP, SOC / O*NET-SOC and NAICS codes as the CredentialAlignmentObjects registry records carry.

Shapes follow what Credential Engine emits (reference/catalogs.md §4.2) with one framework per code list:

* CIP 2020 → ``ceterms:instructionalProgramType``, NCES's 2020 (``y=56``) search page as the framework and
  its per-code ``cipdetail`` page as the target node (CE's samples also use the older ``Default.aspx?y=55``);
* O*NET-SOC → ``ceterms:occupationType``, the O*NET taxonomy page, O*NET OnLine's ``/link/summary/<code>``;
* SOC 2018 → ``ceterms:occupationType``, the BLS SOC 2018 page; no target node, as BLS has no stable
  per-code page (its OEWS pages cover detailed occupations only and move with each release);
* NAICS → ``ceterms:industryType``, census.gov/naics; no target node (Census only offers a search URL).

A target node is given only for codes in the bundled list (those with a title): a link for a code the
list does not know, such as a SOC 2010 code, would lead nowhere.
"""

from __future__ import annotations

from typing import Any

from ctdl_tools.build.nodes import CAO, lang_map
from ctdl_tools.catalog.codes import CIP, NAICS, ONET, SOC, Code

# system → (framework, framework name, target node pattern or None)
FRAMEWORKS: dict[str, tuple[str, str, str | None]] = {
    CIP: ("https://nces.ed.gov/ipeds/cipcode/search.aspx?y=56", "Classification of Instructional Programs",
          "https://nces.ed.gov/ipeds/cipcode/cipdetail.aspx?y=56&cip={code}"),
    ONET: ("https://www.onetcenter.org/taxonomy.html", "O*NET-SOC Taxonomy",
           "https://www.onetonline.org/link/summary/{code}"),
    SOC: ("https://www.bls.gov/soc/2018/", "Standard Occupational Classification", None),
    NAICS: ("https://www.census.gov/naics/", "North American Industry Classification System", None),
}
PROPERTIES = {
    CIP: "ceterms:instructionalProgramType",
    SOC: "ceterms:occupationType",
    ONET: "ceterms:occupationType",
    NAICS: "ceterms:industryType",
}


def property_for(code: Code) -> str:
    """The CTDL property a code goes under: instructionalProgramType, occupationType or industryType."""
    try:
        return PROPERTIES[code.system]
    except KeyError:
        raise ValueError(f"unknown code system {code.system!r}") from None


def code_alignment(code: Code, language: str, name: str | None = None) -> dict[str, Any]:
    """The CredentialAlignmentObject for ``code``.

    ``targetNodeName`` is the official title from the bundled list; ``name`` (what the catalog wrote
    beside the code) or the title written in the code's own cell only stand in when the list has none.
    """
    if code.system not in FRAMEWORKS:
        raise ValueError(f"unknown code system {code.system!r}")
    framework, framework_name, target = FRAMEWORKS[code.system]
    node: dict[str, Any] = {
        "@type": CAO,
        "ceterms:codedNotation": code.code,
        "ceterms:framework": framework,
        "ceterms:frameworkName": lang_map(framework_name, language),
    }
    if target and code.title is not None:
        node["ceterms:targetNode"] = target.format(code=code.code)
    label = code.title or (name or "").strip() or code.written_title
    if label:
        node["ceterms:targetNodeName"] = lang_map(label, language)
    return node

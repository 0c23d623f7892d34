"""Language names and BCP-47 codes as catalogs write them (``English``, ``Spanish``, ``en``, ``es-MX``)."""

from __future__ import annotations

import csv
import difflib
import io
import re
from functools import cache
from importlib import resources

# Languages US providers publish in most; ISO 639-1 codes (ISO 639-3 where there is no 639-1 code).
LANGUAGE_CODES = {
    "english": "en", "spanish": "es", "french": "fr", "german": "de", "italian": "it", "portuguese": "pt",
    "chinese": "zh", "mandarin": "zh", "cantonese": "yue", "japanese": "ja", "korean": "ko",
    "vietnamese": "vi", "tagalog": "tl", "filipino": "fil", "arabic": "ar", "russian": "ru", "polish": "pl",
    "hindi": "hi", "urdu": "ur", "bengali": "bn", "punjabi": "pa", "gujarati": "gu", "persian": "fa",
    "farsi": "fa", "haitian creole": "ht", "creole": "ht", "somali": "so", "amharic": "am", "swahili": "sw",
    "hmong": "hmn", "navajo": "nv", "greek": "el", "hebrew": "he", "turkish": "tr", "ukrainian": "uk",
    "dutch": "nl", "swedish": "sv", "norwegian": "no", "danish": "da", "finnish": "fi", "thai": "th",
    "indonesian": "id", "malay": "ms", "khmer": "km", "lao": "lo", "burmese": "my", "nepali": "ne",
    "american sign language": "ase", "asl": "ase", "romanian": "ro", "hungarian": "hu", "czech": "cs",
}
# The IANA Language Subtag Registry's two-letter subtags besides ISO 639-1's: withdrawn ISO 639-1 codes it keeps,
# Deprecated, with their Preferred-Value (https://www.iana.org/assignments/language-subtag-registry).
DEPRECATED_TWO_LETTER = {"in": "id", "iw": "he", "ji": "yi", "jw": "jv", "mo": "ro"}
_BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_BCP47_FULL = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")  # singletons too: en-US-x-private, en-a-bbb


def _conventional_case(tag: str) -> str:
    """Language lower case, script title case, region upper case; after a singleton (x-, a-…) lower case."""
    parts, out, extension = tag.split("-"), [], False
    for i, part in enumerate(parts):
        if i == 0 or extension:
            out.append(part.lower())
        elif len(part) == 1:
            extension = True
            out.append(part.lower())
        elif len(part) == 2:
            out.append(part.upper())
        elif len(part) == 4 and part.isalpha():
            out.append(part.title())
        else:
            out.append(part.lower())
    return "-".join(out)


def language_code(word: str, default_language: str) -> str:
    """A BCP-47 code for a language name or code; English gives the run's default when it is English."""
    return read_language(word, default_language)[0]


def read_language(word: str, default_language: str) -> tuple[str, str | None]:
    """:func:`language_code`, and what was rewritten when a reader should say so (``eng`` → ``en``). A code is
    written in BCP 47's conventional case (``EN`` → ``en``, ``en-us`` → ``en-US``), so that ``inLanguage`` and
    the language maps' keys spell it alike; an unregistered language subtag (``xx-YY``) is refused."""
    text = word.strip()
    name = text.lower()
    if name in LANGUAGE_CODES:
        code = LANGUAGE_CODES[name]
        # "English" in a catalog converted with --language en-US means en-US, not a bare "en".
        return (default_language if default_language.split("-")[0].lower() == code else code), None
    if _BCP47.match(text):
        return registered_tag(text)
    close = closest_language_names(name)
    hint = f"; closest: {', '.join(c.title() for c in close)}" if close else ""
    if not close and _BCP47.match(text.replace("_", "-")):
        hint = f"; did you mean {_conventional_case(text.replace('_', '-'))!r}?"
    raise ValueError(f"unknown language {word!r} (use a language name or a BCP-47 code such as en-US){hint}")


REGISTERED, LONGER_CODE, UNKNOWN_CODE, A_WORD = "registered", "longer code", "unknown code", "a word"


def primary_subtag(subtag: str) -> tuple[str, str | None]:
    """How BCP 47 (RFC 5646 §2.2.1) takes a lower-case primary language subtag: (LONGER_CODE, its ISO 639-1
    code) for an ISO 639-2 code of a language that has one (``eng``: the shortest code is the one); UNKNOWN_CODE
    for two letters no ISO 639-1 code has (the registry's five deprecated ones pass); A_WORD for four letters or
    more (no such subtag is registered: a language's name, or a typo); else REGISTERED, or may be (three letters
    may be ISO 639-3's, one is private use or grandfathered). The one rule of convert and LANG-UNKNOWN."""
    if len(subtag) == 3:
        two = two_letter_codes().get(subtag)
        return (LONGER_CODE, two) if two else (REGISTERED, None)
    if len(subtag) == 2 and subtag not in iso_639_1() and subtag not in DEPRECATED_TWO_LETTER:
        return UNKNOWN_CODE, None
    return (A_WORD, None) if len(subtag) > 3 else (REGISTERED, None)


def registered_tag(tag: str) -> tuple[str, str | None]:
    """A well-formed tag in the conventional case, its primary subtag checked as ``ctdl validate``'s
    LANG-UNKNOWN checks it: an ISO 639-2 code of a language that has an ISO 639-1 one becomes that (with a
    note: BCP 47 takes the shortest code); two letters no ISO 639-1 code has are refused. Other three-letter
    subtags may be ISO 639-3's (``yue``, ``ase``): kept."""
    primary, sep, rest = tag.partition("-")
    subtag = primary.lower()
    kind, two = primary_subtag(subtag)
    if kind == LONGER_CODE:
        code = _conventional_case(f"{two}{sep}{rest}")
        return code, (f"{tag!r} written {code!r}: {primary!r} is the three-letter ISO 639-2 code of "
                      f"{language_name(two or '')}, and BCP 47 takes the shortest code")
    if kind == UNKNOWN_CODE:
        raise ValueError(f"unknown language {tag!r}: no ISO 639-1 language code is {subtag!r} (use a language name "
                         "or a BCP-47 code such as en-US)")
    return _conventional_case(tag), None


def closest_language_names(name: str, n: int = 3, cutoff: float = 0.6) -> list[str]:
    """The names of :data:`LANGUAGE_CODES` closest to ``name`` (lower case), best first: a misspelling's hint."""
    return difflib.get_close_matches(name.lower(), list(LANGUAGE_CODES), n=n, cutoff=cutoff)


@cache
def iso_639_1() -> dict[str, tuple[str, str, str]]:
    """Every ISO 639-1 code → (ISO 639-2/T code, ISO 639-2/B code or "", English name), from the bundled
    ``data/iso639_1.csv`` (provenance in ``data/README.md``)."""
    text = resources.files("ctdl_tools.build.data").joinpath("iso639_1.csv").read_text(encoding="utf-8")
    return {row["alpha2"]: (row["alpha3_t"], row["alpha3_b"], row["name"]) for row in csv.DictReader(io.StringIO(text))}


@cache
def two_letter_codes() -> dict[str, str]:
    """ISO 639-2 three-letter codes (T and B: ``eng``, ``fra``, ``fre``) of the languages that have an ISO 639-1
    code → that code. BCP 47 takes the shortest code (RFC 5646 §2.2.1), so these are not language subtags."""
    out = {}
    for two, (terminology, bibliographic, _) in iso_639_1().items():
        out[terminology] = two
        if bibliographic:
            out[bibliographic] = two
    return out


@cache
def _iso_names() -> dict[str, str]:
    """Lower-case English names of the ISO 639-1 languages → code, a qualifier left out ("Malay (macrolanguage)")."""
    out = {}
    for two, (_, _, name) in iso_639_1().items():
        out.setdefault(name.split(" (")[0].lower(), two)
    return out


def code_for_name(name: str) -> str | None:
    """The code of a language written by name (``English`` → ``en``, ``Tamil`` → ``ta``), or None: the names
    convert knows (:data:`LANGUAGE_CODES`) first, then ISO 639-1's English names."""
    key = name.strip().lower()
    return LANGUAGE_CODES.get(key) or _iso_names().get(key)


def language_name(code: str) -> str | None:
    """The English name of an ISO 639-1 code (``en`` → ``English``), or None."""
    entry = iso_639_1().get(code.lower())
    return entry[2] if entry else None


def is_language_tag(text: str) -> bool:
    """True when ``text`` has the shape of a BCP-47 language tag (``en``, ``es-MX``, ``en-US-x-private``)."""
    return _BCP47_FULL.match(text) is not None


def check_language_tag(tag: str) -> str:
    """The run's ``--language``: it keys every language map written, so it must be a BCP-47 tag, written in
    the conventional case (``EN-us`` → ``en-US``; RFC 5646 §2.1.1)."""
    text = tag.strip()
    if is_language_tag(text):
        return _conventional_case(text)
    hint = f"; did you mean {text.replace('_', '-')!r}?" if _BCP47.match(text.replace("_", "-")) else ""
    raise ValueError(f"{tag!r} is not a BCP-47 language tag (e.g. en-US, es, fr-CA){hint}")


def run_language(tag: str) -> tuple[str, str | None]:
    """The run's ``--language``, checked as a catalog cell's language code is (:func:`registered_tag`), and what
    was rewritten when the command should warn about it. A BCP-47 tag (:func:`check_language_tag`: private-use
    and extension subtags too) in the conventional case; a three-letter code of a language that has a
    two-letter one becomes that (``eng`` → ``en``, with the cell's note); two letters no ISO 639-1 code has
    (``zz``, ``xx-YY``) are refused, as in a cell: every text of the run would carry the tag, and
    ``ctdl validate`` would report LANG-UNKNOWN on each."""
    text = tag.strip()
    try:
        check_language_tag(text)
    except ValueError:
        code = code_for_name(text)
        if code is None:
            raise
        raise ValueError(f"{tag!r} is not a BCP-47 language tag (e.g. en-US, es, fr-CA); did you mean "
                         f"{code!r}?") from None
    primary = text.partition("-")[0].lower()
    if primary_subtag(primary)[0] == UNKNOWN_CODE:
        raise ValueError(f"unknown language {tag!r}: no ISO 639-1 language code is {primary!r} (use a BCP-47 tag "
                         "such as en-US, es, fr-CA)")
    return registered_tag(text)

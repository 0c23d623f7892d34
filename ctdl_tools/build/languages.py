"""Language names and BCP-47 codes as catalogs write them (``English``, ``Spanish``, ``en``, ``es-MX``)."""

from __future__ import annotations

import difflib
import re

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
    text = word.strip()
    name = text.lower()
    if name in LANGUAGE_CODES:
        code = LANGUAGE_CODES[name]
        # "English" in a catalog converted with --language en-US means en-US, not a bare "en".
        return default_language if default_language.split("-")[0].lower() == code else code
    if _BCP47.match(text) and len(text.split("-")[0]) <= 3:
        return text
    close = difflib.get_close_matches(name, list(LANGUAGE_CODES), n=3, cutoff=0.6)
    hint = f"; closest: {', '.join(c.title() for c in close)}" if close else ""
    raise ValueError(f"unknown language {word!r} (use a language name or a BCP-47 code such as en-US){hint}")


def check_language_tag(tag: str) -> str:
    """The run's ``--language``: it keys every language map written, so it must be a BCP-47 tag, written in
    the conventional case (``EN-us`` → ``en-US``; RFC 5646 §2.1.1)."""
    text = tag.strip()
    if _BCP47_FULL.match(text) and len(text.split("-")[0]) <= 3:
        return _conventional_case(text)
    hint = f"; did you mean {text.replace('_', '-')!r}?" if _BCP47.match(text.replace("_", "-")) else ""
    raise ValueError(f"{tag!r} is not a BCP-47 language tag (e.g. en-US, es, fr-CA){hint}")

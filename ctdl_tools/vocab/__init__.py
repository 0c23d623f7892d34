"""The CTDL and CTDL-ASN vocabularies, bundled, pinned and queryable offline."""

from ctdl_tools.vocab.labels import LabelIndex, UnknownLabel, class_index, concept_index, normalize_label
from ctdl_tools.vocab.loader import RemoteContextRefused, offline_loader
from ctdl_tools.vocab.pins import CTDL_CONTEXT_URL, CTDLASN_CONTEXT_URL
from ctdl_tools.vocab.schema import Vocabulary, load_context, vocabulary

__all__ = [
    "CTDLASN_CONTEXT_URL",
    "CTDL_CONTEXT_URL",
    "LabelIndex",
    "RemoteContextRefused",
    "UnknownLabel",
    "Vocabulary",
    "class_index",
    "concept_index",
    "load_context",
    "normalize_label",
    "offline_loader",
    "vocabulary",
]

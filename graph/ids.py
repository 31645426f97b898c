"""Stable, meaningful identifiers: USCC checks, admin codes, minted keys, and the IRIs made from them."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from stdnum.cn import uscc as _uscc
from stdnum.exceptions import ValidationError

ADMIN_CODE = re.compile(r"^\d{6}$")
DEFAULT_BASE_IRI = "https://w3id.org/clusterkg/id/"


def uscc_problem(code: str) -> str | None:
    """None when ``code`` is a valid 统一社会信用代码 (GB 32100-2015, check character included), else why not."""
    try:
        _uscc.validate(code)
    except ValidationError as exc:
        return f"invalid 统一社会信用代码 ({exc})"
    return None


def match_key(text: str) -> str:
    """A key for matching names: NFKC (full-width → half-width), lower case, no spaces or punctuation."""
    folded = unicodedata.normalize("NFKC", text).lower()
    kept = "".join(ch for ch in folded if not (ch.isspace() or unicodedata.category(ch).startswith(("P", "S"))))
    # dropping a spacing mark can leave a combining one next to a letter: compose again, so the key is stable
    return unicodedata.normalize("NFKC", kept)


def mint_key(*parts: str) -> str:
    """A short stable key from the matching form of the parts (same name → same key, on any machine)."""
    digest = hashlib.sha1("|".join(match_key(p) for p in parts).encode("utf-8")).hexdigest()
    return digest[:12]


def node_iri(node_id: str, base: str = DEFAULT_BASE_IRI) -> str:
    """The RDF IRI of a node: its id (``enterprise/914403001922038216``) under the base namespace."""
    return base + node_id

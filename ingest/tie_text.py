"""A stated tie as its sources' statements keep it (its part of a node's ``claims_json``): its JSON, and its text.

The text is ``compact(link_to_json(link))``: the tie's JSON, keys sorted, no spaces. Where each part's orjson text is
the standard library's (``part_text``: no refused value, no float below 1e-4 or not finite), the whole text is the
parts' texts joined in key order, and most parts are shared by many ties: what the tie's kind says (type, start
label, column, flags: one kind for every tie of a mapping column), its row's provenance (the row's ties come one
after another) and its far end (one object for the same text, ``target_ref``). ``LinkTexts`` keeps those encoded
and encodes the start's id for each tie; a tie with a part that is not plain is encoded whole.
"""

from __future__ import annotations

from typing import Any

from graph.json_text import compact, part_text
from ingest.records import NO_PROPS, LinkKind, PendingLink, Provenance, TargetRef

_KEPT = 1 << 16  # at most this many far ends and kinds are kept encoded, the first met (the same cities recur)

# The tie's text, keys in sorted order; a kind gives the four pieces around the start's id, provenance and far end:
# {"column":…,"from":[LABEL,  ID  ],"inbound":…,"props":…,"prov":  PROV  ,"required":…,"to":  END  ,"type":…}
_Pieces = tuple[str, str, str, str]


def provenance_json(p: Provenance) -> list[Any]:
    return [p.file, p.row, p.url, p.confidence]


def link_to_json(link: PendingLink) -> dict[str, Any]:
    t = link.target
    doc: dict[str, Any] = {
        "type": link.rel_type,
        "from": [link.from_label, link.from_id],
        "to": [t.text, t.resolver, list(t.classes), t.create],
        "prov": provenance_json(link.provenance),
    }
    for key, value in (("column", link.column), ("inbound", link.inbound), ("required", link.required)):
        if value:
            doc[key] = value
    if link.props:
        doc["props"] = dict(link.props)
    return doc


class LinkTexts:
    """``compact(link_to_json(link))`` for the stated ties of one run, with the parts they share kept encoded.
    Kinds (those without properties of their own) and far ends are kept by identity, each held with its text: an
    identity is not reused while its object lives, and values equal in Python but written differently (``True``
    and ``1``) are never confused."""

    def __init__(self) -> None:
        self._kinds: dict[int, tuple[LinkKind, _Pieces | None]] = {}
        self._targets: dict[int, tuple[TargetRef, str | None]] = {}
        self._last: tuple[Provenance | None, str | None] = (None, None)

    def text(self, link: PendingLink) -> str:
        pieces = self._kind(link.kind)
        start_id = part_text(link.from_id)
        prov = self._provenance(link.provenance)
        end = self._target(link.target)
        if pieces is None or start_id is None or prov is None or end is None:
            return compact(link_to_json(link))  # the standard library may write a part otherwise within the whole
        before_id, before_prov, before_end, after_end = pieces
        return f"{before_id}{start_id}{before_prov}{prov}{before_end}{end}{after_end}"

    def _kind(self, kind: LinkKind) -> _Pieces | None:
        found = self._kinds.get(id(kind))
        if found is not None:
            return found[1]
        pieces = _pieces(kind)
        if kind.props is NO_PROPS and len(self._kinds) < _KEPT:  # a kind with properties is one tie's
            self._kinds[id(kind)] = (kind, pieces)
        return pieces

    def _provenance(self, provenance: Provenance) -> str | None:
        last, text = self._last
        if provenance is not last:
            text = _list_text(provenance_json(provenance))
            self._last = (provenance, text)
        return text

    def _target(self, target: TargetRef) -> str | None:
        found = self._targets.get(id(target))
        if found is not None:
            return found[1]
        text = _list_text([target.text, target.resolver, list(target.classes), target.create])
        if len(self._targets) < _KEPT:
            self._targets[id(target)] = (target, text)
        return text


def _list_text(values: list[Any]) -> str | None:
    texts = [part_text(v) for v in values]
    return None if any(t is None for t in texts) else "[" + ",".join(t or "" for t in texts) + "]"


def _pieces(kind: LinkKind) -> _Pieces | None:
    """The kind's four pieces of a tie's text (the template above), or None where one of its values is not plain.
    A flag, a column and properties are written only when true, as ``link_to_json`` writes them."""
    optional = {"column": kind.column, "inbound": kind.inbound, "props": dict(kind.props), "required": kind.required}
    shown = {name: value for name, value in optional.items() if value}
    always = {"label": kind.from_label, "type": kind.rel_type}
    texts = {name: part_text(value) for name, value in {**shown, **always}.items()}
    if any(text is None for text in texts.values()):
        return None

    def field(name: str, before: str = ",", after: str = "") -> str:
        return f'{before}"{name}":{texts[name]}{after}' if name in shown else ""

    return (
        f'{{{field("column", "", ",")}"from":[{texts["label"]},',
        f']{field("inbound")}{field("props")},"prov":',
        f'{field("required")},"to":',
        f',"type":{texts["type"]}}}',
    )

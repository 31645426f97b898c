"""Entity resolution: one node per real entity, across sources, with the rule and its confidence.

Records of one class merge when they share a strong key: the same 统一社会信用代码, or the same name
or alias in matching form (full-width/half-width, spaces and punctuation folded). Enterprises also
match on the name without its legal form (``美的集团股份有限公司`` ~ ``美的集团``), with a lower
confidence. Curated aliases (``data/resolution.yaml``) add known short names; curated distinct pairs
keep apart what the rules would join. Nothing else is guessed: a reference that matches nothing is
reported, or — where the mapping allows — becomes a new node whose class comes from its name, with
that rule recorded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from graph import ids
from graph.ids import match_key, mint_key
from ingest.normalize import strip_note
from ingest.records import NodeRecord, PendingLink, Provenance, TargetRef
from ingest.source_table import ReadError

LEGAL_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "股份公司", "公司")
# Place prefixes a firm's registered name carries and its listed short name drops (广东风华高新科技 → 风华高科).
PLACE_PREFIX = re.compile(
    r"^(广东省?|广州|深圳|珠海|汕头|佛山|韶关|湛江|肇庆|江门|茂名|惠州|梅州|汕尾|河源|阳江|清远|东莞|中山|潮州|揭阳|云浮)市?"
)
ABBREVIATION = ("short name of a listed firm", 0.75)
StrongKey = tuple[str, str, str, float]  # kind (uscc, stock, name, core), key, rule, confidence


def _names_a_university(name: str) -> bool:
    """Ends in 大学 or 学院 (a bracketed note after it allowed), or names a university's graduate school or campus.
    Written with ``in`` and ``endswith`` rather than a pattern (``(大学|学院)(（.*）)?$|大学.*研究生院$`` and the like),
    which read the rest of the name again from every 大学 in it (3.7 s for a 100,000-character cell). As the pattern
    read it: its last line counts, and a final line break is not part of it (``$`` matched before one, ``.`` no
    break)."""
    last = name.removesuffix("\n").rpartition("\n")[2]
    for close, opening in (("）", "（"), (")", "(")):
        if last.endswith(close) and (f"大学{opening}" in last or f"学院{opening}" in last):
            return True
    return (
        last.endswith(("大学", "学院"))
        or (last.endswith("研究生院") and "大学" in last[:-4])
        or (last.endswith("校区") and "大学" in last[:-2])
    )


# How a name tells its class, for nodes created from references (first match wins).
CLASS_BY_NAME: tuple[tuple[Callable[[str], object], str], ...] = (
    (re.compile(r"(人民政府|政府|厅|局|委员会|委|办公室)$").search, "GovernmentAgency"),
    (re.compile(r"(公司|集团|有限|股份)").search, "Enterprise"),
    (_names_a_university, "University"),
    (re.compile(r"实验室$").search, "Laboratory"),
    (re.compile(r"(研究院|研究所|研究中心|科学院|研究院有限公司)$").search, "ResearchInstitution"),
)


def legal_core(name: str) -> str | None:
    key = match_key(name)
    for form in LEGAL_FORMS:
        if key.endswith(form) and len(key) > len(form) + 1:
            return key[: -len(form)]
    return None


def name_core(name: str) -> str:
    """A firm's name without its legal form and its leading place name, in matching form."""
    core = legal_core(name) or match_key(name)
    stripped = PLACE_PREFIX.sub("", core)
    return stripped if len(stripped) >= 2 else core


def is_abbreviation(short: str, full: str) -> bool:
    """True when ``short`` reads as the listed short name of ``full``: the same first three characters and
    every character of the short name in order in the full one (风华高科 ⊂ 风华高新科技), covering at
    least 60 % of it (so that 中国电研 does not abbreviate every 中国电…研究院)."""
    if len(short) < 3 or len(full) <= len(short) or short[:3] != full[:3] or len(short) < 0.6 * len(full):
        return False
    rest = iter(full)
    return all(ch in rest for ch in short)


def keys_have_code(record: NodeRecord) -> bool:
    return bool(record.props.get("stock_code") or record.props.get("uscc"))


def class_from_name(name: str, allowed: Iterable[str]) -> str | None:
    allowed = tuple(allowed)
    for matches, label in CLASS_BY_NAME:
        if matches(name) and label in allowed:
            return label
    return None


@dataclass(slots=True)
class Entity:
    """The merged view of the records about one real entity. Slotted, with the empty tuple for no rules and no
    stated ties: with an instance dict and two lists, an entity stating three ties took about 290 bytes, now 145."""

    label: str
    id: str
    records: list[NodeRecord]
    rules: Sequence[tuple[str, float]] = ()  # how later records joined
    # merged_props, kept until a record joins or the index lets go of its keys: every inference rule asks for it
    _merged: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)
    # the relationships its sources' rows state, kept for its row's claims (ingest/build.py) until it is let go
    stated_links: Sequence[PendingLink] = field(default=(), init=False, repr=False, compare=False)

    @property
    def primary(self) -> NodeRecord:
        return min(self.records, key=lambda r: r.order_key)

    def names(self) -> list[str]:
        return [n for r in self.records for n in r.names]

    def add_record(self, record: NodeRecord) -> None:
        self.records.append(record)
        self._merged = None

    def add_rule(self, rule: tuple[str, float]) -> None:
        if isinstance(self.rules, list):
            self.rules.append(rule)
        else:
            self.rules = [rule]

    def add_stated_links(self, links: Iterable[PendingLink]) -> None:
        """Keep these stated ties beside any kept before, in one tuple of their exact size (a list grown tie by tie
        held about twice the room)."""
        self.stated_links = (*self.stated_links, *links)

    def forget_merged(self) -> None:
        self._merged = None

    def let_go(self) -> None:
        """Drop the records and the kept merged_props once the entity's row is built (build.node_rows): a
        million entities' records are let go as their rows are made, not all at the end. The entity is spent."""
        self.records = []
        self.stated_links = ()
        self._merged = None

    def merged_props(self) -> dict[str, Any]:
        """Each property from the record with the best precedence for it (``NodeRecord.precedence``, then
        the records' canonical order); lists are the union of all records'. A new dict on every call."""
        if self._merged is None:
            self._merged = self._merge_props()
        return dict(self._merged)

    def _merge_props(self) -> dict[str, Any]:
        if len(self.records) == 1:  # most entities: no other record competes for a property
            return self._lone_record_props(self.records[0])
        ranked: dict[str, tuple[tuple[int, tuple[int, str, str, int, str, str]], Any]] = {}
        merged_lists: dict[str, set[Any]] = {}
        for record in self.records:
            for key, value in record.props.items():
                if key == "aliases" or value is None:
                    continue
                if isinstance(value, list):
                    merged_lists.setdefault(key, set()).update(value)
                    continue
                rank = (record.precedence(key), record.order_key)
                if key not in ranked or rank < ranked[key][0]:
                    ranked[key] = (rank, value)
        props: dict[str, Any] = {key: value for key, (_, value) in ranked.items()}
        props.update({key: sorted(values) for key, values in merged_lists.items()})
        return self._with_aliases(props)

    def _lone_record_props(self, record: NodeRecord) -> dict[str, Any]:
        """What the ranking below gives a lone record, without ranking: its values, then its lists sorted, in the same
        key order (tests/test_resolve.py)."""
        props: dict[str, Any] = {}
        lists: dict[str, list[Any]] = {}
        for key, value in record.props.items():
            if key == "aliases" or value is None:
                continue
            if isinstance(value, list):
                lists[key] = sorted(set(value))
            else:
                props[key] = value
        props.update(lists)
        return self._with_aliases(props)

    def _with_aliases(self, props: dict[str, Any]) -> dict[str, Any]:
        names = {n for n in self.names()} - {props.get("name_zh"), props.get("name_en")}
        if names:
            props["aliases"] = sorted(names)
        return props


@dataclass(frozen=True)
class Curation:
    """Curated knowledge for resolution: alias → canonical name, and pairs that must stay apart."""

    aliases: dict[str, str]
    distinct: frozenset[frozenset[str]]

    @classmethod
    def load(cls, path: Path | None) -> Curation:
        if path is None or not path.exists():
            return cls(aliases={}, distinct=frozenset())
        doc = _curation_doc(path)
        aliases = {match_key(alias): name for name, names in (doc.get("aliases") or {}).items() for alias in names}
        distinct = frozenset(frozenset(match_key(n) for n in pair) for pair in doc.get("distinct") or [])
        return cls(aliases=aliases, distinct=distinct)

    def kept_apart(self, names_a: Iterable[str], names_b: Iterable[str]) -> bool:
        keys_a = {match_key(n) for n in names_a}
        keys_b = {match_key(n) for n in names_b}
        return any(
            len(pair & keys_a) == 1 and len(pair & keys_b) == 1 and pair & keys_a != pair & keys_b
            for pair in self.distinct
        )


def _curation_doc(path: Path) -> dict[str, Any]:
    """The curated file as its mapping, or a ReadError naming what is wrong with it (a curator's file, not a bug)."""
    try:
        doc = yaml.safe_load(path.read_bytes().decode("utf-8")) or {}
    except UnicodeDecodeError:
        raise ReadError(f"{path}: 不是 UTF-8 文本 / not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"（第 {mark.line + 1} 行）" if mark is not None else ""
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ReadError(f"{path}: YAML 格式有误{line} / malformed YAML{where}") from None
    aliases, distinct = (doc.get("aliases") or {}, doc.get("distinct") or []) if isinstance(doc, dict) else (0, 0)
    names_ok = isinstance(aliases, dict) and all(
        isinstance(names, list) and all(isinstance(n, str) for n in names) for names in aliases.values()
    )
    pairs_ok = isinstance(distinct, list) and all(
        isinstance(pair, list) and all(isinstance(n, str) for n in pair) for pair in distinct
    )
    if not (names_ok and pairs_ok):
        raise ReadError(
            f"{path}: 应为含 aliases（名称 → 别名列表）与 distinct（名称对的列表）的映射 / "
            "expected a mapping with aliases (a name → a list of its aliases) and distinct (a list of name pairs)"
        )
    return doc


class ShortNames:
    """The listed firms whose short names begin with the same three characters, by the short name's length: a name
    is looked up only among the lengths that can abbreviate it (``is_abbreviation``). Scanning them all held 15 s
    of py-spy's samples in a scale-150 collect of 114 s, whose synthetic names share a few first characters."""

    __slots__ = ("_by_length", "_members")

    def __init__(self) -> None:
        self._by_length: dict[int, list[tuple[str, Entity]]] = {}
        self._members: set[int] = set()  # id() of each firm in it: a firm is listed once, under its first short name

    def add(self, short: str, entity: Entity) -> None:
        if id(entity) not in self._members:
            self._members.add(id(entity))
            self._by_length.setdefault(len(short), []).append((short, entity))

    def abbreviating(self, full: str) -> Iterator[tuple[str, Entity]]:
        """The short names long enough and short enough to abbreviate ``full``; ``is_abbreviation`` still decides.
        The lengths held are few, where a long name has many lengths below its own."""
        for length, firms in self._by_length.items():
            if 3 <= length < len(full) and length >= 0.6 * len(full):  # is_abbreviation's bounds, as it applies them
                yield from firms


class EntityIndex:
    """All entities of a run, findable by id, by USCC and by name in matching form."""

    def __init__(self, curation: Curation) -> None:
        self.curation = curation
        self.entities: list[Entity] = []
        # Nested by label and kind of key, not keyed by (label, "kind:value") tuples: with five keys a firm, the tuples
        # and the prefixed strings took the index from 828 to 1,709 bytes a firm (tracemalloc, 40,000 firms).
        self._by_record_id: dict[str, dict[str, Entity]] = {}  # label → record id → entity
        self._keys: dict[tuple[str, str], dict[str, Entity]] = {}  # (label, kind of key) → key → entity
        self._short_names: dict[str, ShortNames] = {}  # first three characters → listed firms
        self._matching_over = False  # the keys above let go of (``forget_keys``)

    # ---------------------------------------------------------------- building
    def add(self, record: NodeRecord) -> Entity:
        self._still_matching()
        keys = self._strong_keys(record)
        existing = self.get(record.label, record.id)
        rule: tuple[str, float] | None = ("same id", 1.0) if existing else None
        if existing is None:
            existing, rule = self._match(record, keys)
        # a firm with its own code (USCC, stock code) is its own identity: no guess by short name
        if existing is None and record.label == "Enterprise" and not keys_have_code(record):
            existing, _ = self._listed_firm(record.names)
            rule = ABBREVIATION if existing else None
        if existing is None:
            entity = Entity(label=record.label, id=record.id, records=[record])
            self.entities.append(entity)
        else:
            entity = existing
            entity.add_record(record)
            if rule:
                entity.add_rule(rule)
            if record.priority < min(r.priority for r in entity.records[:-1]):
                entity.id = record.id  # the most authoritative source names the node
        self._by_record_id.setdefault(record.label, {})[record.id] = entity
        for kind, key, _, _ in keys:
            self._keys.setdefault((record.label, kind), {}).setdefault(key, entity)
        short = record.props.get("name_zh")
        if record.label == "Enterprise" and record.props.get("stock_code") and isinstance(short, str):
            key = match_key(short)
            self._short_names.setdefault(key[:3], ShortNames()).add(key, entity)
        return entity

    def _listed_firm(self, names: Iterable[str]) -> tuple[Entity | None, str]:
        """The one listed firm whose short name abbreviates one of these names (none when several do)."""
        for name in names:
            core = name_core(name)
            listed = self._short_names.get(core[:3])
            if listed is None:
                continue
            found = {id(e): e for short, e in listed.abbreviating(core) if is_abbreviation(short, core)}
            found = {k: e for k, e in found.items() if not self.curation.kept_apart(e.names(), [name])}
            if len(found) == 1:
                return next(iter(found.values())), name
        return None, ""

    def _strong_keys(self, record: NodeRecord) -> list[StrongKey]:
        """The keys a record is matched by, strongest first: (kind, key, rule, confidence)."""
        keys: list[StrongKey] = []
        uscc = record.props.get("uscc")
        if uscc:
            keys.append(("uscc", str(uscc), "same 统一社会信用代码", 1.0))
        stock = record.props.get("stock_code")
        if stock:
            keys.append(("stock", str(stock), "same stock code", 1.0))
        if not record.merge_by_name:
            return keys
        for name in record.names:
            keys.append(("name", match_key(name), "same name", 0.95))
            canonical = self.curation.aliases.get(match_key(name))
            if canonical:
                keys.append(("name", match_key(canonical), "curated alias", 0.9))
        if record.label == "Enterprise":
            for name in record.names:
                keys.append(("core", legal_core(name) or match_key(name), "same name without legal form", 0.85))
        return keys

    def _match(self, record: NodeRecord, keys: list[StrongKey]) -> tuple[Entity | None, tuple[str, float] | None]:
        for kind, key, rule, confidence in keys:
            entity = self._keyed(record.label, kind, key)
            if entity is not None and not self.curation.kept_apart(entity.names(), record.names):
                return entity, (rule, confidence)
        return None, None

    def _keyed(self, label: str, kind: str, key: str) -> Entity | None:
        keyed = self._keys.get((label, kind))
        return None if keyed is None else keyed.get(key)

    # ---------------------------------------------------------------- lookups
    def forget_keys(self) -> None:
        """Let go of what only matching and the rules use, once every record and tie is resolved (the rows are being
        made): the keys records and names are matched by (a firm's five keys were about 300 MB at scale 150), the
        cached matching keys, and each entity's kept merged properties (about 180 bytes an entity; its row asks for
        them once more). Lookups by id still work; matching again raises."""
        self._keys, self._short_names, self._matching_over = {}, {}, True
        ids.clear_caches()  # the process's cached matching keys
        for entity in self.entities:
            entity.forget_merged()

    def _still_matching(self) -> None:
        if self._matching_over:
            raise RuntimeError("this index let go of its matching keys (forget_keys): it can only look up ids")

    def by_node_id(self, label: str, node_id: str) -> Entity | None:
        """The entity whose node has this id (not one whose other records had it): the end of a resolved tie."""
        entity = self.get(label, node_id)
        return entity if entity is not None and entity.id == node_id else None

    def get(self, label: str, record_id: str) -> Entity | None:
        by_id = self._by_record_id.get(label)
        return None if by_id is None else by_id.get(record_id)

    def find_by_name(self, text: str, classes: Iterable[str]) -> tuple[Entity | None, str, float]:
        """The entity a name refers to among the given classes, with the rule that found it."""
        self._still_matching()
        key = match_key(text)
        canonical = self.curation.aliases.get(key)
        attempts: list[StrongKey] = [("name", key, "same name", 0.95)]
        if canonical:
            attempts.append(("name", match_key(canonical), "curated alias", 0.9))
        attempts.append(("core", legal_core(text) or key, "same name without legal form", 0.85))
        for kind, lookup, rule, confidence in attempts:
            for label in classes:
                entity = self._keyed(label, kind, lookup)
                if entity is not None and (kind == "name" or label == "Enterprise"):
                    return entity, rule, confidence
        if "Enterprise" in classes:
            listed, _ = self._listed_firm([text])
            if listed is not None:
                return listed, *ABBREVIATION
        return None, "", 0.0

    def create_from_reference(self, ref: TargetRef, provenance: Provenance) -> Entity | None:
        """A node for a named entity that no source lists, when the name tells its class."""
        name = strip_note(ref.text)
        label = class_from_name(name, ref.classes)
        if label is None:
            return None
        prefix = {
            "GovernmentAgency": "agency",
            "Enterprise": "enterprise",
            "University": "university",
            "Laboratory": "lab",
            "ResearchInstitution": "institution",
        }[label]
        record = NodeRecord(
            label=label,
            id=f"{prefix}/{mint_key(name)}",
            props={"name_zh": name},
            provenance=Provenance(provenance.source, provenance.file, provenance.row, provenance.url, "derived"),
            names=(name,),
            priority=90,
            from_reference=True,
        )
        return self.add(record)

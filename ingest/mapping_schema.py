"""The mapping language as a schema: every key, its type, and what it may name.

A mapping is checked in three passes before any data row is read: the YAML itself (UTF-8, well formed, no
key twice), its shape (pydantic models with ``extra="forbid"``: unknown keys and wrong types), and its meaning
(converters and their options, ontology classes, properties and relationships, resolvers). Every problem is
a ``MappingIssue`` naming the file, the YAML line, the key path and, where one fits, a "did you mean" hint;
all of them are raised together in one ``MappingError``. docs/MAPPINGS.md documents every key listed here.
"""

from __future__ import annotations

import difflib
import functools
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from graph.errors import ClusterKGError

Key = str | int
KeyPath = tuple[Key, ...]

RESOLVERS = ("place", "cluster", "organization", "id", "category")
PROPERTY_KEYS = ("column", "value", "type", "required", "priority")  # the rest of a property's keys are options
SKIP_CONDITIONS = ("contains", "equals", "not_equals", "not_in", "not_startswith")
# Properties every node gets from the pipeline (id, provenance, bookkeeping): a mapping never sets them.
PIPELINE_PROPERTIES = frozenset(
    {"id", "chain_stage", "ingest_run", "record_hash", "source_file", "source_row", "source_url", "source_refs"}
    | {"confidence", "claims_json"}
)


@dataclass(frozen=True)
class MappingIssue:
    file: str
    line: int
    path: str  # the key path, e.g. node.properties.name_zh.required
    message: str
    hint: str | None = None

    def describe(self) -> str:
        where = f"{self.file}:{self.line}: " + (f"{self.path}: " if self.path else "")
        return where + self.message + (f"; {self.hint}" if self.hint else "")


class MappingError(ClusterKGError):
    """A mapping file is malformed or does not fit the ontology; ``issues`` lists every problem found."""

    def __init__(self, message: str, issues: Sequence[MappingIssue] = ()) -> None:
        super().__init__(message)
        self.issues = tuple(issues)


def did_you_mean(word: object, choices: Sequence[str], what: str = "") -> str | None:
    """A hint: the closest allowed names, or the allowed names themselves when none is close."""
    close = [] if word is None else difflib.get_close_matches(str(word), list(choices), n=2, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "?"
    if not choices:
        return None
    shown = ", ".join(list(choices)[:25]) + (" …" if len(choices) > 25 else "")
    return f"the {what or 'allowed names'} are: {shown}"


# --- the shape: pydantic models ---------------------------------------------------------------------------


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=False)


class RowsSpec(_Spec):
    min: int = Field(default=0, ge=0, description="fewest rows the file must have (rows read: a truncated file fails)")
    max: int | None = Field(
        default=None, ge=0, description="most rows the file may have (rows read: a wrong file fails)"
    )
    min_loaded: int | None = Field(
        default=None, ge=0, description="fewest rows that must load after skips and rejections (default 1 when min > 0)"
    )
    max_loaded: int | None = Field(default=None, ge=0, description="most rows that may load after skips and rejections")


class SkipSpec(_Spec):
    column: str = Field(description="the column the condition reads")
    reason: str = Field(description="why such rows are not entities of this source (shown in the report)")
    contains: str | None = Field(default=None, description="skip when the cell contains this text")
    equals: str | None = Field(default=None, description="skip when the cell is exactly this text")
    not_equals: str | None = Field(default=None, description="skip when the cell is anything but this text")
    not_in: list[str] | None = Field(default=None, description="skip when the cell is none of these texts")
    not_startswith: str | None = Field(default=None, description="skip when the cell does not start with this text")


class IdSpec(_Spec):
    prefix: str = Field(description="the id's first part, e.g. enterprise → enterprise/<key>")
    value: str | None = Field(default=None, description="a property whose value is the key as it is (a code)")
    key: list[str] = Field(default_factory=list, description="properties whose values mint the key")

    @model_validator(mode="before")
    @classmethod
    def _one_key_is_a_list(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("key"), str):
            return {**data, "key": [data["key"]]}
        return data


class AliasesSpec(_Spec):
    columns: list[str] = Field(default_factory=list, description="columns holding other names (split on ;)")
    from_brackets: str | None = Field(default=None, description="a property whose trailing （short name） is an alias")


class PropertySpec(_Spec):
    column: str | None = Field(default=None, description="the column the value comes from")
    value: str | int | float | bool | None = Field(default=None, description="a constant instead of a column")
    type: str = Field(default="text", description="the converter that turns the cell's text into a value")
    required: bool = Field(default=False, description="a row without a valid value here is rejected")
    priority: int | None = Field(default=None, description="this source's precedence for this property; lower wins")
    options: dict[str, Any] = Field(default_factory=dict, exclude=True)  # the converter's options, checked later

    @model_validator(mode="before")
    @classmethod
    def _gather_options(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        options = {k: v for k, v in data.items() if k not in PROPERTY_KEYS}
        return {**{k: v for k, v in data.items() if k in PROPERTY_KEYS}, "options": options}


class NodeSpec(_Spec):
    class_: str = Field(alias="class", description="the ontology class of the row's node")
    id: IdSpec = Field(description="how the node's id is made")
    priority: int = Field(default=50, description="this source's precedence when records merge; lower wins")
    merge_by_name: bool = Field(default=True, description="false when a code is the identity and equal names differ")
    datum: str | None = Field(
        default=None, description="the coordinates' datum: gcj02, bd09 or wgs84 (stored as WGS-84)"
    )
    aliases: AliasesSpec = Field(default=AliasesSpec(), description="other names to match the node by")
    properties: dict[str, PropertySpec] = Field(description="ontology property → where its value comes from")


class ProvenanceSpec(_Spec):
    url: str | None = Field(default=None, description="a column with each row's cited URL")
    confidence: str | None = Field(default=None, description="a column with each row's confidence")
    url_value: str | None = Field(default=None, description="the URL for rows without one in the url column")
    confidence_value: str | None = Field(default=None, description="the confidence for rows without one")


class LinkSpec(_Spec):
    type: str = Field(description="the relationship type (UPPER_SNAKE, from the ontology)")
    column: str = Field(description="the column naming the far end")
    to: str = Field(description="how the far end is found: " + ", ".join(RESOLVERS))
    classes: list[str] = Field(default_factory=list, description="the classes the far end may be")
    split: bool = Field(default=False, description="the cell lists several (split on ; and ；)")
    direction: Literal["out", "in"] = Field(default="out", description="in: the row's node is the relationship's end")
    required: bool = Field(default=False, description="a far end that cannot be found is an error, not a warning")
    create: bool = Field(default=False, description="create the far end when no known entity has that name")
    role: str | None = Field(default=None, description="stored as the relationship's role property")
    ignore: list[str] = Field(default_factory=list, description="cell values that state no relationship")


class MappingSpec(_Spec):
    source: str = Field(description="the source's name (in the report, provenance and --retract)")
    description: str = Field(default="", description="what the list is, in a line")
    file: str = Field(description="the data file, relative to the data folder")
    sheet: str | None = Field(default=None, description="the XLSX sheet to read (default: the first)")
    rows: RowsSpec = Field(default=RowsSpec(), description="row-count bounds")
    skip: list[SkipSpec] = Field(default_factory=list, description="rows that are not entities of this source")
    node: NodeSpec = Field(description="the node each row becomes")
    provenance: ProvenanceSpec = Field(default=ProvenanceSpec(), description="where each row's claim is from")
    links: list[LinkSpec] = Field(default_factory=list, description="relationships each row states")


def mappable_properties(node_class: Any) -> list[str]:
    """The properties of an ontology class that a mapping may fill."""
    return [p for p in node_class.property_names if p not in PIPELINE_PROPERTIES]


def model_keys(model: type[BaseModel]) -> list[str]:
    """The YAML keys a model accepts (aliases as written), without the internal ``options``."""
    return [f.alias or name for name, f in model.model_fields.items() if not f.exclude]


def _model_in(annotation: Any) -> Any:
    """The annotation without ``None``: ``X | None`` → X."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _walk(loc: Sequence[Key]) -> tuple[KeyPath, Any]:
    """The part of a pydantic error location that names YAML keys, and the type found there."""
    kind: Any = MappingSpec
    out: list[Key] = []
    for part in loc:
        origin = typing.get_origin(kind)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            field = next((f for n, f in kind.model_fields.items() if (f.alias or n) == part), None)
            out.append(part)
            if field is None:
                return tuple(out), None
            kind = _model_in(field.annotation)
        elif origin is list and isinstance(part, int):
            out.append(part)
            kind = _model_in(typing.get_args(kind)[0])
        elif origin is dict and part != "[key]":
            out.append(part)
            kind = _model_in(typing.get_args(kind)[1])
        else:  # a union member's tag or a dict key's marker: not a YAML key
            break
    return tuple(out), kind


_TYPE_HINTS = {
    "int": "write a whole number, e.g. 100",
    "float": "write a number, e.g. 20.5",
    "bool": "write true or false",
    "string": 'write text; quote it if YAML reads it as a number or a date, e.g. "441900"',
    "dict": "write key: value pairs (e.g. {column: name, type: name}), not a list",
    "model": "write key: value pairs (e.g. {column: name, type: name}), not a list",
    "list": "write a list, e.g. [a, b]",
}


def _type_hint(error_type: str) -> str | None:
    return next((hint for kind, hint in _TYPE_HINTS.items() if error_type.startswith(kind)), None)


def _message(error: Any, path: KeyPath) -> tuple[str, str | None]:
    kind, key = error["type"], path[-1] if path else ""
    if kind == "extra_forbidden":
        _, parent = _walk(path[:-1])
        allowed = model_keys(parent) if isinstance(parent, type) and issubclass(parent, BaseModel) else []
        return f"unknown key {key!r}", did_you_mean(key, allowed, "keys allowed here")
    if kind == "missing":
        where = dotted(path[:-1]) or "the top level"
        return "this key is required but missing", f"add {key}: to {where} (docs/MAPPINGS.md lists every key)"
    shown = repr(error.get("input"))[:60]
    message = f"{error['msg'][0].lower()}{error['msg'][1:]}, not {shown}"
    if kind == "literal_error":
        _, literal = _walk(path)
        return message, did_you_mean(error.get("input"), [str(a) for a in typing.get_args(literal)], "values")
    return message, _type_hint(kind)


def shape_issues(data: Any, file: str, lines: dict[KeyPath, int]) -> tuple[MappingSpec | None, list[MappingIssue]]:
    """Pass 2: the document against the models; one issue per key (a union's several errors become one)."""
    if not isinstance(data, dict):
        start = "start from `ckg mapping new DATA_FILE` or the example in docs/MAPPINGS.md"
        return None, [MappingIssue(file, 1, "", "a mapping must be key: value pairs (source, file, node …)", start)]
    try:
        return MappingSpec.model_validate(data), []
    except ValidationError as exc:
        issues: dict[KeyPath, MappingIssue] = {}
        for error in exc.errors():
            path, _ = _walk(error["loc"])
            if path not in issues:
                message, hint = _message(error, path)
                issues[path] = MappingIssue(file, line_of(lines, path), dotted(path), message, hint)
        return None, list(issues.values())


def dotted(path: Sequence[Key]) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")


def line_of(lines: dict[KeyPath, int], path: Sequence[Key]) -> int:
    """The YAML line of a key; a missing key's nearest present parent."""
    path = tuple(path)
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


# --- pass 1: the YAML, with the line of every key ----------------------------------------------------------


def read_yaml(path: Path) -> tuple[Any, dict[KeyPath, int], list[MappingIssue]]:
    """The document, the line of every key path, and duplicate keys; MappingError when it is not YAML at all."""
    if path.is_dir():
        raise MappingError(f"{path} is a folder, not a mapping file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise MappingError(f"{path}: no such mapping file") from None
    except UnicodeDecodeError as exc:
        raise MappingError(f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise MappingError(f"{path}: cannot read the mapping ({exc.strerror})") from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise MappingError(f"{path}{line}: not valid YAML: {problem}") from None
    finally:
        loader.dispose()
    if node is None:
        raise MappingError(f"{path} is empty: a mapping needs at least source, file and node")
    lines: dict[KeyPath, int] = {}
    duplicates: list[MappingIssue] = []
    _record_lines(node, (), lines, duplicates, str(path))
    return data, lines, duplicates


def _record_lines(
    node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], duplicates: list[MappingIssue], file: str
) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key_path, line = (*path, str(key_node.value)), key_node.start_mark.line + 1
            if key_path[-1] in seen:
                hint = "YAML would silently keep only the last one; remove or rename one of them"
                duplicates.append(MappingIssue(file, line, dotted(key_path), "this key appears twice", hint))
            seen.add(str(key_node.value))
            lines[key_path] = line
            _record_lines(value_node, key_path, lines, duplicates, file)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _record_lines(item, (*path, i), lines, duplicates, file)


@functools.cache  # one model per converter, built from its signature
def option_model(converter: str) -> type[BaseModel]:
    """The options of one converter as a strict model, from its signature in ingest/values.py."""
    from ingest.values import converter_options

    fields: dict[str, Any] = dict(converter_options(converter).items())
    model: type[BaseModel] = create_model(
        f"{converter}_options", __config__=ConfigDict(extra="forbid", strict=True), **fields
    )
    return model


def schema_keys() -> dict[str, list[str]]:
    """Every name of the mapping language, by where it goes: for the docs and their test."""
    from ingest.geo import TO_WGS84
    from ingest.values import CONVERTERS, converter_options

    keys = {
        "top level": model_keys(MappingSpec),
        "rows": model_keys(RowsSpec),
        "skip": model_keys(SkipSpec),
        "node": model_keys(NodeSpec),
        "node.id": model_keys(IdSpec),
        "node.aliases": model_keys(AliasesSpec),
        "node.properties": model_keys(PropertySpec),
        "provenance": model_keys(ProvenanceSpec),
        "links": model_keys(LinkSpec),
        "resolvers": list(RESOLVERS),
        "converters": list(CONVERTERS),
        "datum": list(TO_WGS84),
        "direction": ["out", "in"],
    }
    for name in CONVERTERS:
        keys[f"options of {name}"] = list(converter_options(name))
    return keys


# --- pass 3: the meaning: converters, ontology, resolvers ---------------------------------------------------


class _Issues:
    """Collects pass-3 issues with their lines."""

    def __init__(self, file: str, lines: dict[KeyPath, int]) -> None:
        self.file, self.lines, self.found = file, lines, list[MappingIssue]()

    def add(
        self, path: KeyPath, message: str, word: object = None, choices: Sequence[str] = (), what: str = "", **hint: str
    ) -> None:
        found = did_you_mean(word, choices, what) if choices else None
        self.found.append(self.issue(path, message, found or hint.get("hint")))

    def issue(self, path: KeyPath, message: str, hint: str | None) -> MappingIssue:
        return MappingIssue(self.file, line_of(self.lines, path), dotted(path), message, hint)


def meaning_issues(spec: MappingSpec, schema: Any, file: str, lines: dict[KeyPath, int]) -> list[MappingIssue]:
    issues = _Issues(file, lines)
    _check_rows(spec.rows, issues)
    _check_skips(spec.skip, issues)
    _check_node(spec.node, schema, issues)
    _check_links(spec, schema, issues)
    return sorted(issues.found, key=lambda i: i.line)


def _check_rows(rows: RowsSpec, issues: _Issues) -> None:
    if rows.max is not None and rows.min > rows.max:
        issues.add(
            ("rows", "min"), f"min {rows.min} is above max {rows.max}", hint="min is the fewest rows, max the most"
        )
    if rows.min_loaded is not None and rows.max_loaded is not None and rows.min_loaded > rows.max_loaded:
        message = f"min_loaded {rows.min_loaded} is above max_loaded {rows.max_loaded}"
        issues.add(("rows", "min_loaded"), message, hint="min_loaded is the fewest rows to load, max_loaded the most")


def _check_skips(skips: list[SkipSpec], issues: _Issues) -> None:
    for i, skip in enumerate(skips):
        given = [c for c in SKIP_CONDITIONS if getattr(skip, c) is not None]
        if len(given) != 1:
            message = f"a skip rule needs exactly one condition, has {len(given)}"
            issues.add(("skip", i), message, hint=f"use one of {', '.join(SKIP_CONDITIONS)}; write two rules for two")


def _check_node(node: NodeSpec, schema: Any, issues: _Issues) -> None:
    from ingest.geo import TO_WGS84

    classes = [c.name for c in schema.node_classes]
    cls = schema.classes.get(node.class_)
    if cls is None or cls.abstract:
        issues.add(("node", "class"), f"unknown class {node.class_!r}", node.class_, classes, "ontology's classes")
    if node.datum is not None and node.datum not in TO_WGS84:
        issues.add(("node", "datum"), f"unknown datum {node.datum!r}", node.datum, list(TO_WGS84), "datums")
    for name, prop in node.properties.items():
        path: KeyPath = ("node", "properties", name)
        if cls is not None and name not in cls.property_names:
            what = f"properties of {cls.name}"
            choices = mappable_properties(cls)
            issues.add(path, f"{cls.name} has no property {name!r} in the ontology", name, choices, what)
        elif name in PIPELINE_PROPERTIES:
            issues.add(path, f"{name!r} is set by the pipeline, not by a mapping", hint="remove it")
        _check_property(prop, path, issues)
    own = list(node.properties)
    if not node.id.key and not node.id.value:
        message = "the id needs a key (properties to mint it from) or a value (a code property)"
        issues.add(("node", "id"), message, hint="e.g. id: {prefix: enterprise, key: name_zh}")
    named: list[tuple[KeyPath, str | None]] = [(("node", "id", "key", i), k) for i, k in enumerate(node.id.key)]
    named += [
        (("node", "id", "value"), node.id.value),
        (("node", "aliases", "from_brackets"), node.aliases.from_brackets),
    ]
    for where, prop_name in named:
        if prop_name is not None and prop_name not in own:
            message = f"{prop_name!r} is not one of this mapping's properties"
            issues.add(where, message, prop_name, own, "mapping's properties")


def _check_property(prop: PropertySpec, path: KeyPath, issues: _Issues) -> None:
    from ingest.values import CONVERTERS

    if prop.type not in CONVERTERS:
        issues.add((*path, "type"), f"unknown type {prop.type!r}", prop.type, list(CONVERTERS), "types")
        return
    before = len(issues.found)
    _check_options(prop, path, issues)
    if len(issues.found) > before:
        return  # a misspelt ``colum:`` or ``vaules:`` explains what follows; say it once
    if (prop.column is None) == (prop.value is None):
        message = "a property needs either a column or a value (a constant), not both or neither"
        issues.add(path, message, hint="e.g. {column: 名称} or {value: accelerator}")
    if prop.type == "enum" and not prop.options.get("values"):
        issues.add((*path, "type"), "an enum needs its values", hint="add values: [a, b, …] to the property")


def _check_options(prop: PropertySpec, path: KeyPath, issues: _Issues) -> None:
    """The keys of a property beyond column/value/type/required/priority must be options of its converter."""
    model = option_model(prop.type)
    try:
        model.model_validate(prop.options)
    except ValidationError as exc:
        for error in exc.errors():
            where: KeyPath = (*path, *error["loc"])
            if error["type"] == "extra_forbidden":
                key, options = error["loc"][0], ", ".join(model.model_fields)
                takes = f"the options {options}" if options else "no options"
                allowed = [*model_keys(PropertySpec), *model.model_fields]
                issues.add(
                    where, f"unknown key {key!r} (type {prop.type} takes {takes})", key, allowed, "keys allowed here"
                )
            else:
                issues.found.append(issues.issue(where, *_message(error, where)))


def _check_links(spec: MappingSpec, schema: Any, issues: _Issues) -> None:
    classes = [c.name for c in schema.node_classes]
    for i, link in enumerate(spec.links):
        path: KeyPath = ("links", i)
        rel = schema.relationships.get(link.type)
        if rel is None:
            known = list(schema.relationships)
            what = "ontology's relationship types"
            issues.add((*path, "type"), f"unknown relationship type {link.type!r}", link.type, known, what)
        if link.to not in RESOLVERS:
            issues.add((*path, "to"), f"unknown resolver {link.to!r}", link.to, RESOLVERS, "resolvers")
        for j, name in enumerate(link.classes):
            if name not in classes:
                issues.add((*path, "classes", j), f"unknown class {name!r}", name, classes, "ontology's classes")
        if rel is None:
            continue
        own_side, far_side = (rel.range, rel.domain) if link.direction == "in" else (rel.domain, rel.range)
        if spec.node.class_ in classes and spec.node.class_ not in own_side:
            message = (
                f"{link.type} cannot have {spec.node.class_} at its {'end' if link.direction == 'in' else 'start'}"
            )
            issues.add(path, message, None, own_side, "classes allowed there")
        wrong = [c for c in link.classes if c in classes and c not in far_side]
        if wrong:
            message = f"{link.type} cannot reach {', '.join(wrong)}"
            issues.add((*path, "classes"), message, None, far_side, "classes it can reach")


def check_mapping(path: Path, schema: Any) -> tuple[MappingSpec, dict[KeyPath, int]]:
    """All three passes; the valid spec and its key lines, or MappingError listing every issue."""
    data, lines, issues = read_yaml(path)
    spec, shape = shape_issues(data, str(path), lines)
    issues += shape
    if spec is not None:
        issues += meaning_issues(spec, schema, str(path), lines)
    if issues:
        issues.sort(key=lambda i: i.line)
        count = f"{len(issues)} problem{'s' if len(issues) > 1 else ''}"
        raise MappingError(f"{path}: {count}:\n" + "\n".join("  " + i.describe() for i in issues), issues)
    assert spec is not None
    return spec, lines

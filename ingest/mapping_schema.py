"""The mapping language as a schema: every key, its type, and what it may name.

The pydantic models here (``extra="forbid"``, strict) are the shape of a mapping; the lists beside them
(resolvers, skip conditions, pipeline properties) and each converter's options are what its keys may name.
ingest/mapping_checks.py checks a mapping file against them. Every problem is a ``MappingIssue`` naming the
file, the YAML line, the key path and, where one fits, a "did you mean" hint; all of them are raised together
in one ``MappingError``. docs/MAPPINGS.md documents every key listed here.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

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


# What a hint's list of names is, in Chinese (``did_you_mean``'s ``what``)
_WHAT_ZH = {
    "keys allowed here": "此处可用的键",
    "file's columns": "文件的列",
    "ontology's classes": "本体的类",
    "ontology's relationship types": "本体的关系类型",
    "datums": "坐标基准",
    "mapping's properties": "本映射的属性",
    "types": "类型",
    "resolvers": "消解方式",
    "classes allowed there": "此处允许的类",
    "classes it can reach": "它能指向的类",
    "values": "取值",
    "classes": "类",
}


def did_you_mean(word: object, choices: Sequence[str], what: str = "") -> str | None:
    """A hint: the closest allowed names, or the allowed names themselves when none is close, in both languages."""
    close = [] if word is None else difflib.get_close_matches(str(word), list(choices), n=2, cutoff=0.6)
    if close:
        return f"是否指 {' 或 '.join(map(repr, close))}？ / did you mean {' or '.join(map(repr, close))}?"
    if not choices:
        return None
    shown = ", ".join(list(choices)[:25]) + (" …" if len(choices) > 25 else "")
    what_zh = _WHAT_ZH.get(what, "可用的名称") if not what.startswith("properties of ") else f"{what[14:]} 的属性"
    return f"{what_zh}：{shown} / the {what or 'allowed names'} are: {shown}"


def dotted(path: Sequence[Key]) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")


def line_of(lines: dict[KeyPath, int], path: Sequence[Key]) -> int:
    """The YAML line of a key; a missing key's nearest present parent."""
    path = tuple(path)
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


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
    reason: str = Field(
        description='why such rows are not entities of this source (shown in the report): "中文 / English" for both'
    )
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
    from_brackets: str | None = Field(
        default=None, description="a property whose trailing （second name） and what stands before it are aliases"
    )


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

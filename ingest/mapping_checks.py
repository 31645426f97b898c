"""Checking a mapping file against the mapping schema and the ontology, before any data row is read.

Three passes: the YAML itself (UTF-8, well formed, no key twice), its shape (the pydantic models of
ingest/mapping_schema.py: unknown keys and wrong types), and its meaning (converters and their options,
ontology classes, properties and relationships, resolvers). ``check_mapping`` runs all three and raises one
``MappingError`` listing every issue with its line.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from graph.errors import SchemaError
from ingest.mapping_schema import (
    PIPELINE_PROPERTIES,
    RESOLVERS,
    SKIP_CONDITIONS,
    Key,
    KeyPath,
    MappingError,
    MappingIssue,
    MappingSpec,
    NodeSpec,
    PropertySpec,
    RowsSpec,
    SkipSpec,
    did_you_mean,
    dotted,
    line_of,
    mappable_properties,
    model_keys,
    option_model,
)

# --- pass 1: the YAML, with the line of every key ----------------------------------------------------------


def read_yaml(path: Path) -> tuple[Any, dict[KeyPath, int], list[MappingIssue]]:
    """The document, the line of every key path, and duplicate keys; MappingError when it is not YAML at all."""
    if path.is_dir():
        raise MappingError(f"{path}: 是文件夹而非映射文件 / is a folder, not a mapping file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise MappingError(f"{path}: 没有这个映射文件 / no such mapping file") from None
    except UnicodeDecodeError as exc:
        raise MappingError(
            f"{path}: 不是 UTF-8 文本（第 {exc.start} 字节），请另存为 UTF-8 / "
            f"is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise MappingError(f"{path}: 无法读取映射 / cannot read the mapping ({exc.strerror})") from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise MappingError(f"{path}{line}: 不是有效的 YAML / not valid YAML: {problem}") from None
    except (ValueError, RecursionError) as exc:  # a date like 2001-13-45, a 5,000-digit number, nesting past the stack
        detail = f"{type(exc).__name__}: {str(exc)[:200]}"
        raise MappingError(f"{path}: 无法读取的 YAML / not readable YAML ({detail})") from None
    finally:
        loader.dispose()
    if node is None:
        raise MappingError(
            f"{path}: 映射是空的，至少需要 source、file 和 node / "
            "is empty: a mapping needs at least source, file and node"
        )
    lines: dict[KeyPath, int] = {}
    duplicates: list[MappingIssue] = []
    _record_lines(node, (), lines, duplicates, str(path), set())
    return data, lines, duplicates


def _record_lines(
    node: yaml.Node,
    path: KeyPath,
    lines: dict[KeyPath, int],
    duplicates: list[MappingIssue],
    file: str,
    walked: set[int],
) -> None:
    """The line of each key path, and keys repeated in a mapping. A node an alias names again is walked once: nine
    levels of ten aliases each (a 675-byte file) were a billion paths."""
    lines.setdefault(path, node.start_mark.line + 1)
    if id(node) in walked:
        return
    walked.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key_path, line = (*path, str(key_node.value)), key_node.start_mark.line + 1
            if key_path[-1] in seen:
                hint = (
                    "YAML 会悄悄只保留最后一个，请删除或改名其一 / "
                    "YAML would silently keep only the last one; remove or rename one of them"
                )
                twice = "这个键出现了两次 / this key appears twice"
                duplicates.append(MappingIssue(file, line, dotted(key_path), twice, hint))
            seen.add(str(key_node.value))
            lines[key_path] = line
            _record_lines(value_node, key_path, lines, duplicates, file, walked)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _record_lines(item, (*path, i), lines, duplicates, file, walked)


# --- pass 2: the shape: the document against the models ---------------------------------------------------


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
    "int": "请写整数，如 100 / write a whole number, e.g. 100",
    "float": "请写数字，如 20.5 / write a number, e.g. 20.5",
    "bool": "请写 true 或 false / write true or false",
    "string": '请写文本；YAML 会当作数字或日期的，加引号，如 "441900" / '
    'write text; quote it if YAML reads it as a number or a date, e.g. "441900"',
    "dict": "请写“键: 值”对（如 {column: name, type: name}），而非列表 / "
    "write key: value pairs (e.g. {column: name, type: name}), not a list",
    "model": "请写“键: 值”对（如 {column: name, type: name}），而非列表 / "
    "write key: value pairs (e.g. {column: name, type: name}), not a list",
    "list": "请写列表，如 [a, b] / write a list, e.g. [a, b]",
}


# What pydantic's error said a key wanted, in Chinese (by its error type's start, as ``_TYPE_HINTS``)
_WANTED_ZH = {
    "int": "应为整数",
    "float": "应为数字",
    "bool": "应为 true 或 false",
    "string": "应为文本",
    "dict": "应为“键: 值”对",
    "model": "应为“键: 值”对",
    "list": "应为列表",
    "literal": "不是可选的取值之一",
}


def _type_hint(error_type: str) -> str | None:
    return next((hint for kind, hint in _TYPE_HINTS.items() if error_type.startswith(kind)), None)


def _message(error: Any, path: KeyPath) -> tuple[str, str | None]:
    kind, key = error["type"], path[-1] if path else ""
    if kind == "extra_forbidden":
        _, parent = _walk(path[:-1])
        allowed = model_keys(parent) if isinstance(parent, type) and issubclass(parent, BaseModel) else []
        return f"未知的键 {key!r} / unknown key {key!r}", did_you_mean(key, allowed, "keys allowed here")
    if kind == "missing":
        where = dotted(path[:-1])
        return (
            "缺少必需的键 / this key is required but missing",
            f"在{f' {where} 中' if where else '顶层'}加上 {key}:（docs/MAPPINGS.md 列出了每个键） / "
            f"add {key}: to {where or 'the top level'} (docs/MAPPINGS.md lists every key)",
        )
    shown = repr(error.get("input"))[:60]
    wanted = next((zh for prefix, zh in _WANTED_ZH.items() if kind.startswith(prefix)), "取值不合要求")
    message = f"{wanted}，而不是 {shown} / {error['msg'][0].lower()}{error['msg'][1:]}, not {shown}"
    if kind == "literal_error":
        _, literal = _walk(path)
        return message, did_you_mean(error.get("input"), [str(a) for a in typing.get_args(literal)], "values")
    return message, _type_hint(kind)


def shape_issues(data: Any, file: str, lines: dict[KeyPath, int]) -> tuple[MappingSpec | None, list[MappingIssue]]:
    """Pass 2: the document against the models; one issue per key (a union's several errors become one)."""
    if not isinstance(data, dict):
        start = (
            "可从 `ckg mapping new 数据文件` 或 docs/MAPPINGS.md 中的示例开始 / "
            "start from `ckg mapping new DATA_FILE` or the example in docs/MAPPINGS.md"
        )
        pairs = (
            "映射须由“键: 值”对组成（source、file、node …） / a mapping must be key: value pairs (source, file, node …)"
        )
        return None, [MappingIssue(file, 1, "", pairs, start)]
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
            ("rows", "min"),
            f"min {rows.min} 大于 max {rows.max} / min {rows.min} is above max {rows.max}",
            hint="min 是最少行数，max 是最多行数 / min is the fewest rows, max the most",
        )
    if rows.min_loaded is not None and rows.max_loaded is not None and rows.min_loaded > rows.max_loaded:
        low, high = rows.min_loaded, rows.max_loaded
        message = f"min_loaded {low} 大于 max_loaded {high} / min_loaded {low} is above max_loaded {high}"
        hint = (
            "min_loaded 是最少载入行数，max_loaded 是最多 / min_loaded is the fewest rows to load, max_loaded the most"
        )
        issues.add(("rows", "min_loaded"), message, hint=hint)


def _check_skips(skips: list[SkipSpec], issues: _Issues) -> None:
    for i, skip in enumerate(skips):
        given = [c for c in SKIP_CONDITIONS if getattr(skip, c) is not None]
        if len(given) != 1:
            count = len(given)
            message = f"跳过规则须恰有一个条件，现有 {count} 个 / a skip rule needs exactly one condition, has {count}"
            conditions = ", ".join(SKIP_CONDITIONS)
            hint = f"用 {conditions} 之一；两个条件写两条规则 / use one of {conditions}; write two rules for two"
            issues.add(("skip", i), message, hint=hint)


def _check_node(node: NodeSpec, schema: Any, issues: _Issues) -> None:
    from ingest.geo import TO_WGS84

    classes = [c.name for c in schema.node_classes]
    cls = schema.classes.get(node.class_)
    if cls is None or cls.abstract:
        unknown = f"未知的类 {node.class_!r} / unknown class {node.class_!r}"
        issues.add(("node", "class"), unknown, node.class_, classes, "ontology's classes")
    if node.datum is not None and node.datum not in TO_WGS84:
        unknown = f"未知的坐标基准 {node.datum!r} / unknown datum {node.datum!r}"
        issues.add(("node", "datum"), unknown, node.datum, list(TO_WGS84), "datums")
    for name, prop in node.properties.items():
        path: KeyPath = ("node", "properties", name)
        if cls is not None and name not in cls.property_names:
            what = f"properties of {cls.name}"
            choices = mappable_properties(cls)
            message = f"本体中 {cls.name} 没有属性 {name!r} / {cls.name} has no property {name!r} in the ontology"
            issues.add(path, message, name, choices, what)
        elif name in PIPELINE_PROPERTIES:
            message = f"{name!r} 由流水线设置，不由映射设置 / {name!r} is set by the pipeline, not by a mapping"
            issues.add(path, message, hint="删掉它 / remove it")
        _check_property(prop, path, issues)
        if cls is not None and name in cls.property_names:
            _check_fits(cls.get_property(name), prop, path, issues)
    own = list(node.properties)
    if not node.id.key and not node.id.value:
        message = (
            "标识需要 key（据以生成的属性）或 value（代码属性） / "
            "the id needs a key (properties to mint it from) or a value (a code property)"
        )
        issues.add(("node", "id"), message, hint="如 / e.g. id: {prefix: enterprise, key: name_zh}")
    named: list[tuple[KeyPath, str | None]] = [(("node", "id", "key", i), k) for i, k in enumerate(node.id.key)]
    named += [
        (("node", "id", "value"), node.id.value),
        (("node", "aliases", "from_brackets"), node.aliases.from_brackets),
    ]
    for where, prop_name in named:
        if prop_name is not None and prop_name not in own:
            message = f"{prop_name!r} 不是本映射的属性 / {prop_name!r} is not one of this mapping's properties"
            issues.add(where, message, prop_name, own, "mapping's properties")


def _check_property(prop: PropertySpec, path: KeyPath, issues: _Issues) -> None:
    from ingest.values import CONVERTERS

    if prop.type not in CONVERTERS:
        unknown = f"未知的类型 {prop.type!r} / unknown type {prop.type!r}"
        issues.add((*path, "type"), unknown, prop.type, list(CONVERTERS), "types")
        return
    before = len(issues.found)
    _check_options(prop, path, issues)
    if len(issues.found) > before:
        return  # a misspelt ``colum:`` or ``vaules:`` explains what follows; say it once
    if (prop.column is None) == (prop.value is None):
        message = (
            "属性须有 column 或 value（常量）之一，不能两者都有或都没有 / "
            "a property needs either a column or a value (a constant), not both or neither"
        )
        issues.add(
            path,
            message,
            hint="如 {column: 名称} 或 {value: accelerator} / e.g. {column: 名称} or {value: accelerator}",
        )
    if prop.type == "enum" and not prop.options.get("values"):
        hint = "给属性加上 values: [a, b, …] / add values: [a, b, …] to the property"
        issues.add((*path, "type"), "枚举须列出取值 / an enum needs its values", hint=hint)


# A value of each type's converter, to ask the store's own check whether the ontology's property takes it
_CONVERTED = {
    "text": "x",
    "name": "x",
    "int": 1,
    "float": 1.5,
    "year": 2020,
    "date": "2020-01-01",
    "bool": True,
    "list": ["x"],
    "uscc": "x",
    "admin_code": "440300",
    "enum": "x",
}


def _check_fits(target: Any, prop: PropertySpec, path: KeyPath, issues: _Issues) -> None:
    """The property's values must be what the ontology's property holds (a list for a list, a number for a number):
    the store's own row check refused a whole run for it, after ``mapping check`` had passed."""
    from graph.row_checks import check_value

    given = prop.value if prop.column is None else _CONVERTED.get(prop.type)
    if given is None:
        return  # an unknown type or no value: said already
    try:
        check_value(target, given, "")
    except SchemaError:
        what = f"value {prop.value!r}" if prop.column is None else f"type {prop.type}"
        what_zh = f"取值 {prop.value!r}" if prop.column is None else f"类型 {prop.type}"
        message = (
            f"本体中 {target.name} 存为 {target.store_type}，{what_zh} 不合 / "
            f"{target.name} is {target.store_type} in the ontology; {what} does not fit it"
        )
        hint = _FITTING.get(target.store_type, "")
        issues.add((*path, "type" if prop.column is not None else "value"), message, hint=hint)


_FITTING = {  # the types that give what each store type holds
    "STRING[]": "用 type: list / use type: list",
    "INT64": "用 type: int 或 year / use type: int or year",
    "DOUBLE": "用 type: float 或 int / use type: float or int",
    "BOOLEAN": "用 type: bool / use type: bool",
    "STRING": "用 type: text、name、date、uscc、admin_code 或 enum / "
    "use type: text, name, date, uscc, admin_code or enum",
}


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
                takes_zh = f"可用的选项：{options}" if options else "没有选项"
                message = (
                    f"未知的键 {key!r}（类型 {prop.type} {takes_zh}） / "
                    f"unknown key {key!r} (type {prop.type} takes {takes})"
                )
                issues.add(where, message, key, allowed, "keys allowed here")
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
            unknown = f"未知的关系类型 {link.type!r} / unknown relationship type {link.type!r}"
            issues.add((*path, "type"), unknown, link.type, known, what)
        if link.to not in RESOLVERS:
            unknown = f"未知的消解方式 {link.to!r} / unknown resolver {link.to!r}"
            issues.add((*path, "to"), unknown, link.to, RESOLVERS, "resolvers")
        for j, name in enumerate(link.classes):
            if name not in classes:
                unknown = f"未知的类 {name!r} / unknown class {name!r}"
                issues.add((*path, "classes", j), unknown, name, classes, "ontology's classes")
        if rel is None:
            continue
        own_side, far_side = (rel.range, rel.domain) if link.direction == "in" else (rel.domain, rel.range)
        if spec.node.class_ in classes and spec.node.class_ not in own_side:
            end = "end" if link.direction == "in" else "start"
            message = (
                f"{link.type} 的{'终点' if end == 'end' else '起点'}不能是 {spec.node.class_} / "
                f"{link.type} cannot have {spec.node.class_} at its {end}"
            )
            issues.add(path, message, None, own_side, "classes allowed there")
        wrong = [c for c in link.classes if c in classes and c not in far_side]
        if wrong:
            message = f"{link.type} 不能指向 {'、'.join(wrong)} / {link.type} cannot reach {', '.join(wrong)}"
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
        count = f"{len(issues)} 个问题 / {len(issues)} problem{'s' if len(issues) > 1 else ''}"
        raise MappingError(f"{path}: {count}:\n" + "\n".join("  " + i.describe() for i in issues), issues)
    assert spec is not None
    return spec, lines

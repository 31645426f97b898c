"""The catalogue of named queries: one ``.cypher`` file each, with a YAML header in ``//`` comments.

Header keys: ``name``, ``title`` (zh, en), ``description``, ``params`` (name → type, default, help),
``stage`` (a chain stage key, or ``all`` / ``policy`` / ``quality`` / ``explore``), ``kind`` (table, graph
or map), ``ordered`` (whether row order is part of the answer), and optionally ``parity_columns`` (the
columns both stores must agree on when the others may differ: which of several shortest paths, run ids).
A file ``NAME.embedded.cypher`` or ``NAME.neo4j.cypher`` beside ``NAME.cypher`` replaces the body on
that store. Two macros cover the smallest dialect gap without a variant: ``ckg_label(n)`` (a node's
label) and ``ckg_type(r)`` (a relationship's type). Values are always parameters, checked against the
header before anything runs.

One parameter is reserved and never declared: ``$row_cap``, the read's row cap plus one (no bound for ``run_all``).
A listing that sorts a whole cluster puts ``ORDER BY … LIMIT $row_cap`` before its per-row lookups, so the
database keeps the first rows while sorting (top-k) and looks up cities and names for those rows only; the answer
is the same as sorting everything and stopping at the cap (up to rows the ORDER BY ranks equal, whose order neither
fixes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

from graph import aggregates
from graph.errors import ClusterKGError, said_in_both
from graph.store import GraphStore, QueryResult
from queries import anchored, kept_counts, search, topology_lists, topology_route, topology_ties
from queries.full_scans import FULL_SCANS

QUERIES_DIR = Path(__file__).resolve().parent
KINDS = ("table", "graph", "map")
TYPES = ("string", "int", "float", "bool", "list")
BACKENDS = ("embedded", "neo4j")
ROW_CAP = "row_cap"
UNBOUNDED = 2**62  # the reserved $row_cap of a whole pull (read_all)
_MACROS = {
    "embedded": ((r"\bckg_label\(", "label("), (r"\bckg_type\(", "label(")),
    # every fact node on Neo4j also has the lookup label Entity (graph/neo4j_entity.py): not its class
    "neo4j": ((r"\bckg_label\((\w+)\)", r"[l IN labels(\1) WHERE l <> 'Entity'][0]"), (r"\bckg_type\(", "type(")),
}


# Queries answered through an index (same columns and rows as their body, which is the fallback).
# entity_neighbourhood and shortest_path: through the in-memory topology once it is built (queries/topology_route.py).
INDEXED: dict[str, Callable[..., QueryResult]] = {
    "search_entities": search.search_entities,
    "entity_neighbourhood": topology_route.entity_neighbourhood,
    "shortest_path": topology_route.shortest_path,
    # listings that sort a whole cluster, city or graph: their rows found and sorted in the in-memory topology once
    # it is built, the kept rows' other columns read by id (queries/topology_lists.py, topology_ties.py)
    "shared_entities": topology_lists.shared_entities,
    "cluster_entities": topology_lists.cluster_entities,
    "entities_without_city": topology_lists.entities_without_city,
    "city_district_entities": topology_lists.city_district_entities,
    "cluster_key_products": topology_ties.cluster_key_products,
    "ecosystem_links": topology_ties.ecosystem_links,
    "cluster_chain_graph": topology_ties.cluster_chain_graph,
    "projects_led_in_guangdong": topology_ties.projects_led_in_guangdong,
    # on the embedded store, the start entity's table named (queries/anchored.py)
    "entity_details": anchored.read,
    "entity_edges": anchored.read,
    "entity_clusters": anchored.read,
    "neighbourhood_edges": anchored.read,
}


class QueryError(ClusterKGError):
    """A named query is unknown, malformed, or was given wrong parameters."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Any = None
    required: bool = False
    help: str = ""  # "中文 / English", as the query's header gives it

    @property
    def help_in_both(self) -> tuple[str, str] | None:
        """The help's (Chinese, English); None for a help in one language only (a query saved from the console)."""
        return said_in_both(self.help)

    def convert(self, value: Any) -> Any:
        """A value from the CLI (text) or the app (typed) as the header's type, or QueryError."""
        if value is None:
            return None
        try:
            if self.type == "string":
                return str(value)
            if self.type == "int":
                if isinstance(value, bool):
                    raise ValueError
                number = int(value)
                if not -(2**63) <= number < 2**63:  # what both stores take as an integer
                    raise ValueError
                return number
            if self.type == "float":
                return float(value)
            if self.type == "bool":
                if isinstance(value, bool):
                    return value
                text = str(value).strip().lower()
                if text not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError
                return text in ("true", "1", "yes")
            if isinstance(value, str):
                return [v.strip() for v in value.split(",") if v.strip()]
            return [str(v) for v in value]
        except (TypeError, ValueError):
            raise QueryError(
                f"参数 {self.name} 须为 {self.type}，而不是 {value!r} / parameter {self.name} must be {self.type}, "
                f"got {value!r}"
            ) from None


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title_zh: str
    title_en: str
    description: str
    params: tuple[Param, ...]
    stage: str
    kind: str
    ordered: bool
    body: str
    variants: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    parity_columns: tuple[str, ...] = ()  # compared across stores when not every column is (ties, run ids)

    def text_for(self, store: GraphStore) -> str:
        """The query's text in the dialect of this store (a page shows it without knowing the store)."""
        return self.cypher_for(store.backend)

    def cypher_for(self, backend: str) -> str:
        if backend not in BACKENDS:
            raise QueryError(f"没有存储类型 {backend!r} / unknown backend {backend!r}")
        return expand_macros(backend, self.variants.get(backend, self.body))

    def bind(self, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Check and convert parameters: unknown names and missing required values are errors."""
        given = dict(given or {})
        known = {p.name for p in self.params}
        unknown = sorted(set(given) - known)
        if unknown:
            names = ", ".join(sorted(known)) or "none"
            which = ", ".join(unknown)
            raise QueryError(
                f"{self.name}：未知的参数 {which}（可用：{names}） / {self.name}: unknown parameter(s) {which} "
                f"(it takes: {names})"
            )
        bound: dict[str, Any] = {}
        for param in self.params:
            if param.name in given and given[param.name] not in (None, ""):
                bound[param.name] = param.convert(given[param.name])
            elif param.required:
                help_zh, help_en = param.help_in_both or (param.help, param.help)
                said_zh, said_en = (f"（{help_zh}）", f" ({help_en})") if param.help else ("", "")
                raise QueryError(
                    f"{self.name}：缺少必需的参数 {param.name}{said_zh} / {self.name}: parameter {param.name} is "
                    f"required{said_en}"
                )
            else:
                bound[param.name] = param.default
        return bound

    def with_row_cap(self, backend: str, bound: Mapping[str, Any], row_cap: int | None) -> dict[str, Any]:
        """The bound parameters plus the reserved ``$row_cap`` where the query's text uses it (None: no cap)."""
        if not _uses_row_cap(self.cypher_for(backend)):
            return dict(bound)
        return {**bound, ROW_CAP: UNBOUNDED if row_cap is None else row_cap + 1}

    def run(self, store: GraphStore, params: Mapping[str, Any] | None = None, **read_options: Any) -> QueryResult:
        """Within the store's limits (time, rows); ``read_options`` may only lower them."""
        cap = store.read_limits.within(read_options.get("timeout_s"), read_options.get("row_cap"))[1]
        bound = self.with_row_cap(store.backend, self.bind(params), cap)
        if self.name in INDEXED:  # answered through an index, with the body as the definition and fallback
            return INDEXED[self.name](store, bound, self.cypher_for(store.backend), **read_options)
        return store.read(self._text_on(store, bound), bound, **read_options)

    def run_all(self, store: GraphStore, params: Mapping[str, Any] | None = None) -> QueryResult:
        """Every row, no time limit: for the library's own whole pulls (analytics, exports, reports), never a page's."""
        bound = self.with_row_cap(store.backend, self.bind(params), None)
        return store.read_all(self._text_on(store, bound), bound)

    def _text_on(self, store: GraphStore, bound: Mapping[str, Any]) -> str:
        """The text to run: a query that reads the maintained counts runs its full scan (same answer, slower) on a
        store whose counts are missing or of an older version, until the next write path recounts them; a query
        the counts answer for some parameters only reads them for those, and one whose parameters they cannot
        answer runs its full scan (queries/kept_counts.py)."""
        if self.name in FULL_SCANS and (
            not aggregates.readable(store) or kept_counts.needs_scan(self.name, store, bound)
        ):
            return expand_macros(store.backend, FULL_SCANS[self.name])
        return kept_counts.kept_text(self.name, store, bound) or self.cypher_for(store.backend)


@lru_cache(maxsize=512)  # the query files' texts, expanded on every run otherwise (0.1 ms each time)
def expand_macros(backend: str, text: str) -> str:
    """The dialect macros (ckg_label, ckg_type) written out for one store."""
    for pattern, replacement in _MACROS[backend]:
        text = re.sub(pattern, replacement, text)
    return text


@lru_cache(maxsize=512)
def _uses_row_cap(text: str) -> bool:
    """Whether the text's code (not its comments: a comment naming it sends no parameter) uses ``$row_cap``."""
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    return re.search(rf"\${ROW_CAP}\b", code) is not None


def parse_query_file(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    header_lines, body_lines, in_header = [], [], True
    for line in text.splitlines():
        if in_header and line.startswith("//"):
            header_lines.append(line[2:].removeprefix(" "))
        else:
            in_header = False
            body_lines.append(line)
    try:
        header = yaml.safe_load("\n".join(header_lines)) or {}
    except yaml.YAMLError as exc:
        raise QueryError(f"{path}: 文件头不是有效的 YAML / the header is not valid YAML: {exc}") from exc
    missing = {"name", "title", "description", "kind", "stage"} - set(header)
    if missing:
        raise QueryError(
            f"{path}: 文件头缺少 {'、'.join(sorted(missing))} / the header lacks {', '.join(sorted(missing))}"
        )
    if header["name"] != path.stem:
        raise QueryError(
            f"{path}: 名称 {header['name']!r} 与文件名不同 / name {header['name']!r} differs from the file name"
        )
    if header["kind"] not in KINDS:
        raise QueryError(f"{path}: kind 只能是 {'、'.join(KINDS)} 之一 / kind must be one of {', '.join(KINDS)}")
    params = []
    for name, given in (header.get("params") or {}).items():
        if name == ROW_CAP:
            raise QueryError(
                f"{path}: 参数 {ROW_CAP} 是保留的（读取的行数上限，由查询目录设置） / "
                f"parameter {ROW_CAP} is reserved (the read's row cap, set by the catalogue)"
            )
        spec = given or {}
        if spec.get("type", "string") not in TYPES:
            raise QueryError(
                f"{path}: 参数 {name} 的 type 只能是 {'、'.join(TYPES)} 之一 / "
                f"parameter {name}: type must be one of {', '.join(TYPES)}"
            )
        params.append(
            Param(
                name=name,
                type=spec.get("type", "string"),
                default=spec.get("default"),
                required=bool(spec.get("required", False)),
                help=str(spec.get("help", "")),
            )
        )
    body = "\n".join(body_lines).strip()
    if not body:
        raise QueryError(f"{path}: 文件头之下没有查询 / no query below the header")
    return NamedQuery(
        name=header["name"],
        title_zh=header["title"]["zh"],
        title_en=header["title"]["en"],
        description=" ".join(str(header["description"]).split()),
        params=tuple(params),
        stage=str(header["stage"]),
        kind=header["kind"],
        ordered=bool(header.get("ordered", False)),
        body=body,
        parity_columns=tuple(header.get("parity_columns", ())),
        path=path,
    )


def _variant_body(path: Path) -> str:
    return "\n".join(
        line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("//")
    ).strip()


@cache
def catalog(directory: Path = QUERIES_DIR) -> dict[str, NamedQuery]:
    """Every named query under ``directory`` (recursively), by name."""
    queries: dict[str, NamedQuery] = {}
    for path in sorted(directory.rglob("*.cypher")):
        if "." in path.stem:  # NAME.embedded.cypher / NAME.neo4j.cypher: a variant, read with its query
            continue
        query = parse_query_file(path)
        if query.name in queries:
            raise QueryError(f"有两个查询都叫 {query.name} / two queries are named {query.name}")
        variants = {b: _variant_body(v) for b in BACKENDS if (v := path.with_name(f"{path.stem}.{b}.cypher")).exists()}
        queries[query.name] = NamedQuery(**{**query.__dict__, "variants": variants})
    return queries


def get_query(name: str) -> NamedQuery:
    queries = catalog()
    if name not in queries:
        raise QueryError(
            f"没有名为 {name!r} 的查询，见 `ckg query --list` / no named query {name!r}; see `ckg query --list`"
        )
    return queries[name]

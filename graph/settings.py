"""Settings from the environment (or Streamlit secrets, passed in as a mapping).

The Neo4j variables are the ones the Neo4j ecosystem already uses (NEO4J_URI, NEO4J_USERNAME,
NEO4J_PASSWORD, NEO4J_DATABASE), plus NEO4J_READER_USERNAME / NEO4J_READER_PASSWORD for the least-privileged
identity reads run as; ClusterKG's own settings start with CLUSTERKG_.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from graph.errors import SettingsError

Number = TypeVar("Number", int, float)


class Secret:
    """A value that never shows itself in repr, str, logs or tracebacks; call ``reveal()`` to use it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def default_data_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "clusterkg"


def default_buffer_pool_mb() -> int:
    """A quarter of physical memory, between 1 and 8 GiB: a million-node graph's aggregate queries need more
    than 1 GiB; LadybugDB's own default (80 % of memory) is too greedy for a machine that also runs other work."""
    try:
        total_mb = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2**20
    except (ValueError, OSError):
        return 1024
    return max(1024, min(8192, total_mb // 4))


def _number(kind: type[Number], env: Mapping[str, str], name: str, default: Number) -> Number:
    """A setting's number from the environment (``default`` when unset or empty), or an error naming the variable."""
    text = env.get(name) or ""
    if not text:
        return default
    try:
        return kind(text)
    except ValueError:
        zh, en = ("整数", "a whole number") if kind is int else ("数字", "a number")
        raise SettingsError(f"环境变量 {name} 须为{zh}，而不是 {text!r} / {name} must be {en}, not {text!r}") from None


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    embedded_path: Path
    backend: str  # "embedded" or "neo4j"
    neo4j_uri: str | None = None
    neo4j_username: str = "neo4j"
    neo4j_password: Secret = field(default_factory=lambda: Secret(""))
    neo4j_database: str = "neo4j"
    # How long the driver retries a transaction while the server is gone (restarting, failing over) before a
    # write stops with a clear message; a rerun then finishes it.
    neo4j_retry_s: float = 30.0
    query_timeout_s: float = 10.0
    row_cap: int = 5000
    buffer_pool_mb: int = 0  # the embedded store's page cache; 0: a quarter of the machine's memory, 1–8 GiB
    # What one answer may cost the app: its JSON size, the nodes drawn, one value's length, the parameters' depth.
    result_max_bytes: int = 8 * 1024**2
    graph_max_nodes: int = 300
    # A cluster with more members lists them on request (the chain page): sorting 100,000 members by stage and
    # class took 1.5 s of that page's first render at scale 150, for a table that shows the first few thousand.
    listed_at_once: int = 20_000
    collect_apart_mb: int = 64  # an ingest whose files are this large reads them in a process of its own
    value_max_chars: int = 2000
    param_max_depth: int = 16
    # Console queries on the embedded store: children running at once in the app process, each child's memory
    # (so at most console_children × console_child_memory_mb in all), and how long a query waits for a turn.
    console_children: int = 2
    console_child_memory_mb: int = 2048
    console_wait_s: float = 3.0
    # Least privilege on Neo4j: the identity reads run as (NEO4J_READER_USERNAME/PASSWORD; none: the main one),
    # and the disposable server console queries run on (CLUSTERKG_CONSOLE_URI; none: the main server), with the
    # command that restarts it when a query wedges it (CLUSTERKG_CONSOLE_RESTART, e.g. scripts/neo4j-dev
    # console-restart or docker restart ckg-console).
    neo4j_reader_username: str | None = None
    neo4j_reader_password: Secret = field(default_factory=lambda: Secret(""))
    console_uri: str | None = None
    console_restart: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("CLUSTERKG_DATA_DIR") or default_data_dir(env))
        uri = env.get("NEO4J_URI") or None
        backend = env.get("CLUSTERKG_BACKEND") or ("neo4j" if uri else "embedded")
        if backend not in ("embedded", "neo4j"):
            raise SettingsError(
                f"CLUSTERKG_BACKEND 只能是 'embedded' 或 'neo4j'，而不是 {backend!r} / "
                f"CLUSTERKG_BACKEND must be 'embedded' or 'neo4j', not {backend!r}"
            )
        return cls(
            data_dir=data_dir,
            embedded_path=Path(env.get("CLUSTERKG_EMBEDDED_PATH") or data_dir / "graph.lbdb"),
            backend=backend,
            neo4j_uri=uri,
            neo4j_username=env.get("NEO4J_USERNAME") or "neo4j",
            neo4j_password=Secret(env.get("NEO4J_PASSWORD") or ""),
            neo4j_database=env.get("NEO4J_DATABASE") or "neo4j",
            neo4j_retry_s=_number(float, env, "CLUSTERKG_NEO4J_RETRY_S", 30.0),
            query_timeout_s=_number(float, env, "CLUSTERKG_QUERY_TIMEOUT", 10.0),
            row_cap=_number(int, env, "CLUSTERKG_ROW_CAP", 5000),
            buffer_pool_mb=_number(int, env, "CLUSTERKG_BUFFER_POOL_MB", 0) or default_buffer_pool_mb(),
            result_max_bytes=_number(int, env, "CLUSTERKG_RESULT_MAX_BYTES", 8 * 1024**2),
            graph_max_nodes=_number(int, env, "CLUSTERKG_GRAPH_MAX_NODES", 300),
            listed_at_once=_number(int, env, "CLUSTERKG_LISTED_AT_ONCE", 20_000),
            collect_apart_mb=_number(int, env, "CLUSTERKG_COLLECT_APART_MB", 64),
            value_max_chars=_number(int, env, "CLUSTERKG_VALUE_MAX_CHARS", 2000),
            param_max_depth=_number(int, env, "CLUSTERKG_PARAM_MAX_DEPTH", 16),
            console_children=_number(int, env, "CLUSTERKG_CONSOLE_CHILDREN", 2),
            console_child_memory_mb=_number(int, env, "CLUSTERKG_CONSOLE_CHILD_MEMORY_MB", 2048),
            console_wait_s=_number(float, env, "CLUSTERKG_CONSOLE_WAIT_S", 3.0),
            neo4j_reader_username=env.get("NEO4J_READER_USERNAME") or None,
            neo4j_reader_password=Secret(env.get("NEO4J_READER_PASSWORD") or ""),
            console_uri=env.get("CLUSTERKG_CONSOLE_URI") or None,
            console_restart=env.get("CLUSTERKG_CONSOLE_RESTART") or None,
        )

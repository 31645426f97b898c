"""The layers as a contract: faces (app.py, app_pages/, cli.py, cli_commands/, reports/) → ingest/, queries/ →
graph/ → the model.

graph/ imports none of the layers above it; ingest/ and queries/ import no face; nothing imports a face but
a face; benchmarks use public names only. A test shows the checker catches a broken rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FACES = {"app", "app_pages", "cli", "cli_commands", "reports"}
# What each layer may not import (top-level package or module names).
FORBIDDEN: dict[str, set[str]] = {
    "graph": {"ingest", "queries", *FACES, "bench", "tests"},
    "ingest": {*FACES, "bench", "tests"},
    "queries": {*FACES, "bench", "tests"},
    "reports": {"app", "app_pages", "cli", "cli_commands", "bench", "tests"},
}
PROJECT = {"graph", "ingest", "queries", "app_pages", "reports", "app", "cli", "cli_commands"}


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, imported names) of every import in a file."""
    found: list[tuple[int, str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module, [alias.name for alias in node.names]))
    return found


def layer_violations(root: Path) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] in (".venv", "neo4j-dev") or "site-packages" in rel.parts:
            continue
        layer = rel.parts[0].removesuffix(".py")
        for line, module, names in _imports(path):
            top = module.split(".")[0]
            if top in FORBIDDEN.get(layer, set()):
                problems.append(f"{rel}:{line}: the {layer} layer imports {module}")
            if layer not in FACES and layer != "tests" and top in {"app", "cli", "cli_commands"}:
                problems.append(f"{rel}:{line}: {module} is a face; only faces import it")
            if layer == "bench" and top in PROJECT and any(n.startswith("_") for n in names):
                private = [n for n in names if n.startswith("_")]
                problems.append(f"{rel}:{line}: a benchmark imports private names {private} from {module}")
    return problems


def test_the_project_keeps_its_layers() -> None:
    assert layer_violations(REPO) == []


def test_the_checker_catches_a_broken_layer(tmp_path: Path) -> None:
    (tmp_path / "graph").mkdir()
    (tmp_path / "graph" / "store.py").write_text("from queries.catalog import get_query\n", encoding="utf-8")
    (tmp_path / "ingest").mkdir()
    (tmp_path / "ingest" / "x.py").write_text("import app_pages.common\n", encoding="utf-8")
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "b.py").write_text("from graph.embedded_store import _ARROW_TYPES\n", encoding="utf-8")
    problems = layer_violations(tmp_path)
    assert len(problems) == 3, problems
    assert "graph/store.py:1: the graph layer imports queries.catalog" in problems

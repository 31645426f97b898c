"""``search_entities`` through a name index instead of a scan of every node, with the same answer.

The query file's body stays the definition (a name, English name or alias holds the text, case-insensitive;
the shortest Chinese names first, then by id). Here an index proposes candidates — Neo4j's full-text index
``ckg_entity_names`` (graph/neo4j_entity.py), the embedded store's SQLite trigram file (graph/name_index.py) —
and the body's own test and order run on those candidates only. Where the index cannot be sure to propose
every match (Neo4j: text whose every word is too short to match without the stop words the analyzer drops),
the body runs as it is.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from graph import name_index
from graph.neo4j_entity import NAME_INDEX
from graph.store import GraphStore, QueryResult

# Lucene's English stop words (the cjk analyzer drops them): a word of the text inside one of them may match a
# name only through the dropped word, so it cannot narrow the full-text query.
_STOP_WORDS = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not"}
    | {"of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was"}
    | {"will", "with"}
)
# Runs the cjk analyzer indexes as one term, or as overlapping bigrams (Han, kana, Hangul).
_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_RUNS = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
PAGE_MAX = 2_000  # candidates checked per read (below any row cap)
_LUCENE_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^"~*?:\\/])')

_NAMES_HOLD = "toLower(n.name_zh) CONTAINS $q OR toLower(n.name_en) CONTAINS $q"
_EXACT = _NAMES_HOLD + " OR any(a IN n.aliases WHERE toLower(a) CONTAINS $q)"
_NEO4J = (
    "CALL db.index.fulltext.queryNodes($index, $lucene) YIELD node AS n "
    f"WITH n WHERE {_EXACT} "
    "RETURN n.id AS id, [l IN labels(n) WHERE l <> 'Entity'][0] AS class, n.name_zh AS name_zh, "
    "n.name_en AS name_en ORDER BY size(n.name_zh), id LIMIT $limit"
)


def lucene_query(text: str) -> str | None:
    """A Lucene query whose hits include every entity a name of which holds ``text``; None when no such narrowing
    query exists (the caller scans). Each run of letters or digits must occur inside one indexed term (a
    wildcard), each run of two or more CJK characters as its bigrams in a row (a phrase)."""
    clauses = []
    for run in _RUNS.findall(unicodedata.normalize("NFKC", text).lower()):
        if re.match(rf"[{_CJK}]", run):
            clauses.append(f'"{run}"' if len(run) > 1 else f"*{run}*")
        elif not any(run in word for word in _STOP_WORDS):
            clauses.append("*" + _LUCENE_SPECIAL.sub(r"\\\1", run) + "*")
    return " AND ".join(clauses) or None


def search_entities(store: GraphStore, params: Mapping[str, Any], body: str, **read_options: Any) -> QueryResult:
    """The rows of ``search_entities`` (``body``: its Cypher for this store, the fallback)."""
    text, limit = str(params["text"]), int(params["limit"])
    if store.backend == "neo4j":
        lucene = lucene_query(text)
        if lucene is None:
            return store.read(body, params, **read_options)
        query = {"index": NAME_INDEX, "lucene": lucene, "q": text.lower(), "limit": limit}
        return store.read(_NEO4J, query, **read_options)
    if store.backend == "embedded":
        return _embedded(store, text, limit, read_options)
    return store.read(body, params, **read_options)


def _embedded(store: GraphStore, text: str, limit: int, read_options: dict[str, Any]) -> QueryResult:
    """Candidates come in the query's order; each page is checked against the graph with the body's test, and
    the search stops once ``limit`` rows passed (a common word's tens of thousands of matches are never read)."""
    columns = ["id", "class", "name_zh", "name_en"]
    timeout = {"timeout_s": read_options["timeout_s"]} if read_options.get("timeout_s") is not None else {}
    answer: list[dict[str, Any]] = []
    entity_labels = {cls.name for cls in store.schema.entity_classes}
    for page in name_index.candidates(store, text, page=min(max(limit, 1) * 2, PAGE_MAX)):
        checked: dict[str, dict[str, Any]] = {}
        by_label: dict[str, list[str]] = defaultdict(list)
        for label, node_id in page:
            # the label comes from the sidecar file and is pasted into Cypher: only the schema's classes pass
            if label in entity_labels:
                by_label[label].append(node_id)
        for label, ids in sorted(by_label.items()):
            cypher = (
                f"UNWIND $ids AS i MATCH (n:{label} {{id: i}}) WITH n, toLower($text) AS q "
                f"WHERE {_EXACT.replace('$q', 'q')} "
                "RETURN n.id AS id, label(n) AS class, n.name_zh AS name_zh, n.name_en AS name_en"
            )
            for row in store.read(cypher, {"ids": ids, "text": text}, **timeout).rows:
                checked[row["id"]] = row
        answer += [checked[node_id] for _, node_id in page if node_id in checked]
        if len(answer) >= limit:
            break
    answer = answer[: max(limit, 0)]
    cap = read_options.get("row_cap")
    if cap is not None and len(answer) > cap:
        return QueryResult(columns=columns, rows=answer[:cap], truncated=True)
    return QueryResult(columns=columns, rows=answer)

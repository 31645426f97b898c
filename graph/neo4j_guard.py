"""Checks a user's Cypher must pass before a Neo4j server runs it, on every edition.

Two layers, both before anything runs:

- **Text checks** (``check_text``), on the query's tokens: one statement, no query options, no ``USE``,
  ``LOAD CSV``, ``SHOW``/``TERMINATE`` or administration keyword; every function called is a built-in on the
  allowlist and every procedure is on ``PROCEDURES``; and what one expression can build is bounded, because
  Neo4j cannot stop an expression half-way (its timeout and memory limit act between rows): ``range()`` takes
  literal or parameter bounds spanning at most ``RANGE_MAX`` values in an expression (``UNWIND_RANGE_MAX``
  right under ``UNWIND``, whose rows the timeout can stop), no list iteration (comprehension,
  ``reduce``, ``all``/``any``/``none``/``single``, pattern comprehension) runs inside another, a ``reduce``
  uses its accumulator once (no doubling), ``replace()`` is never nested nor iterated (it multiplies a
  string's length), brackets nest at most ``NESTING_MAX`` deep (the server and the driver recurse on them)
  and the text is at most ``QUERY_MAX_CHARS`` long.
- **Plan checks** (``check_plan``), on the server's own ``EXPLAIN``: a read query (type ``r``), every
  operator on this database, none of them a ``LoadCSV``, ``Show…``, ``Terminate…`` or administration
  command, and every ``ProcedureCall`` on the allowlist.

Each refusal says why in Chinese and English (``UnsafeQueryError``). What still slips through (a per-row
expression over a large collected list) runs on the disposable console server, not the main one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graph.errors import UnsafeQueryError

RANGE_MAX = 1_000  # values one range() inside an expression may produce (built whole, in one row)
UNWIND_RANGE_MAX = 100_000_000  # values of `UNWIND range(…)`: produced lazily, one row at a time, interruptible
NESTING_MAX = 24  # brackets of any kind, nested
QUERY_MAX_CHARS = 10_000
PARAMS_MAX_DEPTH = 16


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Built-in Cypher 5 functions a console query may call (lower case; Cypher's function names ignore case).
FUNCTIONS = _words(
    """
    avg collect count max min percentilecont percentiledisc stdev stdevp sum
    keys labels nodes range reduce relationships reverse tail tobooleanlist tofloatlist tointegerlist tostringlist
    all any exists isempty none single
    char_length character_length coalesce elementid endnode head id last length nullif properties randomuuid
    size startnode timestamp toboolean tobooleanornull tofloat tofloatornull tointeger tointegerornull type
    valuetype abs ceil floor isnan rand round sign e exp log log10 sqrt acos asin atan atan2 cos cot degrees
    haversin pi radians sin tan btrim left lower ltrim normalize replace right rtrim split substring tolower
    toupper tostring tostringornull trim upper point point.distance point.withinbbox
    date datetime localdatetime localtime time duration shortestpath allshortestpaths
    vector.similarity.cosine vector.similarity.euclidean
    """
)
TEMPORAL_PREFIXES = ("date.", "datetime.", "localdatetime.", "localtime.", "time.", "duration.")
# Procedures that only describe the graph's schema or search its full-text indexes (case-sensitive).
PROCEDURES = frozenset(
    {
        "db.labels",
        "db.relationshipTypes",
        "db.propertyKeys",
        "db.schema.visualization",
        "db.schema.nodeTypeProperties",
        "db.schema.relTypeProperties",
        "db.index.fulltext.queryNodes",
        "db.index.fulltext.queryRelationships",
    }
)
# Keywords refused wherever they stand as a word (not a property, label, map key or parameter name).
FORBIDDEN_WORDS = {
    "use": ("USE 子句（不得访问其他数据库）", "a USE clause (no other database may be read)"),
    "load": ("LOAD CSV（不得读取文件或网络）", "LOAD CSV (no file or network may be read)"),
    "show": ("SHOW 命令（会暴露会话、设置和用户）", "a SHOW command (it shows sessions, settings and users)"),
    "terminate": ("TERMINATE 命令（会终止他人的查询）", "a TERMINATE command (it stops other people's queries)"),
    "grant": ("权限管理命令", "an administration command"),
    "deny": ("权限管理命令", "an administration command"),
    "revoke": ("权限管理命令", "an administration command"),
    "alter": ("管理命令", "an administration command"),
    "drop": ("管理命令", "an administration command"),
    "transactions": ("分批事务（IN TRANSACTIONS）", "batched transactions (IN TRANSACTIONS)"),
    "cypher": ("查询选项（CYPHER …）", "query options (CYPHER …)"),
    "explain": ("EXPLAIN/PROFILE 前缀", "an EXPLAIN/PROFILE prefix"),
    "profile": ("EXPLAIN/PROFILE 前缀", "an EXPLAIN/PROFILE prefix"),
}
# Words that may stand before "(" without calling anything: clause keywords, operators, path selectors.
NOT_CALLS = _words(
    """
    match optional where and or xor not in return with unwind create merge delete set remove then else when
    case distinct by skip limit offset contains starts ends is union yield call as on shortest groups path
    paths desc asc descending ascending filter extract
    """
)
ITERATORS = frozenset({"reduce", "all", "any", "none", "single"})  # functions whose first argument is `x IN list`
REFUSED_OPERATORS = ("LoadCSV", "Show", "Terminate", "AdministrationCommand", "SystemProcedureCall")

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|//[^\n]*|/\*.*?\*/)
    |(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    |(?P<quoted>`(?:[^`]|``)*`)
    |(?P<param>\$(?:[A-Za-z_][A-Za-z0-9_]*|`(?:[^`]|``)*`|[0-9]+))
    |(?P<number>(?:0x[0-9a-fA-F_]+|0o[0-7_]+|[0-9][0-9_]*(?:\.[0-9_]+)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+))
    |(?P<word>[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)
    |(?P<punct>\.\.|<>|<=|>=|=~|::|->|<-|\+=|.)
    """,
    re.VERBOSE | re.DOTALL,
)
_CLOSE = {"(": ")", "[": "]", "{": "}"}


@dataclass(frozen=True)
class Token:
    kind: str  # string, quoted, param, number, word, punct
    text: str

    @property
    def name(self) -> str:
        """The identifier it names: a backtick-quoted one unquoted, a word as written."""
        return self.text[1:-1].replace("``", "`") if self.kind == "quoted" else self.text


def refuse(zh: str, en: str) -> UnsafeQueryError:
    return UnsafeQueryError(f"控制台拒绝运行该查询：{zh}。", f"The console refuses this query: {en}.")


def tokens(cypher: str) -> list[Token]:
    """The query's tokens without spaces and comments; an unterminated string or comment is refused."""
    out: list[Token] = []
    position = 0
    while position < len(cypher):
        match = _TOKEN.match(cypher, position)
        unclosed = match is None or (match.lastgroup == "punct" and match.group() in ("'", '"', "`"))
        if unclosed or (cypher.startswith("/*", position) and match is not None and match.lastgroup != "space"):
            raise refuse("引号或注释未闭合", "a quote or comment is not closed")
        assert match is not None  # refused just above otherwise
        kind = match.lastgroup or "punct"
        if kind != "space":
            out.append(Token(kind, match.group()))
        position = match.end()
    return out


def check_text(cypher: str, params: Mapping[str, Any] | None = None) -> None:
    """Refuse (UnsafeQueryError) a console query whose text breaks a rule of the module docstring."""
    params = params or {}
    if len(cypher) > QUERY_MAX_CHARS:
        raise refuse(f"查询超过 {QUERY_MAX_CHARS} 个字符", f"it is longer than {QUERY_MAX_CHARS} characters")
    if _depth(params) > PARAMS_MAX_DEPTH:
        raise refuse(f"参数嵌套超过 {PARAMS_MAX_DEPTH} 层", f"its parameters nest deeper than {PARAMS_MAX_DEPTH}")
    toks = tokens(cypher)
    while toks and toks[-1].text == ";":
        toks.pop()
    if not toks:
        raise refuse("查询为空", "it is empty")
    if any(t.kind == "punct" and t.text == ";" for t in toks):
        raise refuse("一次只能运行一条语句", "the console runs one statement at a time")
    _check_words(toks)
    _check_structure(toks, params)


def _depth(value: Any, level: int = 0) -> int:
    if level > PARAMS_MAX_DEPTH:
        return level
    if isinstance(value, Mapping):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, (list, tuple)):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _is_word(toks: list[Token], i: int) -> bool:
    """True if token i is a bare keyword-like word: not after '.', ':' or '$', not a map key."""
    if toks[i].kind != "word":
        return False
    before = toks[i - 1].text if i else ""
    after = toks[i + 1].text if i + 1 < len(toks) else ""
    return before not in (".", ":", "|", "&", "!") and after != ":"


def _check_words(toks: list[Token]) -> None:
    for i, tok in enumerate(toks):
        if not _is_word(toks, i):
            continue
        word = tok.text.lower()
        if word in FORBIDDEN_WORDS:
            zh, en = FORBIDDEN_WORDS[word]
            raise refuse(f"含有{zh}", f"it holds {en}")
        if word == "call":
            name, _ = _dotted(toks, i + 1)
            if name and toks[i + 1].kind in ("word", "quoted") and name not in PROCEDURES:
                raise refuse(f"过程 {name} 不在允许列表中", f"the procedure {name} is not on the allowlist")


def _dotted(toks: list[Token], start: int) -> tuple[str, int]:
    """The dotted name starting at ``start`` (``db.index.fulltext.queryNodes``) and the index after it."""
    parts: list[str] = []
    i = start
    while i < len(toks) and toks[i].kind in ("word", "quoted"):
        parts.append(toks[i].name)
        if i + 2 < len(toks) and toks[i + 1].text == "." and toks[i + 2].kind in ("word", "quoted"):
            i += 2
            continue
        i += 1
        break
    return ".".join(parts), i


def _call_name(toks: list[Token], paren: int) -> str | None:
    """The function called by the '(' at ``paren``, or None if that bracket opens no call."""
    i = paren - 1
    if i < 0 or toks[i].kind not in ("word", "quoted"):
        return None
    parts = [toks[i].name]
    while i >= 2 and toks[i - 1].text == "." and toks[i - 2].kind in ("word", "quoted"):
        i -= 2
        parts.insert(0, toks[i].name)
    if i > 0 and toks[i - 1].text in (":", "$"):
        return None
    if len(parts) == 1 and toks[paren - 1].kind == "word" and parts[0].lower() in NOT_CALLS:
        return None
    if i > 0 and toks[i - 1].kind == "word" and toks[i - 1].text.lower() == "call":
        return None  # a procedure: checked by name with the CALL keyword
    return ".".join(parts)


@dataclass
class _Open:
    bracket: str
    call: str | None  # the function this bracket's call names (lower case)
    iterates: bool  # a list comprehension, reduce, quantifier or pattern comprehension
    start: int


def _check_structure(toks: list[Token], params: Mapping[str, Any]) -> None:
    stack: list[_Open] = []
    for i, tok in enumerate(toks):
        if tok.kind == "punct" and tok.text in _CLOSE:
            if len(stack) >= NESTING_MAX:
                raise refuse(f"括号嵌套超过 {NESTING_MAX} 层", f"its brackets nest deeper than {NESTING_MAX}")
            call = _call_name(toks, i) if tok.text == "(" else None
            if call is not None:
                _check_function(call)
            iterates = (call or "").lower() in ITERATORS or (tok.text == "[" and _comprehension(toks, i))
            if iterates and any(o.iterates for o in stack):
                raise refuse(
                    "列表迭代嵌套在另一个列表迭代中（结果会成倍增长）",
                    "a list iteration runs inside another (its result multiplies)",
                )
            lowered = (call or "").lower()
            if lowered == "replace" and any(o.iterates or o.call == "replace" for o in stack):
                raise refuse(
                    "replace() 嵌套或在迭代中使用（字符串会成倍增长）",
                    "replace() is nested or iterated (it multiplies a string's length)",
                )
            stack.append(_Open(tok.text, lowered or None, iterates, i))
        elif tok.kind == "punct" and tok.text in _CLOSE.values():
            if not stack or _CLOSE[stack[-1].bracket] != tok.text:
                raise refuse("括号不匹配", "its brackets do not match")
            opened = stack.pop()
            if opened.call == "range":
                unwound = opened.start >= 2 and toks[opened.start - 2].text.lower() == "unwind"
                limit = UNWIND_RANGE_MAX if unwound else RANGE_MAX
                _check_range(_arguments(toks[opened.start + 1 : i]), params, limit)
            elif opened.call == "reduce":
                _check_reduce(toks[opened.start + 1 : i])
    if stack:
        raise refuse("括号不匹配", "its brackets do not match")


def _check_function(name: str) -> None:
    lowered = name.lower()
    if lowered in FUNCTIONS or lowered.startswith(TEMPORAL_PREFIXES):
        return
    raise refuse(f"函数 {name} 不在允许列表中", f"the function {name} is not on the allowlist")


def _comprehension(toks: list[Token], bracket: int) -> bool:
    """True if the '[' at ``bracket`` opens ``[x IN …`` or a pattern comprehension ``[(a)-->(b) | …]``."""
    nxt = toks[bracket + 1 : bracket + 3]
    if len(nxt) == 2 and nxt[0].kind in ("word", "quoted") and nxt[1].kind == "word" and nxt[1].text.lower() == "in":
        return True
    if nxt and nxt[0].text == "(":
        return True
    return len(nxt) == 2 and nxt[0].kind == "word" and nxt[1].text == "="  # [p = (a)-->(b) | …]


def _arguments(inner: list[Token]) -> list[list[Token]]:
    """A call's arguments: its tokens split at the commas outside nested brackets."""
    args: list[list[Token]] = [[]]
    depth = 0
    for tok in inner:
        if tok.text in _CLOSE:
            depth += 1
        elif tok.text in _CLOSE.values():
            depth -= 1
        if tok.text == "," and depth == 0:
            args.append([])
        else:
            args[-1].append(tok)
    return args


def _integer(arg: list[Token], params: Mapping[str, Any]) -> int | None:
    sign = -1 if arg and arg[0].text == "-" else 1
    rest = arg[1:] if arg and arg[0].text in "+-" else arg
    if len(rest) != 1:
        return None
    tok = rest[0]
    if tok.kind == "number" and re.fullmatch(r"[0-9_]+|0x[0-9a-fA-F_]+|0o[0-7_]+", tok.text):
        return sign * int(tok.text.replace("_", ""), 0)
    if tok.kind == "param":
        value = params.get(tok.text[1:].strip("`"))
        return sign * value if isinstance(value, int) and not isinstance(value, bool) else None
    return None


def _check_range(args: list[list[Token]], params: Mapping[str, Any], limit: int) -> None:
    bounds = [_integer(arg, params) for arg in args]
    if len(bounds) not in (2, 3) or any(b is None for b in bounds):
        raise refuse(
            "range() 的边界必须是整数字面量或整数参数",
            "range() takes whole-number literals or parameters as bounds",
        )
    start, end, step = bounds[0], bounds[1], bounds[2] if len(bounds) == 3 else 1
    assert start is not None and end is not None and step is not None  # checked just above
    count = 0 if step == 0 else max(0, (end - start) // step + 1)
    if step == 0 or count > limit:
        raise refuse(
            f"range() 在此处最多生成 {limit} 个值（此处为 {count}）",
            f"range() may produce at most {limit} values here (this one: {count})",
        )


def _check_reduce(inner: list[Token]) -> None:
    """``reduce(acc = init, x IN list | body)``: the body names ``acc`` at most once (no doubling)."""
    if not inner or inner[0].kind not in ("word", "quoted"):
        return
    accumulator = inner[0].name
    depth = 0
    for j, tok in enumerate(inner):
        if tok.text in _CLOSE:
            depth += 1
        elif tok.text in _CLOSE.values():
            depth -= 1
        elif tok.text == "|" and depth == 0:
            body = inner[j + 1 :]
            uses = sum(
                1 for k, t in enumerate(body) if t.kind in ("word", "quoted") and t.name == accumulator
                and (k == 0 or body[k - 1].text != ".")
            )  # fmt: skip
            if uses > 1:
                raise refuse(
                    "reduce() 在一步中多次使用累加值（结果会成倍增长）",
                    "reduce() uses its accumulator more than once a step (its result doubles)",
                )
            return


def check_plan(summary: Any, database: str) -> None:
    """Refuse a query whose EXPLAIN (a ``neo4j.ResultSummary``) is not a plain read of ``database``."""
    if summary.query_type != "r":
        raise refuse("它不是只读查询", f"it is not a read query (type {summary.query_type!r})")
    pending = [summary.plan] if summary.plan else []
    while pending:
        plan = pending.pop()
        operator, _, where = str(plan.get("operatorType", "")).partition("@")
        if where and where != database:
            raise refuse(f"它访问了数据库 {where}", f"it reads the database {where}")
        if operator.startswith(REFUSED_OPERATORS):
            raise refuse(f"它含有 {operator} 操作", f"it holds a {operator} operation")
        if operator.startswith("ProcedureCall"):
            details = str(plan.get("args", {}).get("Details", ""))
            name = details.split("(", 1)[0].strip()
            if name not in PROCEDURES:
                raise refuse(f"过程 {name} 不在允许列表中", f"the procedure {name} is not on the allowlist")
        pending.extend(plan.get("children", []))

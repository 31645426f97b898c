"""Normalisers and typed values."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from graph import ids
from graph.ids import match_key, mint_key, uscc_problem
from ingest.normalize import bracket_names, clean_header, clean_value, split_list, strip_note
from ingest.values import (
    ValueProblemError,
    as_admin_code,
    as_bool,
    as_date,
    as_enum,
    as_float,
    as_int,
    as_uscc,
    as_year,
)
from tests.bilingual import chinese_first


def test_clean_value_fixes_what_is_plainly_noise() -> None:
    assert clean_value("  ＡＢＣ１２３  公司\n（深圳）\t ") == "ABC123 公司 （深圳）"
    assert clean_value("中\u3000国\x07") == "中 国"


@given(st.text())
def test_clean_value_is_idempotent_and_single_line(text: str) -> None:
    once = clean_value(text)
    assert clean_value(once) == once
    assert "\n" not in once and once == once.strip()


def test_matching_keys_fold_width_case_spaces_and_punctuation() -> None:
    assert match_key("华为投资控股有限公司（华为）") == match_key("华为投资控股有限公司(华为)")
    assert match_key("SUSTech ") == match_key("sustech")
    assert mint_key("中山大学") == mint_key(" 中山大学 ") != mint_key("中山大学附属医院")


def test_notes_brackets_lists_and_headers() -> None:
    assert strip_note("深圳大学 (transitional host during preparation)") == "深圳大学"
    assert strip_note("哈尔滨工业大学（深圳）") == "哈尔滨工业大学（深圳）"
    assert bracket_names("华为投资控股有限公司（华为）") == ["华为", "华为投资控股有限公司"]
    assert bracket_names("鹏城实验室（深圳网络空间科学与技术广东省实验室）") == [
        "深圳网络空间科学与技术广东省实验室",
        "鹏城实验室",
    ]
    assert bracket_names("南方海洋科学与工程广东省实验室（湛江）（湛江湾实验室）") == [
        "湛江湾实验室",
        "南方海洋科学与工程广东省实验室（湛江）",
    ]
    # a bracket that says where or which part names neither the part nor the whole
    for qualified in (
        "中芯国际（深圳）",
        "海洋广东省实验室（广州）",
        "某中心（深圳综合平台）",
        "某研究院（筹）",
        "招商银行股份有限公司（深圳分行）",
        "比亚迪汽车工业有限公司（二期）",
        "某某实验室（培育）",
        "某某研究院（筹备组）",
        "博世（中国）",
    ):
        assert bracket_names(qualified) == [], qualified
    assert bracket_names("视源股份(视源, CVTE)") == ["视源", "CVTE", "视源股份"]  # half-width, two names inside
    assert bracket_names("华南理工大学") == bracket_names("（华为）") == []
    assert split_list("新能源;绿色石化； 先进材料;;") == ["新能源", "绿色石化", "先进材料"]
    assert clean_header("\ufeffProvince Raw") == "province_raw"


@pytest.mark.parametrize(
    ("text", "year"), [("2017", 2017), ("2017年", 2017), ("2019-07", 2019), ("2025 (planned)", 2025)]
)
def test_years(text: str, year: int) -> None:
    assert as_year(text) == year


@pytest.mark.parametrize("text", ["17", "二〇一七", "1700", "2017-2019 and later"])
def test_not_years(text: str) -> None:
    with pytest.raises(ValueProblemError):
        as_year(text)


def test_dates_floats_bools() -> None:
    assert as_date("19971118") == "1997-11-18" == as_date("1997年11月18日") == as_date("1997/11/18")
    with pytest.raises(ValueProblemError, match="calendar"):
        as_date("20230230")
    assert as_float("1,937") == 1937.0 and as_float("3. 5年", suffix="年") == 3.5
    with pytest.raises(ValueProblemError, match="finite"):
        as_float("nan")
    assert as_bool("yes") and not as_bool("no (cluster action-plan co-drafter)")


def test_a_whole_number_the_stores_cannot_hold_is_a_bad_value() -> None:
    assert as_int("9,223,372,036,854,775,807") == 2**63 - 1 and as_int("-9223372036854775808") == -(2**63)
    with pytest.raises(ValueProblemError, match="64-bit"):
        as_int("9223372036854775808")  # one more: Arrow's int64 column refused it, and the whole run failed
    with pytest.raises(ValueProblemError, match="64-bit"):
        as_int("9" * 5_000)  # more digits than Python converts: a ValueError of its own
    assert as_int("-0000000000000000000000042") == -42


def test_uscc_check_character() -> None:
    assert uscc_problem("914403001922038216") is None  # 华为技术有限公司
    assert as_uscc(" 914403001922038216 ") == "914403001922038216"
    with pytest.raises(ValueProblemError, match="统一社会信用代码"):
        as_uscc("914403001922038217")  # one digit off: the check character no longer fits
    with pytest.raises(ValueProblemError):
        as_uscc("91440300")
    with pytest.raises(ValueProblemError):  # other scripts' digits: a bad value, not a failed run
        as_uscc("٩١٣٥٠١٠٠M000100Y43")  # was a KeyError from the check sum


any_text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=60)


@given(any_text)
@example("\ufeff")  # found by a CI run: UTF-8 text that starts with U+FEFF starts with a byte-order mark's bytes
def test_decoding_recovers_any_text_written_in_utf8_or_gb18030(text: str) -> None:
    from ingest.readers import decode

    # a leading U+FEFF is read as the byte-order mark a file may start with, and dropped (once), as CSV readers do
    assert decode(text.encode("utf-8"))[0] == text.removeprefix("\ufeff")
    if text and not text.isascii():
        data = text.encode("gb18030")
        # GB18030 bytes that also form valid UTF-8 (逘 does) cannot be told apart; UTF-8 wins, as it must
        assert decode(data)[0] == text or _valid_utf8(data)


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@given(any_text)
def test_converters_fail_only_with_a_reason(text: str) -> None:
    from ingest.values import CONVERTERS

    for name, convert in CONVERTERS.items():
        try:
            convert(text)
        except ValueProblemError as exc:
            assert str(exc), name


@given(any_text)
def test_match_keys_and_lists_are_stable(text: str) -> None:
    assert match_key(match_key(text)) == match_key(text)
    assert all(part == part.strip() and part for part in split_list(text))


def _match_key_by_character(text: str) -> str:
    """match_key as first written, testing each character in Python: the reference for the translate table."""
    folded = unicodedata.normalize("NFKC", text).lower()
    kept = "".join(ch for ch in folded if not (ch.isspace() or unicodedata.category(ch).startswith(("P", "S"))))
    key = unicodedata.normalize("NFKC", kept)
    return text if key == text else key


@given(any_text)
@example("华为投资控股有限公司（华为） ")
@example("Ｓｕｓｔｅｃｈ\u3000\u2028A\u0301·—$¥\U0001f600")
@example("a·\u0301")  # the dropped dot leaves an accent beside the a: composed again
def test_match_key_drops_what_the_character_test_dropped(text: str) -> None:
    assert match_key(text) == _match_key_by_character(text)


def test_the_table_of_kept_characters_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ids, "KEPT_CHARACTERS_MAX", 100)
    text = "".join(chr(code) for code in range(0x4E00, 0x4E00 + 1000))  # a thousand ideographs, each kept
    assert match_key(text + "·") == text and len(ids._KEPT) <= 100


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("广东省国家重点实\n验室", "广东省国家重点实验室"),
        ("国家重点实 \r\n  验室", "国家重点实验室"),
        ("研究，\n开发", "研究，开发"),
        ("state key\nlaboratory", "state key laboratory"),
        ("Huawei \n\n Technologies", "Huawei Technologies"),
        ("深圳\nShenzhen", "深圳 Shenzhen"),
        ("华为技术有限公司\n（深圳）", "华为技术有限公司 （深圳）"),
        ("中 国", "中 国"),
    ],
)
def test_a_line_break_vanishes_inside_chinese_and_becomes_a_space_between_latin_words(text: str, cleaned: str) -> None:
    assert clean_value(text) == cleaned


@pytest.mark.parametrize(
    ("clean", "text", "expected"),
    [
        (clean_value, " " * 100_000 + "x\n", "x"),  # 6 s at 30,000 spaces before (a pattern tried from each blank)
        (clean_value, "甲" + " \t" * 50_000 + "\n" + "乙", "甲乙"),
        (strip_note, "名" + " (a)" * 33_000, "名"),  # 34 s before (a pattern searched again for each note)
        (strip_note, "x" + "(a)" * 33_000 + "y)", "x" + "(a)" * 33_000 + "y)"),
    ],
)
def test_a_long_cell_is_cleaned_in_linear_time(clean: object, text: str, expected: str) -> None:
    import time

    started = time.perf_counter()
    assert clean(text) == expected  # type: ignore[operator]
    assert time.perf_counter() - started < 1.0


@given(st.text(alphabet=" \t\n\r\u2028\u2029\u3000\x1c\x85\xa0()（）a深Ａ1", max_size=14))
def test_line_breaks_fold_and_notes_drop_as_the_patterns_did(text: str) -> None:
    """The linear forms give what the patterns gave: each run of white space holding a break, then the notes."""
    import re
    import unicodedata

    def fold(match: re.Match[str]) -> str:
        s, start, end = match.string, match.start(), match.end()
        before, after = (s[start - 1] if start else ""), (s[end] if end < len(s) else "")
        wide = [bool(c) and unicodedata.east_asian_width(c) in ("W", "F") for c in (before, after)]
        return "" if all(wide) and unicodedata.category(after) != "Ps" else " "

    from ingest.normalize import _FULLWIDTH_ALNUM

    cleaned = text.replace("\u3000", " ").translate(_FULLWIDTH_ALNUM)
    cleaned = "".join(ch for ch in cleaned if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    if any(b in cleaned for b in "\n\u2028\u2029"):
        cleaned = re.sub(r"[^\S\n\u2028\u2029]*[\n\u2028\u2029]\s*", fold, cleaned)
    assert clean_value.__wrapped__(text) == re.sub(r"\s+", " ", cleaned).strip()
    noted = text
    while (dropped := re.sub(r"\s*\([^()]*\)\s*$", "", noted)) != noted:
        noted = dropped
    assert strip_note(text) == noted.strip()


BAD_VALUES = [
    (as_int, "twelve", {}),
    (as_int, "9" * 30, {}),
    (as_int, "5", {"minimum": 10}),
    (as_int, "50", {"maximum": 10}),
    (as_float, "many", {}),
    (as_float, "inf", {}),
    (as_year, "去年", {}),
    (as_year, "1700", {}),
    (as_date, "yesterday", {}),
    (as_date, "20190231", {}),
    (as_bool, "maybe", {}),
    (as_uscc, "91440300192203821X", {}),
    (as_uscc, "9144", {}),
    (as_admin_code, "4403", {}),
    (as_enum, "national", {"values": ["provincial", "municipal"]}),
]


@pytest.mark.parametrize(("convert", "text", "options"), BAD_VALUES, ids=lambda v: getattr(v, "__name__", None))
def test_every_value_problem_is_said_chinese_first(convert: Any, text: str, options: dict[str, Any]) -> None:
    with pytest.raises(ValueProblemError) as caught:
        convert(text, **options)
    problem = caught.value
    assert problem.zh and problem.en and str(problem) == f"{problem.zh} / {problem.en}"
    assert chinese_first(str(problem)), str(problem)

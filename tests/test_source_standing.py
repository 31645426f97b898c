"""A row rated high on sources of unknown standing only is reported, once per file and mapping
(ingest/source_standing.py)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from graph.schema import Schema
from ingest.mapping import load_mapping
from ingest.records import NodeRecord, Provenance
from ingest.report import Level, Report
from ingest.source_standing import SourceStanding, bundled_standing, check_high_ratings, references
from ingest.source_table import ReadError
from ingest.sources import DATA_DIR, MAPPINGS_DIR, mapping_source


@pytest.mark.parametrize(
    ("reference", "recognised"),
    [
        ("https://jyj.gz.gov.cn/yw2/post.html", True),  # a subdomain of a listed site
        ("http://www.360elib.com:2027/x", False),
        ("https://notgov.cn/x", False),  # ends like a listed site, but is not one of its subdomains
        ("https://zh.wikipedia.org/wiki/x", True),
        ("shared/data/raw/a-share-listed-tushare/stock_basic.csv", True),  # a data file by its path
        ("wangjiewangjie/uniapp:components/CityPicker/city.js", True),
        ("general", False),
        ("N/A", False),  # a slash alone makes no data file
        ("无/不详", False),
        ("mirror.example.com/a.html", False),  # a page without its scheme is still a page
        ("www.gov.cn/zhengce/x.htm", True),
        ("https://www.gov.cn./x", True),  # a host's trailing dot
        ("http://gov.cn.evil.com/x", False),
        ("https://evil.com/gov.cn", False),
        ("https://gov.cn@evil.com/x", False),  # the host is evil.com
        ("//evil.com/x", False),
        ("https://evil.com／x", False),  # a full-width slash: urlsplit refused the host, and the ingest stopped
        ("http://[::1/x", False),
        ("https://github.com/huhuaping/techme/blob/main/x.csv", True),  # a listed repository
        ("https://github.com/someone/else", False),  # not the whole of GitHub
        ("https://github.com/huhuaping/techme-fork", False),
        ("https://gist.github.com/huhuaping/techme", False),
    ],
)
def test_a_source_is_recognised_by_its_site_or_as_a_data_file(reference: str, recognised: bool) -> None:
    standing = bundled_standing()
    assert standing is not None and standing.recognised(reference) is recognised


def test_one_warning_names_the_rows_rated_high_on_unknown_sites_and_every_row_loads(
    tmp_path: Path, schema: Schema
) -> None:
    rows = [
        "name_zh,name_en,city,clusters,roles,unified_social_credit_code,stock_code,list_date,founded_year,source,"
        "confidence,notes",
        "甲公司,,深圳市,,,,,,,https://www.sz.gov.cn/a.html ; http://mirror.example.com/1,high,",
        "乙公司,,深圳市,,,,,,,http://mirror.example.com/2 ; http://farm.example.net/3,High,",
        "丙公司,,深圳市,,,,,,,http://mirror.example.com/4,medium,",
        "丁公司,,深圳市,,,,,,,,high,",
    ]
    (tmp_path / "firms.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    firms = load_mapping(MAPPINGS_DIR / "30_enterprises.yaml", schema)
    report = Report()
    records, _ = mapping_source(firms, str(tmp_path / "firms.csv")).collect(DATA_DIR, report)
    assert len(records) == 4  # a warning, not a refusal: the curator's rating stands
    said = [i for i in report.issues if "rated high" in i.reason]
    assert len(said) == 1 and said[0].level is Level.WARNING and said[0].column == "confidence"
    assert said[0].reason.startswith("2 行标为高可信度") and "(rows 3, 5;" in said[0].reason
    assert "mirror.example.com" in said[0].reason and "farm.example.net" in said[0].reason


def test_several_sources_in_a_cell_are_each_looked_at() -> None:
    standing = bundled_standing()
    assert standing is not None
    cited = references("https://a.example/x、https://b.gov.cn/y；c.example ; https://d.example/p?a=1,2")
    assert cited == ["https://a.example/x", "https://b.gov.cn/y", "c.example", "https://d.example/p?a=1,2"]
    assert [standing.recognised(ref) for ref in cited] == [False, True, False, False]


def test_a_long_host_is_looked_at_in_linear_time() -> None:
    standing = bundled_standing()
    assert standing is not None
    started = time.perf_counter()
    assert not standing.recognised("https://" + "a." * 50_000 + "example/x")
    assert time.perf_counter() - started < 1.0  # every ending of 50,000 labels joined: 6 s for 40,000


def test_a_curator_s_slip_in_the_standing_file_is_named_in_both_languages(tmp_path: Path) -> None:
    broken = tmp_path / "source_standing.yaml"
    broken.write_text("official: [gov.cn]\npress:  # - news.cn\n", encoding="utf-8")
    assert SourceStanding.load(broken).sites == {"gov.cn"}  # a kind whose every site is commented out: empty
    for text, said in (
        ("official: gov.cn\n", "not a site's host name"),
        ("official: [https://news.cn]\n", "'https://news.cn' in official is not a site's host name"),
        ("official: [gov.cn\n", "YAML 格式有误（第 2 行） / malformed YAML at line 2"),
        ("- gov.cn\n", "expected a mapping of a kind"),
    ):
        broken.write_text(text, encoding="utf-8")
        with pytest.raises(ReadError, match=re.escape(said)):
            SourceStanding.load(broken)
    broken.write_bytes(b"\xff\xfe")
    with pytest.raises(ReadError, match="无法读取 / cannot be read"):
        SourceStanding.load(broken)


def test_an_unreadable_list_is_said_once_and_loads_every_row() -> None:
    report = Report()
    provenance = Provenance("firms", "firms.csv", 2, "http://mirror.example.com/1", "high")
    record = NodeRecord("Enterprise", "enterprise/x", {"name_zh": "甲"}, provenance, ("甲",))
    for file in ("a.csv", "b.csv"):
        check_high_ratings([record], file, report, "confidence", None)
    said = [i for i in report.issues if "cannot be read" in i.reason]
    assert len(said) == 1 and said[0].level is Level.WARNING and said[0].reason.startswith("来源公认程度清单无法读取")

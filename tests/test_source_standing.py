"""A row rated high on sources of unknown standing only is reported, once per file (ingest/source_standing.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.schema import Schema
from ingest.mapping import load_mapping
from ingest.report import Level, Report
from ingest.source_standing import SourceStanding, bundled
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
    ],
)
def test_a_source_is_recognised_by_its_site_or_as_a_data_file(reference: str, recognised: bool) -> None:
    assert bundled().recognised(reference) is recognised


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


def test_a_broken_standing_file_is_named_in_both_languages(tmp_path: Path) -> None:
    broken = tmp_path / "source_standing.yaml"
    broken.write_text("official: gov.cn\n", encoding="utf-8")
    with pytest.raises(ReadError, match="expected a mapping of a kind"):
        SourceStanding.load(broken)
    broken.write_bytes(b"\xff\xfe")
    with pytest.raises(ReadError, match="无法读取 / cannot be read"):
        SourceStanding.load(broken)

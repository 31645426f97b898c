"""The notice parser, checked against our own reading of 粤科函高字〔2022〕895号."""

from __future__ import annotations

from ingest.policy import notice_records, parse_notice
from ingest.sources import DATA_DIR, NOTICE_FILE

TEXT = (DATA_DIR / NOTICE_FILE).read_text(encoding="utf-8")

# Read by hand from the notice: the departments in each measure's closing parenthesis.
DEPARTMENTS = {
    1: ["各产业集群牵头部门"],
    2: ["省科技厅"],
    4: ["省发展改革委"],
    6: ["省科技厅", "省发展改革委", "省工业和信息化厅", "省商务厅"],
    7: ["省科技厅", "省工业和信息化厅", "省发展改革委"],
    9: ["省科技厅", "省工业和信息化厅", "省发展改革委", "省国资委", "省商务厅", "省税务局"],
    10: ["省商务厅", "省科技厅", "省工业和信息化厅", "海关总署广东分署", "广东证监局"],
    15: ["省地方金融监管局", "中国人民银行广州分行", "广东银保监局", "广东证监局", "省财政厅"],
    17: ["省委组织部", "省科技厅", "省人力资源社会保障厅", "省教育厅"],
    19: ["省市场监管局"],
}


def test_document_fields() -> None:
    notice = parse_notice(TEXT)
    assert notice.doc_number == "粤科函高字〔2022〕895号"
    assert notice.title.startswith("广东省科学技术厅 广东省工业和信息化厅关于加快构建")
    assert notice.posted == "2022-06-28" and notice.signed == "2022-06-14"
    assert notice.issuers == ("省科技厅", "省工业和信息化厅")


def test_twenty_measures_in_seven_sections_each_with_departments() -> None:
    notice = parse_notice(TEXT)
    assert [m.number for m in notice.measures] == list(range(1, 21))
    assert len({m.section for m in notice.measures}) == 7
    assert notice.measures[11].section == "四、加快科技成果转化应用"
    assert all(m.departments for m in notice.measures)
    for number, departments in DEPARTMENTS.items():
        assert list(notice.measures[number - 1].departments) == departments, number
    all_named = {d for m in notice.measures for d in m.departments} - {"各产业集群牵头部门"}
    assert len(all_named) == 16  # the 16 provincial departments the notice makes answerable


def test_quantified_2025_targets() -> None:
    targets = {(m.number, t.metric): t for m in parse_notice(TEXT).measures for t in m.targets}
    assert len(targets) == 7
    assert {(n, t.value, t.unit) for (n, _), t in targets.items()} == {
        (7, 20.0, "个产业集群"),
        (12, 100.0, "%"),
        (18, 580.0, "万人"),
        (20, 500.0, "项"),
        (20, 2500.0, "项"),
    }
    assert targets[(7, "产业集群省级技术创新中心覆盖")].scope == "20个产业集群"
    assert targets[(7, "产业集群省级制造业创新中心覆盖")].value == 20
    assert targets[(12, "国家高新区省级加速器覆盖率")].scope == "国家高新区"
    assert targets[(12, "在粤高水平大学省级大学科技园覆盖率")].value == 100
    assert all(t.deadline_year == 2025 for t in targets.values())


def test_noise_of_the_scraped_page_is_ignored() -> None:
    noisy = "[首页](#)\n1.广告 不是措施\n" + TEXT  # a numbered line before the first section is still a measure…
    assert len(parse_notice(noisy).measures) == 21
    assert parse_notice(TEXT.replace("（省科技厅按职责分工负责）", "")).measures[1].departments == ()


def test_records_link_measures_to_departments_stages_and_targets() -> None:
    _, records = notice_records(DATA_DIR / NOTICE_FILE, NOTICE_FILE, DATA_DIR / "policy" / "measure_stages.yaml")
    labels = [n.label for n in records.nodes]
    assert labels.count("PolicyDocument") == 1 and labels.count("PolicyMeasure") == 20
    assert labels.count("PolicyTarget") == 7
    rels = [link.rel_type for link in records.links]
    assert rels.count("HAS_MEASURE") == 20 and rels.count("ADDRESSES_STAGE") >= 20
    assert all(link.inbound for link in records.links if link.rel_type == "RESPONSIBLE_FOR")
    assert all(n.provenance.row > 0 and n.provenance.file == NOTICE_FILE for n in records.nodes)

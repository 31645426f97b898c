"""The notice 粤科函高字〔2022〕895号 as data: its document, sections, 20 measures, departments, targets.

The source is a scraped web page (navigation, share buttons and footer included). The parser keeps
what the notice says: the title and 文号, the posting date and the signing date, the issuers, each
numbered measure under its section, the departments named in the measure's closing parenthesis, and
each quantified 2025 target (metric, value, unit, deadline, scope) in the measure's "到2025年" sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from graph.ids import mint_key
from ingest.normalize import clean_value
from ingest.records import NodeRecord, PendingLink, Provenance, TargetRef

CHINESE_NUMERALS = "一二三四五六七八九十"
# Named in measure 1 as implementing every measure ("以下各项均需…落实，不再列出").
IMPLEMENTERS_OF_ALL = ("各地级以上市人民政府", "各产业集群牵头部门")


@dataclass(frozen=True)
class Target:
    metric: str
    value: float
    unit: str
    deadline_year: int
    scope: str
    text: str


@dataclass(frozen=True)
class Measure:
    number: int
    section: str
    text: str
    departments: tuple[str, ...]
    targets: tuple[Target, ...]
    line: int


@dataclass
class Notice:
    title: str
    doc_number: str
    posted: str | None
    signed: str | None
    issuers: tuple[str, ...]
    measures: list[Measure] = field(default_factory=list)


def parse_notice(text: str) -> Notice:
    lines = text.splitlines()
    title = next((clean_value(line) for line in lines if "关于" in line and line.strip().endswith("通知")), "")
    number = re.search(r"粤[\u4e00-\u9fff]+〔\d{4}〕\d+号", text)
    posted = re.search(r"时间：(\d{4}-\d{2}-\d{2})", text)
    signed = re.search(r"^(\d{4})年(\d{1,2})月(\d{1,2})日\s*$", text, re.M)
    notice = Notice(
        title=title,
        doc_number=number.group(0) if number else "",
        posted=posted.group(1) if posted else None,
        signed=f"{int(signed.group(1)):04d}-{int(signed.group(2)):02d}-{int(signed.group(3)):02d}" if signed else None,
        issuers=_issuers(lines, signed.group(0) if signed else None),
    )
    section = ""
    for index, raw in enumerate(lines, start=1):
        line = raw.strip()
        head = re.match(rf"^([{CHINESE_NUMERALS}]+)、(.+)$", line)
        if head:
            section = f"{head.group(1)}、{head.group(2)}"
            continue
        item = re.match(r"^(\d{1,2})\.(.+)$", line)
        if item:
            body = item.group(2)
            notice.measures.append(
                Measure(
                    number=int(item.group(1)),
                    section=section,
                    text=body,
                    departments=_departments(body),
                    targets=tuple(_targets(body)),
                    line=index,
                )
            )
    return notice


def _issuers(lines: list[str], signed_line: str | None) -> tuple[str, ...]:
    """The signature line just above the date: ``省科技厅 省工业和信息化厅``."""
    if signed_line is None:
        return ()
    for i, line in enumerate(lines):
        if line.strip() == signed_line.strip():
            for previous in reversed(lines[:i]):
                if previous.strip():
                    return tuple(previous.split())
    return ()


def _departments(body: str) -> tuple[str, ...]:
    """Departments in the closing parenthesis: ``（省科技厅、省发展改革委按职责分工负责）``."""
    groups = re.findall(r"（([^（）]*负责[^（）]*)）", body)
    if not groups:
        return ()
    first_clause = groups[-1].split("；")[0]
    names = first_clause.replace("按职责分工负责", "").replace("负责", "")
    return tuple(n.strip() for n in names.split("、") if n.strip())


_COVERAGE_COUNTED = re.compile(r"(\d+)个([^，。；、]+?)实现([^，。；]+?)全覆盖")
_COVERAGE = re.compile(r"(?:^|[，；])([^，。；]*?)实现([^，。；]+?)全覆盖")
_AMOUNT = re.compile(r"([^，。；]+?)达(\d+(?:\.\d+)?)(万人|项|家|个|亿元)(以上)?")


def _targets(body: str) -> list[Target]:
    targets: list[Target] = []
    for sentence in re.findall(r"到(\d{4})年([^。]*)", body):
        year, clause = int(sentence[0]), sentence[1]
        counted = _COVERAGE_COUNTED.search(clause)
        if counted:
            count, scope_noun, objects = counted.groups()
            for obj in _split_objects(objects):
                targets.append(
                    Target(
                        f"{scope_noun}{obj}覆盖",
                        float(count),
                        f"个{scope_noun}",
                        year,
                        f"{count}个{scope_noun}",
                        counted.group(0),
                    )
                )
            clause = clause.replace(counted.group(0), "")
        for raw_subject, raw_object in _COVERAGE.findall(clause):
            subject, obj = re.sub(r"^(争取|推进)", "", raw_subject.strip()), raw_object
            if not subject:  # "实现国家高新区省级加速器全覆盖": the scope opens the object
                split = re.match(r"(.+?)((?:省级|国家级|市级).+)$", obj)
                subject, obj = (split.group(1), split.group(2)) if split else ("全省", obj)
            targets.append(Target(f"{subject}{obj}覆盖率", 100.0, "%", year, subject, f"{subject}实现{obj}全覆盖"))
        for subject, value, unit, _ in _AMOUNT.findall(clause):
            metric = subject.strip().lstrip("，").split("，")[-1]
            targets.append(Target(metric, float(value), unit, year, "全省", f"{metric}达{value}{unit}"))
    return targets


def _split_objects(objects: str) -> list[str]:
    """``省级技术创新中心、制造业创新中心`` → both, each with the shared qualifier (``省级``)."""
    parts = [p.strip() for p in objects.split("、") if p.strip()]
    qualifier = re.match(r"^(省级|国家级|市级)", parts[0]) if parts else None
    if qualifier:
        parts = [parts[0]] + [p if p.startswith(qualifier.group(1)) else qualifier.group(1) + p for p in parts[1:]]
    return parts


# ------------------------------------------------------------------------------- records for the graph
@dataclass
class PolicyRecords:
    nodes: list[NodeRecord]
    links: list[PendingLink]


def notice_records(path: Path, file: str, stages_path: Path | None = None) -> tuple[Notice, PolicyRecords]:
    text = path.read_text(encoding="utf-8")
    notice = parse_notice(text)
    stages = yaml.safe_load(stages_path.read_text(encoding="utf-8")) if stages_path and stages_path.exists() else {}
    lines = text.splitlines()
    doc_line = next((i for i, line in enumerate(lines, 1) if notice.doc_number and notice.doc_number in line), 1)

    def prov(row: int) -> Provenance:
        return Provenance(source="policy", file=file, row=row, url=None, confidence="high")

    doc_id = f"policy/{mint_key(notice.doc_number)}"
    nodes = [
        NodeRecord(
            label="PolicyDocument",
            id=doc_id,
            props={
                "name_zh": notice.title,
                "doc_number": notice.doc_number,
                "issued_date": notice.signed,
                "description": f"posted {notice.posted}" if notice.posted else None,
            },
            provenance=prov(doc_line),
            names=(notice.title, notice.doc_number),
            priority=10,
        )
    ]
    links: list[PendingLink] = []
    agency_names: set[str] = set()

    def link(
        rel: str, from_label: str, from_id: str, target: TargetRef, row: int, *, inbound: bool = False, **props: str
    ) -> None:
        links.append(PendingLink(rel, from_label, from_id, target, prov(row), inbound=inbound, props=dict(props)))

    def record(label: str, node_id: str, props: dict[str, object], row: int) -> None:
        nodes.append(NodeRecord(label=label, id=node_id, props=props, provenance=prov(row), names=(), priority=10))

    for issuer in notice.issuers:
        agency_names.add(issuer)
        link("ISSUED_BY", "PolicyDocument", doc_id, TargetRef(issuer, "organization", ("GovernmentAgency",)), doc_line)
    for measure in notice.measures:
        measure_id = f"measure/{mint_key(notice.doc_number, str(measure.number))}"
        record(
            "PolicyMeasure",
            measure_id,
            {
                "name_zh": f"措施{measure.number}",
                "name_en": f"Measure {measure.number}",
                "measure_no": measure.number,
                "section": measure.section,
                "text": measure.text,
            },
            measure.line,
        )
        link("HAS_MEASURE", "PolicyDocument", doc_id, TargetRef(measure_id, "id", ("PolicyMeasure",)), measure.line)
        for department in measure.departments:
            agency_names.add(department)
            link(
                "RESPONSIBLE_FOR",
                "PolicyMeasure",
                measure_id,
                TargetRef(department, "organization", ("GovernmentAgency",)),
                measure.line,
                inbound=True,
                role="按职责分工负责",
            )
        for body in IMPLEMENTERS_OF_ALL:
            agency_names.add(body)
            link(
                "RESPONSIBLE_FOR",
                "PolicyMeasure",
                measure_id,
                TargetRef(body, "organization", ("GovernmentAgency",)),
                measure.line,
                inbound=True,
                role="落实（各项均需）",
            )
        for stage in stages.get(measure.number, []):
            link(
                "ADDRESSES_STAGE",
                "PolicyMeasure",
                measure_id,
                TargetRef(f"stage/{stage}", "id", ("ChainStage",)),
                measure.line,
            )
        for target in measure.targets:
            target_id = f"target/{mint_key(notice.doc_number, str(measure.number), target.metric)}"
            record(
                "PolicyTarget",
                target_id,
                {
                    "name_zh": target.metric,
                    "metric": target.metric,
                    "target_value": target.value,
                    "unit": target.unit,
                    "deadline_year": target.deadline_year,
                    "scope": target.scope,
                    "text": target.text,
                },
                measure.line,
            )
            link("HAS_TARGET", "PolicyMeasure", measure_id, TargetRef(target_id, "id", ("PolicyTarget",)), measure.line)
    # Agencies the notice names: they merge with the agency table by name; the rest are created here.
    for name in sorted(agency_names):
        nodes.append(
            NodeRecord(
                label="GovernmentAgency",
                id=f"agency/{mint_key(name)}",
                props={"name_zh": name, "agency_type": "collective" if name.startswith("各") else None},
                provenance=prov(doc_line),
                names=(name,),
                priority=80,
            )
        )
    return notice, PolicyRecords(nodes=nodes, links=links)

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
    """The notice as records: the document, its measures with their departments and stages, its targets,
    and the agencies it names."""
    text = path.read_text(encoding="utf-8")
    notice = parse_notice(text)
    stages = yaml.safe_load(stages_path.read_text(encoding="utf-8")) if stages_path and stages_path.exists() else {}
    doc_line = next(
        (i for i, line in enumerate(text.splitlines(), 1) if notice.doc_number and notice.doc_number in line), 1
    )
    builder = _NoticeBuilder(notice, file, doc_line)
    for measure in notice.measures:
        builder.measure(measure, stages.get(measure.number, []))
    builder.agencies()
    return notice, PolicyRecords(nodes=builder.nodes, links=builder.links)


class _NoticeBuilder:
    """Records and pending links of one notice, built measure by measure."""

    def __init__(self, notice: Notice, file: str, doc_line: int) -> None:
        self.notice, self.file, self.doc_line = notice, file, doc_line
        self.doc_id = f"policy/{mint_key(notice.doc_number)}"
        self.nodes: list[NodeRecord] = []
        self.links: list[PendingLink] = []
        self.agency_names: set[str] = set()
        self._record(
            "PolicyDocument",
            self.doc_id,
            {
                "name_zh": notice.title,
                "doc_number": notice.doc_number,
                "issued_date": notice.signed,
                "description": f"posted {notice.posted}" if notice.posted else None,
            },
            doc_line,
            names=(notice.title, notice.doc_number),
        )
        for issuer in notice.issuers:
            self.agency_names.add(issuer)
            self._link("ISSUED_BY", "PolicyDocument", self.doc_id, _agency(issuer), doc_line)

    def _prov(self, row: int) -> Provenance:
        return Provenance(source="policy", file=self.file, row=row, url=None, confidence="high")

    def _record(
        self, label: str, node_id: str, props: dict[str, object], row: int, names: tuple[str, ...] = ()
    ) -> None:
        self.nodes.append(
            NodeRecord(label=label, id=node_id, props=props, provenance=self._prov(row), names=names, priority=10)
        )

    def _link(
        self,
        rel: str,
        from_label: str,
        from_id: str,
        target: TargetRef,
        row: int,
        *,
        inbound: bool = False,
        **props: str,
    ) -> None:
        self.links.append(
            PendingLink.of(rel, from_label, from_id, target, self._prov(row), inbound=inbound, props=dict(props))
        )

    def measure(self, measure: Measure, stages: list[str]) -> None:
        number, line = measure.number, measure.line
        measure_id = f"measure/{mint_key(self.notice.doc_number, str(number))}"
        props = {
            "name_zh": f"措施{number}",
            "name_en": f"Measure {number}",
            "measure_no": number,
            "section": measure.section,
            "text": measure.text,
        }
        self._record("PolicyMeasure", measure_id, props, line)
        self._link("HAS_MEASURE", "PolicyDocument", self.doc_id, TargetRef(measure_id, "id", ("PolicyMeasure",)), line)
        responsible = [(d, "按职责分工负责") for d in measure.departments] + [
            (body, "落实（各项均需）") for body in IMPLEMENTERS_OF_ALL
        ]
        for name, role in responsible:
            self.agency_names.add(name)
            self._link("RESPONSIBLE_FOR", "PolicyMeasure", measure_id, _agency(name), line, inbound=True, role=role)
        for stage in stages:
            self._link(
                "ADDRESSES_STAGE", "PolicyMeasure", measure_id, TargetRef(f"stage/{stage}", "id", ("ChainStage",)), line
            )
        for target in measure.targets:
            self.target(measure, measure_id, target)

    def target(self, measure: Measure, measure_id: str, target: Target) -> None:
        target_id = f"target/{mint_key(self.notice.doc_number, str(measure.number), target.metric)}"
        props = {
            "name_zh": target.metric,
            "metric": target.metric,
            "target_value": target.value,
            "unit": target.unit,
            "deadline_year": target.deadline_year,
            "scope": target.scope,
            "text": target.text,
        }
        self._record("PolicyTarget", target_id, props, measure.line)
        self._link(
            "HAS_TARGET", "PolicyMeasure", measure_id, TargetRef(target_id, "id", ("PolicyTarget",)), measure.line
        )

    def agencies(self) -> None:
        """Agencies the notice names: they merge with the agency table by name; the rest are created here."""
        for name in sorted(self.agency_names):
            self.nodes.append(
                NodeRecord(
                    label="GovernmentAgency",
                    id=f"agency/{mint_key(name)}",
                    props={"name_zh": name, "agency_type": "collective" if name.startswith("各") else None},
                    provenance=self._prov(self.doc_line),
                    names=(name,),
                    priority=80,
                )
            )


def _agency(name: str) -> TargetRef:
    return TargetRef(name, "organization", ("GovernmentAgency",))

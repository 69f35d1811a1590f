"""The report as one JSON document (`care run report --format json`): every figure of
every scope by its key (`care.domain.figures`), durations in seconds, shares as
{value, count, basis}, the direction, the trend's weeks, the bottleneck lines, the
consistency call-outs and the outcomes. Stable keys: scripts and dashboards read it."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from care.domain import insights
from care.domain.figures import KEY_FIGURES, label
from care.domain.metrics import Metrics, Scope
from care.domain.report import Report
from care.report import sections

VERSION = 1


def report_document(report: Report, page: Path | None = None) -> dict[str, Any]:
    t = report.thresholds
    return {
        "version": VERSION,
        "window": {
            "start": report.start.isoformat(),
            "end": report.end.isoformat(),
            "days": report.days,
        },
        "page": str(page) if page else None,
        "figures": {
            f.key: {"label": label(f, t), "unit": f.unit, "better": f.better} for f in KEY_FIGURES
        },
        "overall": _scope(report.overall),
        "previous": _scope(report.previous) if report.previous else None,
        "helpdesks": [_scope(h.total) for h in report.helpdesks],
        "groups": [_scope(g) for g in report.groups],
        "agents": [_scope(a) for a in report.agents],
        "direction": [
            {
                "figure": c.figure.key,
                "before": c.before,
                "now": c.after,
                "verdict": c.verdict,
            }
            for c in insights.direction(report)
        ],
        "weeks": [
            {"start": w.start.isoformat(), "end": w.end.isoformat(), **_figures(w.metrics)}
            for w in report.weeks
        ],
        "bottlenecks": [b.line for b in insights.bottlenecks(report)],
        "consistency": {
            "groups": sections.consistency(report, report.groups, "group").callouts,
            "agents": sections.consistency(report, report.agents, "agent").callouts,
        },
        "outcomes": [
            {"split": s.split, "yes": asdict(s.yes), "no": asdict(s.no)}
            for s in insights.outcome_splits(report)
        ]
        if report.outcomes
        else [],
        "outreach": asdict(report.outreach),
    }


def _scope(scope: Scope) -> dict[str, Any]:
    return {
        "helpdesk": scope.helpdesk,
        "group": scope.group,
        "group_name": scope.group_name,
        "agent": scope.agent,
        "agent_name": scope.agent_name,
        "label": scope.label,
        **_figures(scope.metrics),
    }


def _figures(m: Metrics) -> dict[str, Any]:
    figures: dict[str, Any] = {"tickets": m.tickets, "answered": m.answered}
    for f in KEY_FIGURES:
        if f.unit == "duration":
            figures[f.key] = f.value(m)
        else:
            figures[f.key] = {"value": f.value(m), "count": f.count(m), "basis": f.basis(m)}
    return figures

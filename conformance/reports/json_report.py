"""The JSON report: :meth:`conformance.results.Report.as_json`, every exchange included (already masked)."""

from __future__ import annotations

import json

from conformance.results import Report


def render_json(report: Report) -> str:
    return json.dumps(report.as_json(), ensure_ascii=False, indent=2) + "\n"

"""Writing a :class:`~conformance.results.Report`: JSON (:mod:`.json_report`), JUnit XML (:mod:`.junit`) and one
self-contained HTML page (:mod:`.html`). :func:`write_reports` writes all three into a directory."""

from __future__ import annotations

from pathlib import Path

from conformance.reports.html import render_html
from conformance.reports.json_report import render_json
from conformance.reports.junit import render_junit
from conformance.results import Report

FILES = {"json": "conformance-report.json", "junit": "conformance-junit.xml", "html": "conformance-report.html"}


def write_reports(report: Report, directory: str | Path) -> dict[str, Path]:
    """Write the three reports into ``directory`` (created if needed); answer their paths by kind."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    renderers = {"json": render_json, "junit": render_junit, "html": render_html}
    written = {}
    for kind, name in FILES.items():
        path = folder / name
        path.write_text(renderers[kind](report), encoding="utf-8")
        written[kind] = path
    return written


__all__ = ["FILES", "render_html", "render_json", "render_junit", "write_reports"]

"""The JUnit XML report: one ``<testsuite>`` per plan, one ``<testcase>`` per check, for CI dashboards.

FAILED becomes ``<failure>`` (type = severity), ERROR ``<error>`` (each with the ``curl`` command reproducing its
last request), SKIPPED ``<skipped>`` with its reason; an expected failure is reported as skipped with its note, a
stale expectation as a failure.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from conformance.results import Report, Status


def render_junit(report: Report) -> str:
    root = ET.Element("testsuites", name="jesign-conformance", time=f"{report.duration_s:.3f}")
    plans: dict[str, ET.Element] = {}
    for result in report.results:
        suite = plans.get(result.plan)
        if suite is None:
            suite = plans[result.plan] = ET.SubElement(root, "testsuite", name=result.plan)
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{result.plan}.{result.module}",
            name=result.id,
            time=f"{result.duration_ms / 1000:.3f}",
        )
        message = result.reason or result.title
        if result.expected_failure and result.status is Status.FAILED:
            ET.SubElement(case, "skipped", message=f"{result.expectation_note}: {message}")
        elif result.expected_failure:
            ET.SubElement(case, "failure", message=result.expectation_note, type="stale_expectation")
        elif result.status is Status.FAILED:
            failure = ET.SubElement(case, "failure", message=message, type=result.severity.value)
            failure.text = "\n".join([*result.cites, *result.messages, *_reproduce(result.reproduce)])
        elif result.status is Status.ERROR:
            error = ET.SubElement(case, "error", message=message, type="error")
            error.text = "\n".join(_reproduce(result.reproduce)) or None
        elif result.status is Status.SKIPPED:
            ET.SubElement(case, "skipped", message=message)
        elif result.status is Status.WARNING:
            ET.SubElement(case, "system-out").text = f"WARNING: {message}"
    for suite in plans.values():
        cases = suite.findall("testcase")
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
        suite.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
        suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _reproduce(command: str) -> list[str]:
    return [f"reproduce: {command}"] if command else []

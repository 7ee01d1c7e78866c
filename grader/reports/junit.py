"""JUnit XML, the format CI services display (one testsuite per submission or variant)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

from grader.results import Report


def junit_xml(suites: Iterable[tuple[str, Report]]) -> bytes:
    root = ET.Element("testsuites")
    for suite_name, report in suites:
        suite = ET.SubElement(root, "testsuite", name=suite_name, tests=str(len(report.tests)),
                              failures=str(sum(t.outcome in ("failed", "timeout", "crashed") for t in report.tests)),
                              errors=str(sum(t.outcome == "error" for t in report.tests)),
                              time=f"{report.execution_time:.3f}")
        for t in report.tests:
            case = ET.SubElement(suite, "testcase", classname=f"{report.lab}.{suite_name}", name=t.name,
                                 time=f"{t.duration:.3f}")
            if t.outcome == "error":
                ET.SubElement(case, "error", message="grader or sandbox error").text = t.output
            elif not t.passed:
                ET.SubElement(case, "failure", message=t.outcome).text = t.output
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)

"""JUnit XML: one ``<testsuite>`` per dataset, one ``<testcase>`` per check.

CI servers (GitHub, GitLab, Jenkins) read this shape: a failed error-severity gate is a
``<failure>``, a skipped check is ``<skipped>``, a dataset that could not be audited is an
``<error>``. Warn-severity gates that did not pass stay passing test cases with the message in
``<system-out>``, so they show up without failing the build.

>>> from cleanaudit.workflows.gates import Measurements
>>> suite = junit_suite("data.csv", Measurements(10, {"label": 1}), [])
>>> print(render_junit([suite]).splitlines()[1])
<testsuites name="cleanaudit" tests="1" failures="0" errors="0" skipped="0" time="0.000">
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from cleanaudit.workflows.gates import GateResult, Measurements


@dataclass
class Case:
    name: str
    classname: str
    failure: str | None = None
    skipped: str | None = None
    error: str | None = None
    output: list[str] = field(default_factory=list)


@dataclass
class Suite:
    name: str
    cases: list[Case]
    seconds: float = 0.0

    def count(self, kind: str) -> int:
        return sum(getattr(c, kind) is not None for c in self.cases)


def junit_suite(name: str, measured: Measurements, gates: Iterable[GateResult], seconds: float = 0.0) -> Suite:
    """The test suite of one dataset: a case per check that ran or was skipped, gates attached.

    A command that runs no checks (health, find-issues) gets one case per measured issue type,
    or one case named after the command.
    """
    gates = list(gates)
    checks = list(measured.counts) + [c for c in measured.skipped if c not in measured.counts]
    for gate in gates:  # a gate on something this run did not measure still needs a case to fail in
        if gate.check not in checks:
            checks.append(gate.check)
    if not checks:
        checks = [measured.command]
    cases = []
    for check in checks:
        case = Case(check, f"cleanaudit.{measured.command}.{name}")
        mine = [g for g in gates if g.check == check]
        failed = [g.message for g in mine if not g.passed and g.severity == "error"]
        case.output = [f"{'PASS' if g.passed else g.severity.upper()}: {g.message}" for g in mine]
        if check in measured.counts:
            case.output.insert(0, f"{measured.counts[check]} of {measured.num_examples} rows flagged")
        if failed:
            case.failure = "; ".join(failed)
        elif check in measured.skipped:
            case.skipped = measured.skipped[check]
        cases.append(case)
    return Suite(name, cases, seconds)


def error_suite(name: str, message: str, command: str = "audit") -> Suite:
    """The suite of a dataset that could not be audited (unreadable file, bad column, ...)."""
    return Suite(name, [Case("load", f"cleanaudit.{command}.{name}", error=message)])


def render_junit(suites: list[Suite]) -> str:
    """The XML document, with totals on ``<testsuites>`` and on each ``<testsuite>``."""

    def totals(items: list[Suite]) -> str:
        tests = sum(len(s.cases) for s in items)
        failures, errors, skipped = (sum(s.count(k) for s in items) for k in ("failure", "error", "skipped"))
        seconds = sum(s.seconds for s in items)
        return f'tests="{tests}" failures="{failures}" errors="{errors}" skipped="{skipped}" time="{seconds:.3f}"'

    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<testsuites name="cleanaudit" {totals(suites)}>']
    for suite in suites:
        lines.append(f"  <testsuite name={quoteattr(suite.name)} {totals([suite])}>")
        for case in suite.cases:
            lines.append(f'    <testcase classname={quoteattr(case.classname)} name={quoteattr(case.name)} time="0">')
            if case.failure is not None:
                lines.append(
                    f'      <failure message={quoteattr(case.failure)} type="gate">{escape(case.failure)}</failure>'
                )
            if case.error is not None:
                lines.append(f'      <error message={quoteattr(case.error)} type="error">{escape(case.error)}</error>')
            if case.skipped is not None:
                lines.append(f"      <skipped message={quoteattr(case.skipped)}/>")
            if case.output:
                lines.append(f"      <system-out>{escape(chr(10).join(case.output))}</system-out>")
            lines.append("    </testcase>")
        lines.append("  </testsuite>")
    lines.append("</testsuites>")
    return "\n".join(lines) + "\n"

"""Quality gates: ``--fail-on EXPR`` and ``--fail-under HEALTH`` parsed and evaluated.

A gate names what makes a run fail. Grammar (spaces allowed around the operator)::

    label>0.05        fraction of rows flagged (a number with a point, or a percentage: 5%)
    label>100         count of rows flagged (an integer means rows)
    health<0.8        the label health score
    non_iid           flagged at all (same as non_iid>0)
    new:label>0       issues not in the --baseline run (any gate on a check, prefixed new:)

The core never prints or exits: :func:`evaluate` returns :class:`GateResult` objects and the
CLI decides what to print and which exit status follows.

>>> gate = parse_gate("label>0.05", known={"label"})
>>> m = Measurements(num_examples=100, counts={"label": 7})
>>> r = evaluate([gate], m)[0]
>>> r.passed, r.measured
(False, 0.07)
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cleanaudit.errors import ConfigError

HEALTH = "health"
SEVERITIES = ("error", "warn", "off")
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
_PATTERN = re.compile(r"^\s*(?P<name>[a-z_]+)\s*(?:(?P<op>>=|<=|>|<)\s*(?P<value>[0-9.eE+-]+%?)\s*)?$")


@dataclass(frozen=True)
class Gate:
    """One parsed gate: fail when ``metric op threshold`` holds.

    ``fraction`` says the threshold is a share of rows (else a count of rows, or the score itself
    for ``health``).
    """

    expr: str
    metric: str
    op: str = ">"
    threshold: float = 0.0
    fraction: bool = False
    new: bool = False  # count only issues absent from the --baseline run

    @property
    def check(self) -> str:
        """The check whose result this gate reads (health comes from the label check)."""
        return "label" if self.metric == HEALTH else self.metric


@dataclass
class Measurements:
    """What a run measured: issues per check, the health score, and the checks that were skipped."""

    num_examples: int
    counts: dict[str, int] = field(default_factory=dict)
    health: float | None = None
    skipped: dict[str, str] = field(default_factory=dict)
    command: str = "audit"
    new_counts: dict[str, int] | None = None  # issues not in the baseline run (None: no --baseline)


@dataclass
class GateResult:
    """A gate's outcome; ``measured`` is ``None`` when the run could not measure it."""

    expr: str
    measured: float | None
    passed: bool
    severity: str
    message: str
    check: str

    def payload(self) -> dict[str, Any]:
        return {
            "expr": self.expr,
            "measured": self.measured,
            "passed": self.passed,
            "severity": self.severity,
            "message": self.message,
        }


def parse_gate(expr: str, *, known: Iterable[str]) -> Gate:
    """Parse one ``--fail-on`` expression; ``known`` are the check names (``health`` is added).

    >>> parse_gate("near_duplicate > 10", known={"near_duplicate"})
    Gate(expr='near_duplicate>10', metric='near_duplicate', op='>', threshold=10.0, fraction=False, new=False)
    >>> parse_gate("label>5%", known={"label"}).threshold
    0.05
    """
    names = sorted(set(known) | {HEALTH})
    new = expr.strip().startswith("new:")
    if new:
        gate = parse_gate(expr.strip()[4:], known=known)
        if gate.metric == HEALTH:
            raise ConfigError(
                f"--fail-on {expr!r}: new: applies to issue counts, not the health score", hint="e.g. 'new:label>0'"
            )
        return Gate("new:" + gate.expr, gate.metric, gate.op, gate.threshold, gate.fraction, new=True)
    match = _PATTERN.match(expr)
    if not match:
        raise ConfigError(
            f"--fail-on {expr!r} is not a gate expression",
            hint="write e.g. 'label>0.05', 'label>100', 'health<0.8' or 'non_iid'",
        )
    name, op, raw = match["name"], match["op"], match["value"]
    if name not in names:
        raise ConfigError(f"--fail-on {expr!r} names unknown check {name!r}", hint=f"choose from: {', '.join(names)}")
    if op is None:
        if name == HEALTH:
            raise ConfigError(f"--fail-on {expr!r} needs a threshold", hint="e.g. 'health<0.8' or --fail-under 0.8")
        return Gate(name, name, ">", 0.0, False)
    percent = raw.endswith("%")
    try:
        value = float(raw.rstrip("%"))
    except ValueError:
        raise ConfigError(f"--fail-on {expr!r}: {raw!r} is not a number", hint="e.g. 'label>0.05'") from None
    if percent:
        value /= 100
    fraction = name != HEALTH and (percent or not re.fullmatch(r"[0-9]+", raw))
    if name == HEALTH and not 0 <= value <= 1:  # a threshold the score can never cross fails or passes forever
        raise ConfigError(
            f"--fail-on {expr!r}: the health score lies in [0, 1], so {raw} is out of range", hint="e.g. 'health<0.8'"
        )
    if fraction and not 0 <= value <= 1:
        raise ConfigError(
            f"--fail-on {expr!r}: a fraction must lie in [0, 1]",
            hint="write an integer for a count of rows, e.g. 'label>100'",
        )
    return Gate(f"{name}{op}{raw}", name, op, value, fraction)


def parse_gates(fail_on: Iterable[str], fail_under: float | None, *, known: Iterable[str]) -> list[Gate]:
    """All gates of a run: each ``--fail-on`` plus ``health<FAIL_UNDER``.

    >>> [g.expr for g in parse_gates(["label>0"], 0.9, known={"label"})]
    ['label>0', 'health<0.9']
    """
    known = set(known)
    gates = [parse_gate(e, known=known) for e in fail_on]
    if fail_under is not None:
        if not 0 <= fail_under <= 1:
            raise ConfigError(
                f"--fail-under {fail_under} is outside [0, 1]", hint="the health score is a share, e.g. 0.8"
            )
        gates.append(Gate(f"health<{fail_under:g}", HEALTH, "<", float(fail_under), False))
    return gates


def evaluate(
    gates: Iterable[Gate], measured: Measurements, severity: Mapping[str, str] | None = None
) -> list[GateResult]:
    """Evaluate ``gates``; a gate on a check that did not run fails (it could not be checked).

    ``severity`` maps check names to ``error``/``warn``/``off`` (default ``error``); ``off``
    drops the gate.
    """
    severity = severity or {}
    results = []
    for gate in gates:
        level = severity.get(gate.check, "error")
        if level == "off":
            continue
        results.append(_evaluate_one(gate, measured, level))
    return results


def _evaluate_one(gate: Gate, m: Measurements, level: str) -> GateResult:
    def result(measured: float | None, passed: bool, message: str) -> GateResult:
        return GateResult(gate.expr, measured, passed, level, message, gate.check)

    if gate.check in m.skipped:
        return result(None, False, f"{gate.expr}: not checked, {gate.check} was skipped ({m.skipped[gate.check]})")
    if gate.metric == HEALTH:
        if m.health is None:
            return result(None, False, f"{gate.expr}: not checked, {m.command} does not measure the health score")
        value = round(float(m.health), 6)
        failed = _OPS[gate.op](value, gate.threshold)
        return result(value, not failed, f"{gate.expr}: health score {value:.4g}")
    if gate.metric not in m.counts:
        return result(None, False, f"{gate.expr}: not checked, {m.command} does not run the {gate.metric} check")
    if gate.new and m.new_counts is None:
        return result(None, False, f"{gate.expr}: not checked, new issues need --baseline OLD/report.json")
    count = int((m.new_counts if gate.new else m.counts)[gate.metric])
    if gate.fraction:
        value = round(count / m.num_examples, 6) if m.num_examples else 0.0
        detail = f"{value:.4g} ({count} of {m.num_examples} rows)"
    else:
        value, detail = float(count), f"{count} of {m.num_examples} rows"
    failed = _OPS[gate.op](value, gate.threshold)
    what = f"new {gate.metric}" if gate.new else gate.metric
    return result(value, not failed, f"{gate.expr}: {what} {detail}")


def gates_failed(results: Iterable[GateResult]) -> bool:
    """True when a gate of severity ``error`` did not pass (``warn`` gates never fail a run)."""
    return any(not r.passed and r.severity == "error" for r in results)

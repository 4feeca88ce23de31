"""Self-check: how precise and how complete are this run's label issues? Rerun it where the errors are known.

The run's own estimates say how its labels went wrong: the flagged rows are errors, each most
likely of the class the model and the noise estimate favour; the other rows are right; and the
estimated noise matrix says how often each true class is given as each other one. The self-check
builds that data set: the labels with the flagged rows corrected, then errors planted with the
estimated noise matrix (``--self-check auto``) or with that matrix scaled to flip RATE of the rows
(``--self-check RATE``). It gets pred_probs for the planted labels the way the run got its own
(cross-validating again, ``--model auto`` included), reruns label detection with the same settings
and scores what it flags against the planted errors. Precision and recall there estimate the run's.

Where the classes overlap in feature space, confident learning reads the overlap as label noise
and flags more rows than there are errors; the corrected labels are then cleaner than the real
ones and the estimated precision is too high (bench/detection.py measures by how much).

>>> parse_rate("auto"), result("auto", (40, 36, 30), "cross-validated again", 35).recall
('auto', 0.75)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.errors import ConfigError
from cleanaudit.workflows.result import NoteLog

if TYPE_CHECKING:
    from cleanaudit.workflows.prepare import Prepared
    from cleanaudit.workflows.request import DataRequest

Detect = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (labels, pred_probs) -> flagged rows

AUTO = "auto"
FALLBACK_RATE = 0.05  # planted by "auto" when the run estimates (almost) no label errors
MIN_AUTO_SHARE = 0.01  # ... that is, fewer than this share of rows


@dataclass
class SelfCheckResult:
    rate: float | str  # what was asked: "auto" (the estimated noise) or a share of rows to flip
    num_flipped: int  # errors planted
    num_flagged: int  # issues found on the planted labels
    num_found: int  # planted errors among them
    precision: float | None
    recall: float | None
    pred_probs: str  # how pred_probs for the planted labels were obtained
    num_corrected: int = 0  # flagged rows of the run whose label the simulation corrected first
    note: str | None = None  # what the self-check decided on the user's behalf

    def payload(self) -> dict[str, Any]:
        return dict(self.__dict__)


def run_self_check(
    prepared: Prepared,
    request: DataRequest,
    flagged: np.ndarray,
    detect: Detect,
    rate: float | str,
    *,
    ensemble_weighting: str,
    train: bool = False,
) -> SelfCheckResult:
    """Plant errors as the run estimates them, get pred_probs the run's way, rerun ``detect``, score it.

    Given pred_probs (``--pred-probs``, ``--from-model``) are reused: they never saw the planted
    errors, so the check is optimistic. A model fit on ``--train`` never saw DATA's labels either,
    so reusing its pred_probs is exact.
    """
    from cleanaudit.workflows.sources import mixed_pred_probs, obtain_members

    ds = prepared.dataset
    truth, planted, used = simulated_labels(ds.labels, prepared.pred_probs, flagged, rate, seed=request.seed)
    note = None
    if used != rate:
        note = (
            f"self-check: the run estimates label errors in fewer than {MIN_AUTO_SHARE:.0%} of rows, so "
            f"{FALLBACK_RATE:.0%} of rows were flipped instead (the detector's power at that noise)"
        )
        prepared.log.note("self_check_fallback", note)
    if train:
        pred_probs, how = prepared.pred_probs, "the --train model's pred_probs (it never saw these labels)"
    elif request.pred_probs_list or request.from_model is not None:
        pred_probs, how = prepared.pred_probs, "pred_probs reused as given (optimistic)"
    else:
        prepared.log.note(
            "self_check_refit",
            f"self-check: cross-validating again on labels with {int((truth != planted).sum())} errors planted",
        )
        members, _ = obtain_members(replace(ds, labels=planted), request, _Quiet(prepared.log.events))
        pred_probs = (
            members[0].pred_probs if len(members) == 1 else mixed_pred_probs(members, planted, ensemble_weighting)[0]
        )
        how = "cross-validated again on the planted labels"
    counts = score_planted(truth, planted, detect(planted, pred_probs))
    checked = result(used, counts, how, int(np.asarray(flagged, dtype=bool).sum()))
    checked.note = note
    return checked


class _Quiet(NoteLog):
    """The refit's log: its notes (model choice, warnings) are the run's again, so they are not shown."""

    def add(self, note: Any) -> None:
        self.keep(note)

    def progress(self, description: str, completed: int, total: int) -> None:
        self.events.progress(f"self-check: {description}", completed, total)


def parse_rate(value: str | float) -> float | str:
    """``auto``, or a share of rows to flip in (0, 0.5).

    >>> parse_rate("auto"), parse_rate("0.05")
    ('auto', 0.05)
    """
    if isinstance(value, str) and value.strip().lower() == AUTO:
        return AUTO
    try:
        rate = float(value)
    except ValueError:
        raise ConfigError(
            f"--self-check {value!r} is neither 'auto' nor a number", hint="use --self-check auto, or e.g. 0.05"
        ) from None
    check_rate(rate)
    return rate


def check_rate(rate: float) -> None:
    """A flip rate must leave most labels right: (0, 0.5)."""
    if not 0 < rate < 0.5:
        raise ConfigError(f"--self-check {rate} is outside (0, 0.5)", hint="flip a small share, e.g. --self-check 0.05")


def simulated_labels(
    labels: np.ndarray, pred_probs: np.ndarray, flagged: np.ndarray, rate: float | str, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, float | str]:
    """``(truth, planted, rate)``: the labels with flagged rows corrected, a copy with errors planted, the rate.

    A flagged row takes the class other than its given one with the highest ``noise[given, j] *
    pred_probs[j]`` (the posterior of its true class under the estimated noise). Errors are drawn
    from the estimated noise matrix, column by the row's corrected class; with a numeric ``rate``
    its off-diagonal part is scaled so that about ``rate`` of the rows flip. When ``auto`` would
    flip fewer than ``MIN_AUTO_SHARE`` of the rows, ``FALLBACK_RATE`` is used (and returned).
    NumPy's global random state is not touched.

    >>> p = np.array([[.9, .1]] * 50 + [[.1, .9]] * 50)
    >>> y = np.array([0] * 45 + [1] * 5 + [1] * 45 + [0] * 5)
    >>> truth, planted, rate = simulated_labels(y, p, (p.argmax(1) != y), "auto", seed=0)
    >>> bool((truth == p.argmax(1)).all()), 0 < int((planted != truth).sum()) < 30, rate
    (True, True, 'auto')
    """
    from cleanaudit.engine import estimate_py_and_noise_matrices_from_probabilities

    labels, flagged = np.asarray(labels), np.asarray(flagged, dtype=bool)
    k = pred_probs.shape[1]
    _, noise, _, _ = estimate_py_and_noise_matrices_from_probabilities(labels, pred_probs)
    posterior = noise[labels, :] * pred_probs
    posterior[np.arange(len(labels)), labels] = -1.0  # the corrected class is another one
    truth = labels.copy()
    truth[flagged] = posterior[flagged].argmax(axis=1)
    prior = np.bincount(truth, minlength=k) / len(truth)
    if rate == AUTO and float(prior @ (1.0 - np.diag(noise))) < MIN_AUTO_SHARE:
        rate = FALLBACK_RATE
    if rate != AUTO:
        noise = _scaled(noise, prior, float(rate))
    rng = np.random.default_rng(seed)
    cumulative = np.cumsum(noise, axis=0)
    draws = rng.random(len(truth))
    planted = truth.copy()
    for j in range(k):
        rows = np.flatnonzero(truth == j)
        planted[rows] = np.minimum(np.searchsorted(cumulative[:, j], draws[rows], side="right"), k - 1)
    return truth, planted, rate


def _scaled(noise: np.ndarray, prior: np.ndarray, rate: float) -> np.ndarray:
    """``noise`` with its off-diagonal part scaled so that a share ``rate`` of rows (``prior``) flips."""
    off = noise - np.diag(np.diag(noise))
    flips = float(prior @ off.sum(axis=0))
    if flips <= 0:  # no noise estimated: spread the flips evenly over the other classes
        k = len(prior)
        off = (np.ones((k, k)) - np.eye(k)) / max(k - 1, 1)
        flips = 1.0
    off = off * min(rate / flips, 0.95 / max(float(off.sum(axis=0).max()), 1e-12))
    return off + np.diag(1.0 - off.sum(axis=0))


def score_planted(truth: np.ndarray, planted: np.ndarray, flagged: np.ndarray) -> tuple[int, int, int]:
    """``(planted errors, flagged rows, planted errors flagged)`` on the planted labels."""
    errors = np.asarray(truth) != np.asarray(planted)
    flagged = np.asarray(flagged, dtype=bool)
    return int(errors.sum()), int(flagged.sum()), int((errors & flagged).sum())


def result(rate: float | str, counts: tuple[int, int, int], how: str, corrected: int) -> SelfCheckResult:
    """The self-check's record from the counts of :func:`score_planted`.

    >>> result("auto", (10, 8, 6), "x", 3).precision, result("auto", (10, 8, 6), "x", 3).recall
    (0.75, 0.6)
    """
    planted, flagged, found = counts
    precision = round(found / flagged, 4) if flagged else None
    recall = round(found / planted, 4) if planted else None
    return SelfCheckResult(rate, planted, flagged, found, precision, recall, how, corrected)

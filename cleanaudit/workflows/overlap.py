"""overlap: class pairs the model confuses, largest joint probability first (candidates to merge).

>>> from cleanaudit.workflows.overlap import OverlapRequest, run_overlap
>>> result = run_overlap(OverlapRequest("sample_data/tutorial/train.csv", label="y", ignore=["y_int"], top=2,
...                                     pred_probs="sample_data/tutorial/pred_probs_cv3_logreg_by_name.npy"))
>>> [(p["class_a"], p["class_b"]) for p in result.pairs], [n.kind for n in result.notes]
([('purple', 'seafoam green'), ('seafoam green', 'yellow')], ['pairs_left_out'])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cleanaudit.workflows.request import DataRequest

if TYPE_CHECKING:
    from cleanaudit.events import Events
    from cleanaudit.workflows.labels import OverlapResult
    from cleanaudit.workflows.prepare import Prepared

PAIRS_TOP_DEFAULT = 100  # pairs listed unless ``top`` says otherwise (K classes make K(K-1)/2)


@dataclass
class OverlapRequest(DataRequest):
    """overlap's own options; ``top`` pairs are kept (``None``: all of them)."""

    asymmetric: bool = False
    top: int | None = PAIRS_TOP_DEFAULT


def run_overlap(request: OverlapRequest, *, events: Events | None = None) -> OverlapResult:
    """Find the overlapping class pairs of the request's data; the result's ``context`` holds the run."""
    from cleanaudit.workflows import labels
    from cleanaudit.workflows.prepare import prepare

    prepared = prepare(request, events)
    if request.annotators:  # several annotators per row: their consensus is the label (workflows.annotators)
        from cleanaudit.workflows.annotators import consensus_prepared

        prepared = consensus_prepared(prepared)
    ds = prepared.dataset
    result = labels.overlap_result(
        ds.labels, prepared.pred_probs, ds.class_names, asymmetric=request.asymmetric, top=request.top
    )
    return conclude_overlap(prepared, result)


def conclude_overlap(prepared: Prepared, result: OverlapResult) -> OverlapResult:
    """The note on pairs left out, and the run's ``context`` (a local run's or a cluster's)."""
    if len(result.pairs) < result.num_pairs:
        prepared.log.note(
            "pairs_left_out",
            f"listing the {len(result.pairs)} most overlapping of "
            f"{result.num_pairs:,} class pairs (--top N to change, --top 0 for all)",
        )
    result.context = prepared.conclude("overlap", result.payload())
    return result

"""The label commands: find-issues, health, overlap, noise-matrix."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from cleanaudit.cli.app import app
from cleanaudit.cli.options import DataOptions, EnsembleWeighting, OutputFormat, data_command

# Mirrors cleanaudit.workflows.labels (kept here so --help does not import the engine).
FilterBy = Enum("FilterBy", {m: m for m in (
    "prune_by_noise_rate", "prune_by_class", "both", "confident_learning", "predicted_neq_given",
    "low_normalized_margin", "low_self_confidence")}, type=str)
RankBy = Enum("RankBy", {m: m for m in ("self_confidence", "normalized_margin", "confidence_weighted_entropy")},
              type=str)
PyMethod = Enum("PyMethod", {m: m for m in ("cnt", "eqn", "marginal", "marginal_ps")}, type=str)

TABLE_TOP_DEFAULT = 20
PAIRS_TOP_DEFAULT = 100  # overlap lists this many pairs unless --top says otherwise (K classes make K(K-1)/2)


@app.command(
    "find-issues",
    epilog=(
        "Examples:\n\n"
        "  cleanaudit find-issues data.csv --label y\n\n"
        "  cleanaudit find-issues data.parquet -l y --pred-probs probs.npy --top 10\n\n"
        "  cleanaudit find-issues data.csv -l y --filter-by both --format json > issues.json\n\n"
        "  cleanaudit find-issues test.csv -l y --train train.csv\n\n"
        "  cleanaudit find-issues data.csv -l y -m logreg -m random-forest --ensemble-weighting accuracy\n\n"
        "  cleanaudit find-issues new.csv -l y --from-model model.skops"
    ),
)
@data_command
def find_issues(
    opts: DataOptions,
    filter_by: Annotated[FilterBy, typer.Option(help="How label issues are flagged.")] = FilterBy.prune_by_noise_rate,
    rank_by: Annotated[RankBy, typer.Option(help="Label-quality score used to rank issues.")] = RankBy.self_confidence,
    adjust_pred_probs: Annotated[bool, typer.Option(
        help="Subtract per-class thresholds before scoring (accounts for class imbalance).")] = False,
    min_examples_per_class: Annotated[int, typer.Option(
        min=0, help="Never flag so many rows that a class keeps fewer than this.")] = 1,
    frac_noise: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="Flag only this fraction of the estimated label errors (prune_* methods).")] = 1.0,
    top: Annotated[Optional[int], typer.Option(
        min=0, help=f"Show the N most severe issues \\[default: {TABLE_TOP_DEFAULT} in a table, all in "
                    "json/csv/markdown; 0 = all].", show_default=False)] = None,
    train: Annotated[Optional[Path], typer.Option(
        help="Fit the model on this file (same columns) and score DATA's labels with it, without "
             "cross-validating DATA: audits a test set.", show_default=False)] = None,
    ensemble_weighting: Annotated[EnsembleWeighting, typer.Option(
        help="With several --model or --pred-probs: how members are weighted (issues are flagged on the "
             "weighted mean pred_probs and ranked by the ensembled label quality).")] = EnsembleWeighting.accuracy,
) -> int:
    """Find label errors: rows whose given label is probably wrong, most severe first."""
    from cleanaudit.cli.runtime import emit, prepare
    from cleanaudit.workflows.gates import Measurements
    from cleanaudit.models.ensemble import ensemble_issues_result
    from cleanaudit.workflows.labels import find_issues_result

    prepared = prepare(opts, ensemble_weighting=ensemble_weighting.value, train=train)
    ds = prepared.dataset
    settings = dict(filter_by=filter_by.value, rank_by=rank_by.value, adjust_pred_probs=adjust_pred_probs,
                    min_examples_per_class=min_examples_per_class, frac_noise=frac_noise)
    if len(prepared.members) > 1:
        result = ensemble_issues_result(ds.labels, prepared.members, ds.class_names, ids=ds.ids,
                                        weighting=ensemble_weighting.value, **settings)
    else:
        result = find_issues_result(ds.labels, prepared.pred_probs, ds.class_names, ids=ds.ids, **settings)
    # Machine-readable output lists every issue unless --top says otherwise; tables default to a screenful.
    measured = Measurements(ds.num_examples, {"label": result.num_issues}, command="find-issues")
    return emit("find-issues", prepared, opts, payload=result.payload(top or None),
                tables=result.tables(_table_top(top, opts.format)), per_row=result.per_row_frame_columns(),
                measured=measured)


@app.command(
    epilog=(
        "Examples:\n\n"
        "  cleanaudit health data.csv --label y\n\n"
        "  cleanaudit health data.csv -l y --pred-probs probs.npy --format json\n\n"
        "  cleanaudit health new.csv -l y --from-model model.skops"
    ),
)
@data_command
def health(opts: DataOptions) -> int:
    """Overall label health score (share of labels that look right) and label quality per class."""
    from cleanaudit.cli.runtime import emit, prepare
    from cleanaudit.workflows.gates import Measurements
    from cleanaudit.workflows.labels import health_result

    prepared = prepare(opts)
    ds = prepared.dataset
    result = health_result(ds.labels, prepared.pred_probs, ds.class_names)
    measured = Measurements(ds.num_examples, {"label": result.num_label_issues}, health=result.health_score,
                            command="health")
    return emit("health", prepared, opts, payload=result.payload(), tables=result.tables(), measured=measured)


@app.command(
    epilog=(
        "Examples:\n\n"
        "  cleanaudit overlap data.csv --label y\n\n"
        "  cleanaudit overlap data.csv -l y --asymmetric --top 5"
    ),
)
@data_command
def overlap(
    opts: DataOptions,
    asymmetric: Annotated[bool, typer.Option(
        help="Count (given=a, true=b) and (given=b, true=a) separately.")] = False,
    top: Annotated[Optional[int], typer.Option(
        min=0, help=f"Show the N most overlapping pairs \\[default: {PAIRS_TOP_DEFAULT}; 0 = all]. JSON says how "
                    "many pairs were left out (pairs_total, pairs_left_out).", show_default=False)] = None,
) -> int:
    """Class pairs that overlap: candidates to merge, relabel, or define better."""
    from cleanaudit.cli.runtime import emit, prepare
    from cleanaudit.workflows.labels import overlap_result

    prepared = prepare(opts)
    ds = prepared.dataset
    keep = PAIRS_TOP_DEFAULT if top is None else (top or None)
    result = overlap_result(ds.labels, prepared.pred_probs, ds.class_names, asymmetric=asymmetric, top=keep)
    if len(result.pairs) < result.num_pairs:
        prepared.notes.note(f"listing the {len(result.pairs)} most overlapping of {result.num_pairs:,} class pairs "
                            "(--top N to change, --top 0 for all)")
    return emit("overlap", prepared, opts, payload=result.payload(), tables=result.tables())


@app.command(
    "noise-matrix",
    epilog=(
        "Examples:\n\n"
        "  cleanaudit noise-matrix data.csv --label y\n\n"
        "  cleanaudit noise-matrix data.csv -l y --converge-latent-estimates --format json"
    ),
)
@data_command
def noise_matrix(
    opts: DataOptions,
    converge_latent_estimates: Annotated[bool, typer.Option(
        help="Make py and the two noise matrices mutually consistent by iteration.")] = False,
    py_method: Annotated[PyMethod, typer.Option(help="How the prior of true labels is estimated.")] = PyMethod.cnt,
) -> int:
    """Estimate label noise: py, noise matrix, inverse noise matrix, confident joint and joint."""
    from cleanaudit.cli.runtime import emit, prepare
    from cleanaudit.workflows.labels import noise_matrix_result

    prepared = prepare(opts)
    ds = prepared.dataset
    result = noise_matrix_result(ds.labels, prepared.pred_probs, ds.class_names,
                                 converge_latent_estimates=converge_latent_estimates, py_method=py_method.value)
    return emit("noise-matrix", prepared, opts, payload=result.payload(), tables=result.tables())


def _table_top(top: Optional[int], fmt: OutputFormat) -> Optional[int]:
    if top is None:
        return TABLE_TOP_DEFAULT if fmt is OutputFormat.table else None
    return top or None

"""The audit command: every data-quality check on one dataset."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from cleanaudit.cli.app import app
from cleanaudit.cli.options import DataOptions, EnsembleWeighting, data_command, split_columns


def _list_checks(value: bool) -> None:
    if not value:
        return
    from rich.console import Console
    from rich.table import Table

    from cleanaudit.checks import all_checks

    table = Table(title="Checks (run in this order)", title_justify="left")
    for column in ("check", "default", "needs", "parameters", "what it finds"):
        table.add_column(column)
    for name, spec in all_checks().items():
        needs = " or ".join(n.replace("+", " and ") for n in spec.needs) or "labels only"
        params = ", ".join(f"{k}={v!r}" for k, v in spec.params.items()) or "-"
        table.add_row(name, "yes" if spec.default else "no", needs, params, spec.description)
    Console().print(table)
    raise typer.Exit()


@app.command(
    epilog=(
        "Examples:\n\n"
        "  cleanaudit audit data.csv --label y\n\n"
        "  cleanaudit audit data.parquet -l y --id-column id --out report/\n\n"
        "  cleanaudit audit data.csv -l y --pred-probs probs.npy --checks label,outlier --format json\n\n"
        "  cleanaudit audit data.csv -l y --check-param outlier.k=20\n\n"
        "  cleanaudit audit data_dir/ -l y --fail-on 'label>0.1' --format junit > results.xml\n\n"
        "  cleanaudit audit --list-checks"
    ),
)
@data_command
def audit(
    opts: DataOptions,
    checks: Annotated[Optional[str], typer.Option(
        help="Comma-separated checks to run \\[default: every default check whose inputs are present].",
        show_default=False)] = None,
    check_param: Annotated[Optional[list[str]], typer.Option(
        "--check-param", help="Check parameter check.name=value (repeatable), e.g. outlier.k=20.",
        show_default=False)] = None,
    num_examples: Annotated[int, typer.Option(
        min=0, help="Most severe examples shown per issue type.")] = 5,
    list_checks: Annotated[bool, typer.Option(
        "--list-checks", callback=_list_checks, is_eager=True, expose_value=False,
        help="List every check with its inputs and parameters, and exit.")] = False,
    self_check: Annotated[Optional[float], typer.Option(
        "--self-check", help="Flip this share of labels (e.g. 0.05) with a class-conditional noise matrix, rerun "
                             "label detection and report precision/recall of finding the flips: is the model "
                             "good enough for this audit to be trusted?", show_default=False)] = None,
    baseline: Annotated[Optional[Path], typer.Option(
        "--baseline", help="An earlier run's report.json (from --out): report new, fixed and unchanged issues "
                           "per type; gates may then count new issues only, e.g. --fail-on 'new:label>0'.",
        show_default=False)] = None,
    recursive: Annotated[bool, typer.Option(
        "--recursive", "-r", help="With folders in DATA: audit the tables in their subfolders too.")] = False,
    ensemble_weighting: Annotated[EnsembleWeighting, typer.Option(
        help="With several --model or --pred-probs: how members are weighted; every check then uses the "
             "weighted mean of their pred_probs.")] = EnsembleWeighting.accuracy,
) -> None:
    """Audit a dataset: label errors, outliers, near duplicates, non-IID order, class imbalance,
    underperforming groups and missing values, in one report.

    Several files, a folder of several or a glob make a batch: each dataset is audited on its
    own and an index lists them all (with --out DIR: DIR/<dataset>/ and DIR/index.*)."""
    from cleanaudit.workflows.audit import parse_check_params, resolve_params, select_checks
    from cleanaudit.cli.runtime import emit, parse_option_gates

    selected = split_columns(checks) if checks is not None else opts.checks  # flag > config > defaults
    select_checks(selected)  # fail fast on unknown names, before the model is fitted
    parse_option_gates(opts)  # and on bad gate expressions, before any dataset is read
    overrides = {name: dict(values) for name, values in opts.check_params.items()}
    for name, values in parse_check_params(check_param or []).items():
        overrides.setdefault(name, {}).update(values)
    resolve_params(select_checks(selected), overrides)  # bad values fail here, before any data is read
    files = _dataset_files(opts, recursive)
    if baseline is not None and len(files) > 1 and not baseline.is_dir():
        from cleanaudit.errors import ConfigError

        raise ConfigError(f"--baseline {baseline} is one report, but DATA names {len(files)} datasets",
                          hint="give the --out folder of the earlier batch run (BASE/<dataset>/report.json)")
    if self_check is not None:
        from cleanaudit.workflows.selfcheck import check_rate

        check_rate(self_check)  # before any fitting
    settings = AuditSettings(selected, overrides, num_examples, ensemble_weighting.value, baseline, self_check)
    if len(files) > 1:
        from cleanaudit.cli.batch import run_batch

        def run_one(one: DataOptions, name: str) -> Any:
            # In a batch, --baseline is the earlier batch's --out folder: BASE/<dataset>/report.json.
            own = replace(settings, baseline=baseline / name / "report.json") if baseline is not None else settings
            return audit_dataset(one, own)

        return run_batch(files, opts, run_one)
    # One file (even found in a folder or by a glob) keeps the single-dataset report.
    prepared, opts, emit_args = audit_dataset(replace(opts, data=files), settings)
    return emit("audit", prepared, opts, **emit_args)


@dataclass
class AuditSettings:
    """audit's own options, resolved once and shared by every dataset of a batch."""

    checks: Optional[list[str]]
    check_params: dict[str, dict[str, Any]]
    num_examples: int
    ensemble_weighting: str
    baseline: Optional[Path] = None
    self_check: Optional[float] = None


def _dataset_files(opts: DataOptions, recursive: bool) -> list[Path]:
    """The files DATA names; several of them (or a folder of several) make a batch run."""
    from cleanaudit.data.load import expand_paths

    return expand_paths(opts.data, recursive=recursive)


def audit_dataset(opts: DataOptions, settings: AuditSettings) -> tuple[Any, DataOptions, dict[str, Any]]:
    """Audit one dataset; returns ``(prepared, opts, emit keyword arguments)`` for emit/conclude."""
    import numpy as np

    from cleanaudit.workflows.audit import run_audit
    from cleanaudit.cli.runtime import markdown_report, opts_severity, prepare
    from cleanaudit.errors import InputError
    from cleanaudit.workflows.gates import evaluate
    from cleanaudit.report.audit_report import audit_measurements, audit_payload, audit_tables
    from cleanaudit.report.tables import TableData

    earlier = None
    if settings.baseline is not None:  # read before fitting: a bad baseline should fail fast
        from cleanaudit.workflows.baseline import load_baseline

        earlier = load_baseline(settings.baseline, id_column=opts.id_column)
    prepared = prepare(opts, ensemble_weighting=settings.ensemble_weighting)
    ds = prepared.dataset
    with prepared.notes.progress() as progress:
        result = run_audit(labels=ds.labels, pred_probs=prepared.pred_probs, features=ds.features,
                           class_names=ds.class_names, checks=settings.checks, check_params=settings.check_params,
                           progress=progress)
    for skipped in result.skipped:
        prepared.notes.note(f"skipped {skipped.name}: {skipped.reason}")
    if not result.results:
        # Nothing was checked: passing would tell CI the data is fine when nobody looked.
        reasons = "; ".join(f"{s.name}: {s.reason}" for s in result.skipped) or "no checks selected"
        raise InputError(f"no check could run on {ds.paths[0] if ds.paths else 'the data'} ({reasons})",
                         hint="give the inputs the checks need (features, --pred-probs) or choose --checks")
    tables = audit_tables(result, ds.ids, settings.num_examples)
    measured = audit_measurements(result)
    payload = audit_payload(result, ds.ids, settings.num_examples)
    if earlier is not None:
        from cleanaudit.workflows.baseline import compare

        keys = ds.ids if opts.id_column is not None else np.arange(ds.num_examples)
        changes = compare(earlier, {name: r.is_issue for name, r in result.results.items()}, keys)
        measured.new_counts = {name: c["new"] for name, c in changes.items()}
        payload["baseline"] = {"path": str(earlier.path), "matched_by": earlier.matched_by, "issues": changes}
        tables.insert(1, TableData(
            "Compared with the baseline", ["issue type", "new", "fixed", "unchanged"],
            [[name, c["new"], c["fixed"], c["unchanged"]] for name, c in changes.items()],
            caption=f"baseline {earlier.path}; rows matched by {earlier.matched_by}"))

    def report_files(envelope: dict[str, Any]) -> dict[str, str]:
        from cleanaudit.report.html import render_html

        gates = evaluate(prepared.gates, measured, opts_severity(opts))
        return {
            "report.md": markdown_report("audit", ds, tables, gates),
            "report.html": render_html(envelope, tables, result, ds, prepared.pred_probs, prepared.notes.note),
        }

    if settings.self_check is not None and "label" in result.results:
        check = _self_check(prepared, opts, settings, result)
        payload["self_check"] = check.payload()
        tables.insert(1, TableData(
            "Self-check", ["flip rate", "flipped", "flagged", "found", "precision", "recall"],
            [[check.rate, check.num_flipped, check.num_flagged, check.num_found, check.precision, check.recall]],
            caption=f"labels flipped on purpose, then label detection rerun ({check.pred_probs}); precision "
                    "leaves out rows the audit flagged before flipping"))
    elif settings.self_check is not None:
        prepared.notes.note("self-check skipped: the label check did not run")
    return prepared, opts, dict(payload=payload, tables=tables,
                                per_row=result.per_row_columns(), extra_files=report_files, measured=measured)


def _self_check(prepared: Any, opts: DataOptions, settings: AuditSettings, result: Any) -> Any:
    """Flip labels, get pred_probs for the flipped copy, rerun the label check, score the flips."""
    from dataclasses import replace as replace_fields

    from cleanaudit.workflows.audit import run_audit
    from cleanaudit.cli.sources import mixed_pred_probs, obtain_members
    from cleanaudit.workflows.selfcheck import flip_labels, score_flips

    ds = prepared.dataset
    noisy = flip_labels(ds.labels, float(settings.self_check), seed=opts.seed)
    if opts.pred_probs or opts.from_model is not None:
        # Given probabilities never saw the flips, so detection is easier than it would be: say so.
        pred_probs, how = prepared.pred_probs, "pred_probs reused as given (optimistic)"
    else:
        prepared.notes.note(f"self-check: cross-validating again on labels with {settings.self_check:.1%} flipped")
        members, _ = obtain_members(replace_fields(ds, labels=noisy), opts, prepared.notes)
        pred_probs = members[0].pred_probs if len(members) == 1 else mixed_pred_probs(
            members, noisy, settings.ensemble_weighting)[0]
        how = "cross-validated again on the flipped labels"
    again = run_audit(labels=noisy, pred_probs=pred_probs, features=None, class_names=ds.class_names,
                      checks=["label"], check_params={"label": result.params.get("label", {})})
    return score_flips(ds.labels, noisy, again.results["label"].is_issue, result.results["label"].is_issue,
                       rate=float(settings.self_check), pred_probs=how)

"""The clean command: find label issues, then drop, relabel or weight those rows; write the cleaned
table and a manifest; optionally compare test accuracy before and after, and save the cleaned model."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from cleanaudit.cli.app import app
from cleanaudit.cli.options import DataOptions, OutputFormat, data_command

if TYPE_CHECKING:
    import numpy as np

    from cleanaudit.cli.runtime import Notes
    from cleanaudit.data.dataset import Dataset
    from cleanaudit.workflows.merging import ClassMerge

# Mirrors cleanaudit.workflows.clean.STRATEGIES (kept here so --help does not import the engine).
Strategy = Enum("Strategy", {m: m for m in ("drop", "relabel", "weight")}, type=str)
CLEAN_PANEL = "Cleaning"
TABLE_TOP_DEFAULT = 10


@app.command(
    epilog=(
        "Examples:\n\n"
        "  cleanaudit clean data.csv -l y --output cleaned.csv\n\n"
        "  cleanaudit clean train.parquet -l y --test test.parquet --output cleaned.parquet --save-model model.skops\n\n"
        "  cleanaudit clean data.csv -l y --strategy relabel --relabel-threshold 0.8 --dry-run\n\n"
        "  cleanaudit clean data.csv -l y --merge \"seafoam green=yellow\" --output merged.csv\n\n"
        "  cleanaudit clean data.csv -l y --label-issues report/issues.parquet --output cleaned.csv"
    ),
)
@data_command
def clean(
    opts: DataOptions,
    output: Annotated[Optional[Path], typer.Option(
        "--output", help="Write the cleaned table here (.csv or .parquet; never over an input), and "
                         "<name>.manifest.csv beside it; both (and --save-model) are moved into place "
                         "together once all are written. Required unless --dry-run.",
        rich_help_panel=CLEAN_PANEL, show_default=False)] = None,
    strategy: Annotated[Strategy, typer.Option(
        help="drop: remove flagged rows; relabel: give them the predicted class where the model is "
             "confident (others are removed); weight: keep every row, add a sample_weight column.",
        rich_help_panel=CLEAN_PANEL)] = Strategy.drop,
    relabel_threshold: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="--strategy relabel: least probability of the predicted class to relabel.",
        rich_help_panel=CLEAN_PANEL)] = 0.5,
    merge: Annotated[Optional[list[str]], typer.Option(
        help="Merge classes first: \"FROM=TO\" makes class FROM part of class TO (repeatable).",
        rich_help_panel=CLEAN_PANEL, show_default=False)] = None,
    noise_matrix: Annotated[Optional[Path], typer.Option(
        help="Known noise matrix (.npy or .csv, K x K, P(given=i | true=j), columns sum to 1, in sorted "
             "class order after --merge): used for the sample weights.",
        rich_help_panel=CLEAN_PANEL, show_default=False)] = None,
    label_issues: Annotated[Optional[Path], typer.Option(
        help="Use label issues found earlier (issues.parquet/.csv from find-issues or audit --out, "
             "matched by id or row) instead of finding them.", rich_help_panel=CLEAN_PANEL,
        show_default=False)] = None,
    test: Annotated[Optional[Path], typer.Option(
        help="Test table with the same columns, its labels taken as the truth: compare the model trained "
             "on the original and on the cleaned data.", rich_help_panel=CLEAN_PANEL, show_default=False)] = None,
    save_model: Annotated[Optional[Path], typer.Option(
        help="Save the model trained on the cleaned data (skops format, safe to load; needs "
             "pip install \"cleanaudit\\[model]\"), for --from-model.", rich_help_panel=CLEAN_PANEL,
        show_default=False)] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Report what would change; write no cleaned table, manifest or model.",
        rich_help_panel=CLEAN_PANEL)] = False,
    top: Annotated[Optional[int], typer.Option(
        min=0, help=f"Rows shown in the table of changes \\[default: {TABLE_TOP_DEFAULT}; 0 = all].",
        rich_help_panel=CLEAN_PANEL, show_default=False)] = None,
) -> int:
    """Clean a dataset: drop, relabel or weight rows with label issues; write the cleaned table and a manifest."""
    import time

    from cleanaudit.workflows.clean import plan_cleaning
    from cleanaudit.cli.runtime import Notes, Prepared, emit, parse_option_gates
    from cleanaudit.cli.sources import check_sources, load_data
    from cleanaudit.errors import ConfigError
    from cleanaudit.data.cleaned import check_output_path
    from cleanaudit.data.label_issues import read_label_issues
    from cleanaudit.data.noise_matrix import read_noise_matrix
    from cleanaudit.workflows.merging import parse_merges
    from cleanaudit.report.envelope import library_versions

    started = time.perf_counter()
    notes = Notes(opts.quiet)
    gates = parse_option_gates(opts)
    if output is None and not dry_run:
        raise ConfigError("missing option '--output'",
                          hint="name the cleaned file, e.g. --output cleaned.csv, or pass --dry-run to only report")
    if output is not None:
        check_output_path(output)
    if save_model is not None and not dry_run:
        from cleanaudit.models.persist import require_skops

        require_skops()
    check_sources(opts, ensemble=False, model_needed=test is not None or save_model is not None)
    original = load_data(opts)  # outputs were checked against every input before the command ran (cli.outputs)
    merged = parse_merges(merge or [], original.class_names)
    issues_file = read_label_issues(label_issues, original) if label_issues is not None else None
    working = merged.apply(original)
    known = read_noise_matrix(noise_matrix, working.class_names) if noise_matrix is not None else None

    # Cross-validate only when needed; pred_probs given as a file or a model are always used (scores, weights).
    needs_pred_probs = issues_file is None or strategy is Strategy.relabel or (
        strategy is Strategy.weight and known is None) or bool(opts.pred_probs) or opts.from_model is not None
    pred_probs, run = _pred_probs(opts, original, working, merged, notes) if needs_pred_probs else (None, _no_run())
    detection = _detection(working, merged, pred_probs, issues_file, known)
    for message in detection.notes:
        notes.note(f"note: {message}")
    plan = plan_cleaning(working.labels, working.class_names, detection, strategy=strategy.value,
                         relabel_threshold=relabel_threshold)

    evaluation, model_spec, cleaned_model = None, None, None
    if test is not None or save_model is not None:
        evaluation, model_spec, cleaned_model = _fit_and_evaluate(opts, run, working, original, merged, plan, test,
                                                                  notes)
    files: dict[str, Optional[str]] = {"output_file": None, "manifest_file": None, "model_file": None}
    if not dry_run:
        files = _write(opts, original, working, merged, plan, output, save_model, cleaned_model, model_spec)
    elif not opts.quiet:
        notes.note("dry run: nothing written")

    payload: dict[str, Any] = {
        **plan.payload(),
        "merged": [{"from": a, "to": b} for a, b in merged.pairs],
        "noise_matrix": str(noise_matrix) if noise_matrix is not None else (
            "estimated" if detection.noise_matrix is not None else None),
        "label_issues_file": str(label_issues) if label_issues is not None else None,
        "dry_run": dry_run,
        **files,
    }
    tables = [plan.summary_table(merged.describe())]
    if evaluation is not None:
        payload.update(evaluation.payload())
        tables.append(evaluation.table())
    if top is None:
        shown = TABLE_TOP_DEFAULT if opts.format is OutputFormat.table else None
    else:
        shown = top or None
    tables.append(plan.changes_table(original.ids, shown))
    run["versions"] = library_versions()
    prepared = Prepared(working, pred_probs, run, started, notes, gates=gates)
    return emit("clean", prepared, opts, payload=payload, tables=tables, per_row=_per_row(original, plan))


def _pred_probs(opts: DataOptions, original: Dataset, working: Dataset, merged: ClassMerge,
                notes: Notes) -> tuple[np.ndarray, dict[str, Any]]:
    """pred_probs of the merged classes: files and saved models score the original classes (then summed)."""
    from cleanaudit.cli.sources import obtain_members

    if opts.pred_probs or opts.from_model is not None:
        members, run = obtain_members(original, opts, notes)
        return merged.pred_probs(members[0].pred_probs), run
    members, run = obtain_members(working, opts, notes)
    return members[0].pred_probs, run


def _no_run() -> dict[str, Any]:
    return {"model": None, "cv_folds": None, "seed": None, "pred_probs_source": None}


def _detection(working: Dataset, merged: ClassMerge, pred_probs: Any, issues_file: Any, known: Any) -> Any:
    import numpy as np

    from cleanaudit.workflows.clean import detect_label_issues, detection_from_issues

    if issues_file is None:
        return detect_label_issues(working.labels, pred_probs, noise_matrix=known)
    suggested = np.where(issues_file.suggested >= 0, merged.code_map[np.maximum(issues_file.suggested, 0)], -1)
    return detection_from_issues(issues_file.is_issue, f"--label-issues {issues_file.source}", labels=working.labels,
                                 pred_probs=pred_probs, label_quality=issues_file.label_quality,
                                 suggested=suggested, noise_matrix=known)


def _fit_and_evaluate(opts: DataOptions, run: dict[str, Any], working: Dataset, original: Dataset,
                      merged: ClassMerge, plan: Any, test: Optional[Path], notes: Notes) -> tuple[Any, str, Any]:
    from cleanaudit.models.evaluate import evaluate, fit_cleaned_model
    from cleanaudit.errors import InputError
    from cleanaudit.models.specs import parse_model_params
    from cleanaudit.models.fit import model_spec, resolve_model

    if working.features.shape[1] == 0:
        raise InputError("no feature columns to train the cleaned model on (--test / --save-model)",
                         hint="pass --features, or leave out --test and --save-model")
    if run.get("pred_probs_source") == "cross-validation":
        spec = model_spec(str(run["model"]))
    else:
        if opts.model[0] == "auto":
            notes.note("note: choosing the model for --test/--save-model with --model auto (cross-validation)")
        with notes.progress() as progress:
            spec = resolve_model(opts.model[0], working.features, working.labels, cv=opts.cv, seed=opts.seed,
                                 jobs=opts.jobs, progress=progress, class_names=working.class_names).spec
    params = parse_model_params(opts.model_param or [])
    cleaned_model, messages = fit_cleaned_model(spec, working.features, plan, model_params=params, seed=opts.seed)
    evaluation = None
    if test is not None:
        features, labels = _load_test(opts, test, working, original, merged)
        evaluation, _ = evaluate(spec, working.features, plan, features, labels, test_path=str(test),
                                 model_params=params, seed=opts.seed, cleaned_model=cleaned_model)
        evaluation.notes = list(dict.fromkeys(messages + evaluation.notes))
    for message in messages if evaluation is None else evaluation.notes:
        notes.note(f"model note: {message}")
    return evaluation, spec, cleaned_model


def _load_test(opts: DataOptions, test: Path, working: Dataset, original: Dataset,
               merged: ClassMerge) -> tuple[Any, Any]:
    """The test table's features (the training feature columns) and labels as merged class codes."""
    import numpy as np

    from cleanaudit.cli.sources import load_data
    from cleanaudit.errors import InputError

    data = load_data(opts, [test], features=list(working.features.columns))
    known = {str(c): k for k, c in enumerate(original.class_names)}
    unknown = [c for c in data.class_names if str(c) not in known]
    if unknown:
        raise InputError(f"--test {test} has label(s) the training data does not: {', '.join(map(str, unknown))}",
                         hint=f"the classes are: {', '.join(map(str, original.class_names))}")
    codes = np.array([known[str(c)] for c in data.class_names], dtype=np.intp)[data.labels]
    return data.features, merged.labels(codes)


def _write(opts: DataOptions, original: Dataset, working: Dataset, merged: ClassMerge, plan: Any,
           output: Path, save_model: Optional[Path], cleaned_model: Any, spec: Optional[str]) -> dict[str, Optional[str]]:
    from cleanaudit.cli import signals
    from cleanaudit.data.cleaned import cleaned_table, manifest_path, source_table
    from cleanaudit.data.write import FileSet, write_frame
    from cleanaudit.models.persist import SavedModel, save_model as save

    table = source_table(original.frame, original.paths, output)
    old_names = [original.class_names[k] for k in original.labels]
    new_names = [working.class_names[k] for k in plan.new_labels]
    cleaned = cleaned_table(table, original.label_column, old_names, new_names, plan.keep, plan.sample_weight)
    manifest = manifest_path(output)
    files = {"output_file": str(output), "manifest_file": str(manifest), "model_file": None}
    with FileSet() as staged:  # the table, its manifest and the model land together, or none of them
        if save_model is not None:  # first: a model skops cannot store should stop the run before any write
            info = {"trained_on": [str(p) for p in original.paths], "trained_on_sha256": original.sha256,
                    "num_training_rows": int(plan.keep.sum()), "strategy": plan.strategy,
                    "merged": [f"{a}={b}" for a, b in merged.pairs], "created_by": "cleanaudit clean"}
            saved = SavedModel(cleaned_model, list(working.class_names), list(working.features.columns),
                               original.label_column, str(spec), info)
            staged.write(save_model, lambda temp: save(saved, temp))
            files["model_file"] = str(save_model)
        staged.write(output, lambda temp: write_frame(cleaned, temp))
        staged.write(manifest, lambda temp: write_frame(plan.manifest(original.row_ids), temp))
        signals.check()
        staged.commit()
    return files


def _per_row(original: Dataset, plan: Any) -> dict[str, Any]:
    """Columns of issues.parquet/.csv under --out (usable again as --label-issues)."""
    import numpy as np

    names = np.array(list(plan.class_names) + [None], dtype=object)
    return {
        "is_label_issue": plan.detection.is_issue,
        "label_quality": plan.detection.label_quality,
        "given_label": [original.class_names[k] for k in original.labels],
        "predicted_label": names[plan.detection.predicted],
        "action": plan.actions,
    }

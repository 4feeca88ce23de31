"""clean: find label issues (or read them), then drop, relabel or weight those rows; write the
cleaned table and a manifest; optionally compare test accuracy before and after, and save the model.

What each row gets is decided in :mod:`cleanaudit.workflows.clean`; this module runs the command
around it: options checked before anything is read, classes merged, pred_probs obtained only when
needed, the cleaned model fitted and evaluated, and the outputs written together (or none).

>>> from cleanaudit.workflows.clean_run import CleanRequest, run_clean
>>> result = run_clean(CleanRequest("sample_data/tutorial/train.csv", label="y", ignore=["y_int"], dry_run=True,
...                                 pred_probs="sample_data/tutorial/pred_probs_cv3_logreg_by_name.npy"))
>>> result.plan.count("removed"), [n.kind for n in result.notes]
(64, ['dry_run'])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cleanaudit.workflows.request import DataRequest
from cleanaudit.workflows.result import CommandOutcome, RunContext

if TYPE_CHECKING:
    import numpy as np

    from cleanaudit.data.dataset import Dataset
    from cleanaudit.events import Events
    from cleanaudit.models.evaluate import Evaluation
    from cleanaudit.workflows.annotator_clean import ConsensusCleanResult
    from cleanaudit.workflows.clean import CleaningPlan
    from cleanaudit.workflows.merging import ClassMerge
    from cleanaudit.workflows.result import NoteLog


@dataclass
class CleanRequest(DataRequest):
    """clean's own options (paths as ``--output``, ``--label-issues``, ... take them)."""

    output: Path | None = None  # required unless dry_run
    strategy: str | None = None  # None: drop, or with corrections only the reviewed rows change
    relabel_threshold: float = 0.5
    merge: Sequence[str] = ()  # "FROM=TO" items
    noise_matrix: Path | None = None
    label_issues: Path | None = None
    corrections: Path | None = None  # corrections.csv of cleanaudit review (workflows.clean_reviewed)
    test: Path | None = None
    save_model: Path | None = None
    dry_run: bool = False


@dataclass
class CleanResult(CommandOutcome):
    """What cleaning did to each row, the test evaluation, and the files written."""

    plan: CleaningPlan
    merged: ClassMerge
    original: Dataset  # the data as read (``context.dataset`` is the data after --merge)
    evaluation: Evaluation | None = None
    files: dict[str, str | None] = field(default_factory=dict)
    context: RunContext | None = field(default=None, repr=False, compare=False)


def run_clean(
    request: CleanRequest, *, events: Events | None = None, checkpoint: Callable[[], None] | None = None
) -> CleanResult | ConsensusCleanResult:
    """Clean the request's data. ``checkpoint()`` is called just before the outputs are moved into
    place (the CLI raises there after a Ctrl-C some library swallowed)."""
    from cleanaudit.data.cleaned import check_output_path
    from cleanaudit.data.corrections import read_corrections
    from cleanaudit.data.label_issues import read_label_issues
    from cleanaudit.data.labels import not_analysed_payload
    from cleanaudit.data.noise_matrix import read_noise_matrix
    from cleanaudit.errors import ConfigError
    from cleanaudit.workflows import clean_reviewed, sources
    from cleanaudit.workflows.clean import plan_cleaning
    from cleanaudit.workflows.merging import parse_merges
    from cleanaudit.workflows.prepare import Prepared, start

    clean_reviewed.check_request(request)
    if request.strategy is None and request.corrections is None:
        request = replace(request, strategy="drop")
    if request.task == "multilabel":  # label sets: drop rows or write corrected sets (workflows.multilabel_clean)
        from cleanaudit.workflows.multilabel_clean import run_multilabel_clean

        return run_multilabel_clean(request, events, checkpoint)  # type: ignore[return-value]
    if request.annotators or request.strategy == "consensus":  # several annotators: write their consensus
        from cleanaudit.workflows.annotator_clean import run_consensus_clean

        return run_consensus_clean(request, events=events, checkpoint=checkpoint)
    log, gates, started = start(request, events)
    output = Path(request.output) if request.output is not None else None
    if output is None and not request.dry_run:
        raise ConfigError(
            "missing option '--output'",
            hint="name the cleaned file, e.g. --output cleaned.csv, or pass --dry-run to only report",
        )
    if output is not None:
        check_output_path(output)
    if request.save_model is not None and not request.dry_run:
        from cleanaudit.models.persist import require_skops

        require_skops()
    fits_model = request.test is not None or request.save_model is not None
    sources.check_sources(request, ensemble=False, model_needed=fits_model)
    original = sources.load_data(request)  # the CLI checked the outputs against every input before this
    for note in original.notes:
        log.add(note)
    merged = parse_merges(list(request.merge), original.class_names)
    issues_file = read_label_issues(Path(request.label_issues), original) if request.label_issues is not None else None
    corrections = read_corrections(Path(request.corrections), original) if request.corrections is not None else None
    automatic = request.strategy is not None  # None here: only the reviewed rows change
    # Cross-validate only when needed; pred_probs given as a file or a model are always used (scores, weights).
    needs_pred_probs = (
        (automatic and issues_file is None)
        or request.strategy == "relabel"
        or (request.strategy == "weight" and request.noise_matrix is None)
        or bool(request.pred_probs_list)
        or request.from_model is not None
        or request.save_pred_probs is not None  # asked for: fit them even when --label-issues says what to clean
    )
    if needs_pred_probs and not (request.pred_probs_list or request.from_model is not None):
        original, merged, issues_file = _leave_out_rare_classes(request, original, merged, issues_file, log)
        corrections = corrections.aligned(original) if corrections is not None else None
    working = merged.apply(original)
    known = None
    if request.noise_matrix is not None:
        known = read_noise_matrix(Path(request.noise_matrix), working.class_names)
    pred_probs, run = _pred_probs(request, original, working, merged, log) if needs_pred_probs else (None, _no_run())
    if pred_probs is not None:
        from cleanaudit.workflows.prepare import note_model_check, save_pred_probs

        note_model_check(working, pred_probs, run, log, seed=request.seed)  # weak model, leaks: as every command
        if request.save_pred_probs is not None:
            save_pred_probs(Path(request.save_pred_probs), working, pred_probs, run, log)
    detection = (
        _detection(working, merged, pred_probs, issues_file, known) if automatic or pred_probs is not None else None
    )
    for message in detection.notes if detection is not None else []:
        log.note("detection_warning", message)
    if not automatic:
        plan = clean_reviewed.only_decisions(working, detection, corrections, merged)
    else:
        plan = plan_cleaning(
            working.labels,
            working.class_names,
            detection,
            strategy=request.strategy or "drop",
            relabel_threshold=request.relabel_threshold,
        )
        plan = clean_reviewed.over_strategy(plan, corrections, merged) if corrections is not None else plan
    if corrections is not None:
        clean_reviewed.outside_decisions(plan, corrections, original, merged)

    evaluation, model_spec, cleaned_model = None, None, None
    if fits_model:
        evaluation, model_spec, cleaned_model = _fit_and_evaluate(request, run, working, original, merged, plan, log)
    files: dict[str, str | None] = {"output_file": None, "manifest_file": None, "model_file": None}
    if not request.dry_run:
        assert output is not None
        files = _write(request, original, working, merged, plan, output, cleaned_model, model_spec, checkpoint)
    else:
        log.note("dry_run", "dry run: nothing written")

    passed = clean_reviewed.passed_through(original, plan)
    payload: dict[str, Any] = {
        **plan.payload(),
        "rows_out": int(plan.keep.sum()) + passed,
        "passed_through": passed,
        "not_analysed": not_analysed_payload(original),
        "merged": [{"from": a, "to": b} for a, b in merged.pairs],
        "noise_matrix": str(request.noise_matrix)
        if request.noise_matrix is not None
        else ("estimated" if plan.detection.noise_matrix is not None else None),
        "label_issues_file": str(request.label_issues) if request.label_issues is not None else None,
        "corrections": clean_reviewed.payload(corrections, request) if corrections is not None else None,
        "dry_run": request.dry_run,
        **files,
    }
    if evaluation is not None:
        payload.update(evaluation.payload())
    prepared = Prepared(request, working, pred_probs, run, log, started, gates=gates)
    context = prepared.conclude("clean", payload, per_row=_per_row(original, plan))
    return CleanResult(plan, merged, original, evaluation, files, context)


def _leave_out_rare_classes(
    request: CleanRequest, original: Dataset, merged: ClassMerge, issues_file: Any, log: NoteLog
) -> tuple[Dataset, ClassMerge, Any]:
    """Leave out the rows of (merged) classes too small for the folds, from the data, the merges and the issues."""
    import numpy as np

    from cleanaudit.data.labels import leave_out_classes, leave_out_rare_classes

    kept, note = leave_out_rare_classes(merged.apply(original), cv=request.cv, on_rare_class=request.on_rare_class)
    if note is None:
        return original, merged, issues_file
    log.add(note)
    rare = [k for k, name in enumerate(merged.class_names) if name not in kept.class_names]
    subset = leave_out_classes(original, np.flatnonzero(np.isin(merged.code_map, rare)).tolist())
    if issues_file is not None:  # its arrays follow the data's rows; suggested codes the classes
        from dataclasses import replace

        keep = np.isin(original.row_positions, subset.row_positions)
        codes = np.array([subset.class_names.index(c) if c in subset.class_names else -1 for c in original.class_names])
        suggested = issues_file.suggested[keep]
        issues_file = replace(
            issues_file,
            is_issue=issues_file.is_issue[keep],
            label_quality=issues_file.label_quality[keep],
            suggested=np.where(suggested >= 0, codes[np.maximum(suggested, 0)], -1),
        )
    return subset, merged.restricted(subset.class_names), issues_file


def _pred_probs(
    request: CleanRequest, original: Dataset, working: Dataset, merged: ClassMerge, log: NoteLog
) -> tuple[np.ndarray, dict[str, Any]]:
    """pred_probs of the merged classes: files and saved models score the original classes (then summed)."""
    from cleanaudit.workflows.sources import obtain_members

    if request.pred_probs_list or request.from_model is not None:
        members, run = obtain_members(original, request, log)
        return merged.pred_probs(members[0].pred_probs), run
    members, run = obtain_members(working, request, log)
    return members[0].pred_probs, run


def _no_run() -> dict[str, Any]:
    return {"model": None, "cv_folds": None, "seed": None, "pred_probs_source": None}


def _detection(working: Dataset, merged: ClassMerge, pred_probs: Any, issues_file: Any, known: Any) -> Any:
    import numpy as np

    from cleanaudit.workflows.clean import detect_label_issues, detection_from_issues

    if issues_file is None:
        return detect_label_issues(working.labels, pred_probs, noise_matrix=known)
    suggested = np.where(issues_file.suggested >= 0, merged.code_map[np.maximum(issues_file.suggested, 0)], -1)
    return detection_from_issues(
        issues_file.is_issue,
        f"--label-issues {issues_file.source}",
        labels=working.labels,
        pred_probs=pred_probs,
        label_quality=issues_file.label_quality,
        suggested=suggested,
        noise_matrix=known,
    )


def _fit_and_evaluate(
    request: CleanRequest,
    run: dict[str, Any],
    working: Dataset,
    original: Dataset,
    merged: ClassMerge,
    plan: Any,
    log: NoteLog,
) -> tuple[Any, str, Any]:
    from cleanaudit.errors import InputError
    from cleanaudit.models.evaluate import evaluate, fit_cleaned_model
    from cleanaudit.models.fit import model_spec, resolve_model

    if working.features.shape[1] == 0:
        raise InputError(
            "no feature columns to train the cleaned model on (--test / --save-model)",
            hint="pass --features, or leave out --test and --save-model",
        )
    if run.get("pred_probs_source") == "cross-validation":
        spec = model_spec(str(run["model"]))
    else:
        if request.models[0] == "auto":
            log.note("model_choice", "choosing the model for --test/--save-model with --model auto (cross-validation)")
        spec = resolve_model(
            request.models[0],
            working.features,
            working.labels,
            cv=request.cv,
            seed=request.seed,
            jobs=request.jobs,
            progress=log.progress,
            class_names=working.class_names,
        ).spec
    params = request.model_param_dict()
    cleaned_model, messages = fit_cleaned_model(spec, working.features, plan, model_params=params, seed=request.seed)
    evaluation = None
    if request.test is not None:
        test = Path(request.test)
        features, labels = _load_test(request, test, working, original, merged)
        evaluation, _ = evaluate(
            spec,
            working.features,
            plan,
            features,
            labels,
            test_path=str(test),
            model_params=params,
            seed=request.seed,
            cleaned_model=cleaned_model,
        )
        evaluation.notes = list(dict.fromkeys(messages + evaluation.notes))
    for message in messages if evaluation is None else evaluation.notes:
        log.note("model_note", message)
    return evaluation, spec, cleaned_model


def _load_test(
    request: CleanRequest, test: Path, working: Dataset, original: Dataset, merged: ClassMerge
) -> tuple[Any, Any]:
    """The test table's features (the training feature columns) and labels as merged class codes."""
    import numpy as np

    from cleanaudit.errors import InputError
    from cleanaudit.workflows.sources import load_data

    data = load_data(request, [test], features=list(working.features.columns))
    known = {str(c): k for k, c in enumerate(original.class_names)}
    unknown = [c for c in data.class_names if str(c) not in known]
    if unknown:
        raise InputError(
            f"--test {test} has label(s) the training data does not: {', '.join(map(str, unknown))}",
            hint=f"the classes are: {', '.join(map(str, original.class_names))}",
        )
    codes = np.array([known[str(c)] for c in data.class_names], dtype=np.intp)[data.labels]
    return data.features, merged.labels(codes)


def _write(
    request: CleanRequest,
    original: Dataset,
    working: Dataset,
    merged: ClassMerge,
    plan: Any,
    output: Path,
    cleaned_model: Any,
    spec: str | None,
    checkpoint: Callable[[], None] | None,
) -> dict[str, str | None]:
    from cleanaudit.data.cleaned import cleaned_table, manifest_path, source_table
    from cleanaudit.data.write import FileSet, write_frame
    from cleanaudit.models.persist import SavedModel
    from cleanaudit.models.persist import save_model as save
    from cleanaudit.workflows.clean_reviewed import input_rows

    table = source_table(original.input_frame, original.paths, output)
    cleaned = cleaned_table(table, original.label_column, *input_rows(original, working, plan))
    manifest = manifest_path(output)
    save_model = Path(request.save_model) if request.save_model is not None else None
    files = {"output_file": str(output), "manifest_file": str(manifest), "model_file": None}
    with FileSet() as staged:  # the table, its manifest and the model land together, or none of them
        if save_model is not None:  # first: a model skops cannot store should stop the run before any write
            info = {
                "trained_on": [str(p) for p in original.paths],
                "trained_on_sha256": original.sha256,
                "num_training_rows": int(plan.keep.sum()),
                "strategy": plan.strategy,
                "merged": [f"{a}={b}" for a, b in merged.pairs],
                "created_by": "cleanaudit clean",
            }
            saved = SavedModel(
                cleaned_model,
                list(working.class_names),
                list(working.features.columns),
                original.label_column,
                str(spec),
                info,
            )
            staged.write(save_model, lambda temp: save(saved, temp))
            files["model_file"] = str(save_model)
        staged.write(output, lambda temp: write_frame(cleaned, temp))
        rows = plan.manifest(original.row_ids, original.row_positions, original.not_analysed)
        staged.write(manifest, lambda temp: write_frame(rows, temp))
        if checkpoint is not None:
            checkpoint()
        staged.commit()
    return files


def _per_row(original: Dataset, plan: Any) -> dict[str, Any]:
    """Columns of issues.parquet/.csv under --out, one row per input row (usable again as --label-issues)."""
    import numpy as np

    from cleanaudit.data.labels import full_file_columns

    names = np.array(list(plan.class_names) + [None], dtype=object)
    columns = {
        "is_label_issue": plan.detection.is_issue,
        "label_quality": plan.detection.label_quality,
        "given_label": np.array([original.class_names[k] for k in original.labels], dtype=object),
        "predicted_label": names[plan.detection.predicted],
        "action": plan.actions,
    }
    return full_file_columns(original, columns) if original.not_analysed is not None else columns

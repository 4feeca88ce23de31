"""Where a command writes, checked before it reads or fits anything.

Every output (``--out DIR``; clean's ``--output`` and its manifest, ``--save-model``,
``--save-pred-probs``, whose suffix must name a format it can write) is checked
against every input (the DATA files, ``--pred-probs``, ``--baseline`` and the rows file beside
it, ``--label-issues``, ``--corrections``, ``--noise-matrix``, ``--test``, ``--train``, ``--config`` or the settings
file found, ``--from-model``): no output may replace an input or another output, and each must be
writable. :class:`cleanaudit.cli.app.CleanAuditGroup` runs :func:`check_command_paths` on a
command's parsed parameters before the command itself, so a bad path fails at once, with one
line naming both paths, instead of after the fitting.

``--out DIR`` is written as one set (:class:`cleanaudit.data.write.FolderSet`): DIR must be new,
empty, or hold only an earlier report (:data:`OWN_NAMES`, or per-dataset folders of them), which
is then replaced as a whole; a folder holding anything else is refused, so no file of yours is
ever deleted.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cleanaudit.report.outdir import INDEX_FILES, OWN_NAMES, REPORT_FILES  # noqa: F401 - what an --out set holds

# Parameters naming files a command reads (parameter name -> option, for messages).
INPUT_OPTIONS = {
    "pred_probs": "--pred-probs",
    "baseline": "--baseline",
    "label_issues": "--label-issues",
    "corrections": "--corrections",
    "noise_matrix": "--noise-matrix",
    "test": "--test",
    "train": "--train",
    "config": "--config",
    "from_model": "--from-model",
}


def check_command_paths(params: Mapping[str, Any]) -> None:
    """Raise ``InputError``/``ConfigError`` unless every output of the command can be written safely."""
    from cleanaudit.data.targets import check_file_target, check_folder_target, is_within, real_path, same_file
    from cleanaudit.errors import ConfigError

    if params.get("save_pred_probs") is not None:  # an unknown format fails now, not after the fitting
        from cleanaudit.data.pred_probs import check_pred_probs_target

        check_pred_probs_target(params["save_pred_probs"])
    out = params.get("out")
    files = [] if params.get("dry_run") else output_files(params)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if out is None and not files and not summary:
        return
    inputs = command_inputs(params)
    if summary:  # the Markdown summary is appended there: never to one of the inputs
        for label, path in inputs:
            if path.is_file() and same_file(Path(summary), path):
                raise ConfigError(
                    f"GITHUB_STEP_SUMMARY {summary} is the input file {path} ({label})",
                    hint="point GITHUB_STEP_SUMMARY at another file; inputs are never modified",
                )
    if out is not None:
        check_folder_target(Path(out), inputs, option="--out", own_names=OWN_NAMES)
    claimed: dict[Path, str] = {}
    for option, path in files:
        check_file_target(path, inputs, option=option)
        real = real_path(path)
        if out is not None and is_within(real, real_path(Path(out))):
            raise ConfigError(
                f"{option} {path} is inside --out {out}, which is replaced as a whole",
                hint="write it outside the --out folder",
            )
        if real in claimed:
            raise ConfigError(f"{option} {path} is also {claimed[real]}", hint="give each output its own path")
        claimed[real] = f"{option} {path}"


def output_files(params: Mapping[str, Any]) -> list[tuple[str, Path]]:
    """The single files a command writes: ``--output`` and its manifest, any ``--save-*`` (model, pred_probs)."""
    files: list[tuple[str, Path]] = []
    output = params.get("output")
    if output is not None:
        from cleanaudit.data.cleaned import manifest_path

        files += [("--output", Path(output)), ("--output's manifest", manifest_path(Path(output)))]
    for name, value in params.items():
        if name.startswith("save_") and isinstance(value, (str, Path)):
            files.append(("--" + name.replace("_", "-"), Path(value)))
    return files


def command_inputs(params: Mapping[str, Any]) -> list[tuple[str, Path]]:
    """Every file (or folder) the command reads, as ``(label, path)``; ``-`` (stdin) is left out."""
    from cleanaudit.errors import CleanAuditError

    inputs: list[tuple[str, Path]] = []
    data = [Path(str(p)) for p in params.get("data") or []]
    try:
        from cleanaudit.data.load import expand_paths

        data = expand_paths(data, recursive=bool(params.get("recursive")))
    except CleanAuditError:  # a missing file or empty folder: the command itself says so
        pass
    inputs += [("DATA", p) for p in data if str(p) != "-"]
    for name, option in INPUT_OPTIONS.items():
        value = params.get(name)
        for path in value if isinstance(value, (list, tuple)) else [value]:
            if path is None:
                continue
            if name == "baseline":
                from cleanaudit.workflows.baseline import baseline_inputs

                inputs += [(option, p) for p in baseline_inputs(Path(path))]
            else:
                inputs.append((option, Path(path)))
    if params.get("config") is None:
        found = _found_config()
        if found is not None:
            inputs.append(("settings", found))
    return inputs


def _found_config() -> Path | None:
    from cleanaudit.config import find_config
    from cleanaudit.errors import CleanAuditError

    try:
        return find_config(Path.cwd().resolve())
    except (CleanAuditError, OSError, ValueError):
        return None

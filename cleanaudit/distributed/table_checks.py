"""audit's checks that are exact over partitions, and the per-row output folder of a table run.

``null``, ``class_imbalance`` and exact duplicates (with conflicting labels) give the results of
the local checks bit for bit: per partition the workers compute the rows' missing cells and row
hashes (``pd.util.hash_pandas_object`` of the feature columns, as the local check), the client
merges the small summaries. The checks that need the neighbour graph are skipped with the reason.
:func:`write_table_rows` writes ``issues/part-*.parquet`` (one file per partition) and
``report.json`` into an ``--out`` folder in one atomic step.

>>> checks = run_table_checks(read, client, feature_columns=["x1", "x2"])  # doctest: +SKIP
>>> checks.results["null"].summary_score  # doctest: +SKIP
1.0
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    from distributed import Client

    from cleanaudit.checks.base import CheckResult
    from cleanaudit.distributed.partitions import TableLabels
    from cleanaudit.workflows.labels import FindIssuesResult

GRAPH_SKIP = "needs the neighbour graph, not built over partitions yet"
GRAPH_CHECKS = ("outlier", "near_duplicate", "non_iid", "underperforming_group", "data_valuation")
ROWS_LISTED = 100  # as checks.null.MAX_ROWS_LISTED


@dataclass
class TableChecks:
    """Exact checks of a table: ``results`` by check name, ``exact_duplicates`` per row, ``skipped`` with reasons."""

    results: dict[str, CheckResult]
    exact_duplicate_group: np.ndarray
    has_conflicting_labels: np.ndarray
    skipped: dict[str, str] = field(default_factory=dict)

    def summary(self) -> list[dict[str, Any]]:
        rows = [
            {"issue_type": name, "num_issues": r.num_issues, "score": r.summary_score}
            for name, r in self.results.items()
        ]
        groups = int(self.exact_duplicate_group.max()) + 1 if len(self.exact_duplicate_group) else 0
        rows.append(
            {
                "issue_type": "exact_duplicate",
                "num_issues": int(np.count_nonzero(self.exact_duplicate_group >= 0)),
                "groups": groups,
                "conflicting_label_rows": int(self.has_conflicting_labels.sum()),
            }
        )
        return rows + [{"issue_type": n, "skipped": why} for n, why in self.skipped.items()]


def run_table_checks(
    read: TableLabels, client: Client, *, feature_columns: list[str], params: dict[str, dict[str, Any]] | None = None
) -> TableChecks:
    """null, class imbalance and exact duplicates over the partitions, equal to the local checks.

    ``params`` are the resolved check parameters (``--check-param``; defaults when left out).
    """
    import dask

    from cleanaudit.checks.base import CheckInputs
    from cleanaudit.checks.class_imbalance import run as class_imbalance
    from cleanaudit.checks.near_duplicate import conflicting_groups

    task = dask.delayed(_scan_part, pure=True)
    tasks = [task(part, read.analysed[i], feature_columns) for i, part in enumerate(read.table.parts)]
    scans = client.gather(client.compute(tasks))
    starts = np.concatenate([[0], np.cumsum(read.block_rows)[:-1]]).astype(np.int64)
    labels, names = read.dataset.labels, read.dataset.class_names
    results: dict[str, CheckResult] = {}
    if feature_columns:
        results["null"] = _merge_null(scans, starts, feature_columns)
    imbalance = dict((params or {}).get("class_imbalance") or {"threshold": 0.1})
    results["class_imbalance"] = class_imbalance(CheckInputs(len(labels), names, labels=labels), imbalance)
    groups = _groups_from_hashes(np.concatenate([s["hashes"] for s in scans]))
    conflicts = conflicting_groups(groups, labels)
    has_conflict = np.zeros(len(groups), bool)
    has_conflict[groups >= 0] = conflicts[groups[groups >= 0]]
    return TableChecks(results, groups, has_conflict, {name: GRAPH_SKIP for name in GRAPH_CHECKS})


def _scan_part(frame: pd.DataFrame, mask: np.ndarray | None, columns: list[str]) -> dict[str, Any]:
    import pandas as pd

    features = frame[columns] if mask is None else frame[columns].iloc[np.flatnonzero(mask)]
    missing = features.isna().to_numpy(dtype=bool)
    candidates = np.flatnonzero(missing.any(axis=1))
    patterns: dict[bytes, tuple[int, int, np.ndarray]] = {}
    if len(candidates):
        packed = np.ascontiguousarray(np.packbits(missing[candidates], axis=1))
        keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
        _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        for group, count in enumerate(counts):
            rows = candidates[inverse.ravel() == group]
            patterns[missing[rows[0]].tobytes()] = (int(count), int(rows[0]), rows[:ROWS_LISTED])
    return {
        "present": missing.shape[1] - np.count_nonzero(missing, axis=1),
        "column_missing": missing.sum(axis=0),
        "patterns": patterns,
        "hashes": pd.util.hash_pandas_object(features, index=False).to_numpy() if columns else np.zeros(0, np.uint64),
    }


def _merge_null(scans: list[dict[str, Any]], starts: np.ndarray, columns: list[str]) -> CheckResult:
    from cleanaudit.checks.base import CheckResult
    from cleanaudit.checks.null import NAME

    present = np.concatenate([s["present"] for s in scans])
    flags, scores = present == 0, present / len(columns)
    merged: dict[bytes, list[Any]] = {}
    for start, scan in zip(starts, scans):
        for key, (count, first, rows) in scan["patterns"].items():
            entry = merged.setdefault(key, [0, np.iinfo(np.int64).max, []])
            entry[0] += count
            entry[1] = min(entry[1], int(start) + first)
            entry[2].append(int(start) + rows)
    total = len(present)
    if not merged:
        common: dict[str, Any] = {"pattern": "no_null", "columns": [], "rows": [], "count": 0}
    else:
        key, (count, _, rows) = min(merged.items(), key=lambda item: (-item[1][0], item[1][1]))
        pattern = np.frombuffer(key, dtype=bool)
        common = {
            "pattern": "".join("1" if v else "0" for v in pattern),
            "columns": [c for c, v in zip(columns, pattern) if v],
            "rows": np.sort(np.concatenate(rows))[:ROWS_LISTED].tolist(),
            "count": int(count),
        }
    impact = np.sum([s["column_missing"] for s in scans], axis=0) / total
    some = int(np.count_nonzero((present < len(columns)) & ~flags))
    info = {
        "average_null_score": float(scores.mean()),
        "num_rows_all_null": int(np.count_nonzero(flags)),
        "num_rows_some_null": some,
        "most_common_issue": common,
        "column_impact": {str(c): float(v) for c, v in zip(columns, impact)},
    }
    return CheckResult(NAME, flags, scores, float(scores.mean()), info)


def _groups_from_hashes(hashes: np.ndarray) -> np.ndarray:
    """Group id per row for repeated rows, numbered by first appearance (as ``near_duplicate``), else -1."""
    _, first, inverse, counts = np.unique(hashes, return_index=True, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    repeated = counts > 1
    order = np.argsort(np.where(repeated, first, len(inverse) + 1), kind="stable")
    new_id = np.full(len(counts), -1, np.int64)
    new_id[order[: int(repeated.sum())]] = np.arange(int(repeated.sum()))
    return new_id[inverse]


ROWS_FOLDER = "issues"  # the local run's issues.parquet, as one Parquet file per partition


def write_table_rows(
    out: Path,
    result: FindIssuesResult,
    read: TableLabels,
    envelope: dict[str, Any],
    checks: TableChecks | None = None,
    *,
    extra_files: dict[str, str] | None = None,
    per_row: dict[str, Any] | None = None,
    own_names: frozenset[str] = frozenset(),
) -> Path:
    """``issues/part-NNNNN.parquet`` (one per partition: row, id, label columns, exact checks) and ``report.json``.

    ``envelope`` gets ``rows_file`` (the folder of parts, which ``pandas.read_parquet`` reads whole);
    ``extra_files`` (name -> text, e.g. ``report.md``) join the set; ``per_row`` replaces the
    label columns (an audit's checks' columns); ``own_names``: an earlier report's files, replaced whole.
    """
    import pandas as pd

    from cleanaudit.data.write import FolderSet, atomic_write_text

    positions = read.dataset.row_positions
    ids = read.dataset.row_ids
    columns = dict(per_row) if per_row is not None else result.per_row_frame_columns()
    if checks is not None:
        for name, check in checks.results.items():
            columns[f"is_{name}_issue"], columns[f"{name}_score"] = check.is_issue, check.score
        columns["exact_duplicate_group"] = checks.exact_duplicate_group
        columns["has_conflicting_labels"] = checks.has_conflicting_labels
    inputs = [("DATA", Path(p)) for p in read.table.paths if "://" not in p]
    with FolderSet(Path(out), inputs, option="--out", own_names=own_names) as staged:
        (staged.path / ROWS_FOLDER).mkdir()
        start = 0
        for i, rows in enumerate(read.block_rows):
            part = slice(start, start + rows)
            frame = pd.DataFrame({"row": positions[part], "id": ids[part]})
            for name, values in columns.items():
                frame[name] = np.asarray(values, dtype=object if isinstance(values, list) else None)[part]
            frame.to_parquet(staged.path / ROWS_FOLDER / f"part-{i:05d}.parquet", index=False)
            start += rows
        envelope["rows_file"] = str(Path(out) / ROWS_FOLDER)
        for name, text in (extra_files or {}).items():
            atomic_write_text(staged.path / name, text)
        (staged.path / "report.json").write_text(json.dumps(envelope, indent=2, default=_plain) + "\n")
        staged.commit()
    return Path(out)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else str(value)

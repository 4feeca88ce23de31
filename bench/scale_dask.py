"""One table larger than a worker's memory, audited through the Dask table API.

Generates ROWS x 20 float features x 10 classes as Parquet under /tmp (row groups written chunk
by chunk, never whole in memory), then on ``LocalCluster(n_workers=2, threads_per_worker=1,
memory_limit=4GB)``: cross-validated pred_probs streamed over the partitions (SGD log-loss,
one model per fold), label issues, and the exact checks (null, class imbalance, exact duplicates).
Prints wall time per step and the peak memory of each worker (sampled every 0.2 s) and of the client.

    python bench/scale_dask.py --rows 1000000
    python bench/scale_dask.py               # 10M rows
"""

from __future__ import annotations

import argparse
import resource
import threading
import time
from pathlib import Path

import numpy as np

FEATURES, CLASSES = 20, 10


def generate(path: Path, rows: int, group: int, seed: int = 0) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=1.2, size=(CLASSES, FEATURES))
    names = [f"x{i}" for i in range(FEATURES)]
    writer = None
    for start in range(0, rows, group):
        n = min(group, rows - start)
        true = rng.integers(0, CLASSES, n)
        x = centres[true] + rng.normal(size=(n, FEATURES))
        given = np.where(rng.random(n) < 0.1, rng.integers(0, CLASSES, n), true)
        table = pa.table({**{c: x[:, i] for i, c in enumerate(names)}, "y": given})
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=group)
    assert writer is not None
    writer.close()


class PeakMemory(threading.Thread):
    """Polls each worker's RSS through the scheduler's heartbeat metrics."""

    def __init__(self, client) -> None:
        super().__init__(daemon=True)
        self.client, self.peaks, self.stop = client, {}, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for address, rss in self.client.run(_rss).items():
                self.peaks[address] = max(self.peaks.get(address, 0), rss)
            time.sleep(0.2)


def _rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--row-group", type=int, default=500_000)
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--folder", default="/tmp/cleanaudit_scale_dask")
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    from cleanaudit.distributed.table import read_table_labels, run_table_find_issues
    from cleanaudit.distributed.table_checks import run_table_checks
    from cleanaudit.workflows.find_issues import FindIssuesRequest

    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"table_{args.rows}.parquet"
    if not path.exists():
        t = time.perf_counter()
        generate(path, args.rows, args.row_group)
        print(f"generated {path} ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t:.1f} s")
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, memory_limit=args.memory_limit, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        peaks = PeakMemory(client)
        peaks.start()
        request = FindIssuesRequest(str(path), label="y", cv=5, seed=0)
        t = time.perf_counter()
        result = run_table_find_issues(request, client)
        t_issues = time.perf_counter() - t
        t = time.perf_counter()
        read = read_table_labels(request, client)
        checks = run_table_checks(read, client, feature_columns=[f"x{i}" for i in range(FEATURES)])
        t_checks = time.perf_counter() - t
        peaks.stop.set()
        peaks.join()
    accuracy = float((result.predicted == result.given).mean())
    print(f"rows {args.rows:,} x {FEATURES} features x {CLASSES} classes, {read.table.num_partitions} partitions")
    print(
        f"find-issues (cross-validation streamed + engine): {t_issues:.1f} s; {result.num_issues:,} issues; "
        f"out-of-fold accuracy {accuracy:.3f}"
    )
    print(
        f"exact checks (labels pass + null/imbalance/duplicates): {t_checks:.1f} s; "
        + ", ".join(f"{r['issue_type']} {r.get('num_issues', '-')}" for r in checks.summary()[:3])
    )
    for address, rss in sorted(peaks.peaks.items()):
        print(f"worker {address}: peak RSS {rss / 2**30:.2f} GiB (limit {args.memory_limit})")
    print(f"client peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")


if __name__ == "__main__":
    main()

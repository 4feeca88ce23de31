"""One table larger than a worker's memory, audited through the Dask table API.

Generates ROWS x 20 float features x 10 classes as Parquet under /tmp (row groups written chunk
by chunk, never whole in memory), then on ``LocalCluster(n_workers=2, threads_per_worker=1,
memory_limit=4GB)``: cross-validated pred_probs streamed over the partitions (SGD log-loss,
one model per fold), label issues, and the exact checks (null, class imbalance, exact duplicates),
all through the command a user runs: ``cleanaudit audit TABLE --label y --scheduler ADDRESS``.
Prints its wall time, the peak memory of each worker (sampled every 0.2 s) and of the client.

    python bench/scale_dask.py --rows 1000000
    python bench/scale_dask.py               # 10M rows
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
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

    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"table_{args.rows}.parquet"
    if not path.exists():
        t = time.perf_counter()
        generate(path, args.rows, args.row_group)
        print(f"generated {path} ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t:.1f} s")
    out = folder / f"out_{args.rows}"
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, memory_limit=args.memory_limit, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        peaks = PeakMemory(client)
        peaks.start()
        # The command a user runs, in its own process (the client), against this cluster.
        cmd = [sys.executable, "-m", "cleanaudit", "audit", str(path), "--label", "y"]
        cmd += ["--scheduler", cluster.scheduler_address, "--out", str(out), "--no-cache", "--quiet"]
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t
        peaks.stop.set()
        peaks.join()
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"cleanaudit audit exited {proc.returncode}")
    report = json.loads((out / "report.json").read_text())
    print(f"rows {args.rows:,} x {FEATURES} features x {CLASSES} classes, row groups of {args.row_group:,}")
    print(f"cleanaudit audit --scheduler (2 workers x 1 thread, {args.memory_limit} each): {wall:.1f} s wall")
    for item in report.get("summary", []):
        print(f"  {item.get('issue_type', '?'):<24}{item.get('num_issues', '-')!s:>12}")
    for note in report.get("notes", []):
        if note.get("kind") in ("table_sample", "table_training", "cluster"):
            print(f"  note {note['kind']}: {note['message']}")
    for address, rss in sorted(peaks.peaks.items()):
        print(f"worker {address}: peak RSS {rss / 2**30:.2f} GiB (limit {args.memory_limit})")
    client_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    print(f"client (the cleanaudit process) peak RSS {client_peak:.2f} GiB")


if __name__ == "__main__":
    main()

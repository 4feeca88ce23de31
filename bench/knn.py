"""Time the neighbour-graph searches against each other on the same data, in one process.

Gaussian blobs (10 centres), k=10, cosine, the whole graph (every row's neighbours). Each
method runs through ``build_knn_graph`` exactly as an audit calls it; an approximate search's
(``cells``, ``ivf``, ``hnsw``) time includes the recall it measures on a sample, and its recall
over the whole graph is also printed (against ``flat``, which is exact). This is how
``FLAT_MAX_ROWS`` in ``cleanaudit/checks/graph/knn.py`` was chosen (its docstring has the table).

    python bench/knn.py                                  # D=30,50; N=50k..400k; flat, cells, blocked
    python bench/knn.py --sizes 1000000 --methods cells  # cells alone at 1M rows
    python bench/knn.py --sizes 100000 --dims 30 --methods flat --faiss-threads 1

Not part of the test run. Prints a table on stdout.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def blobs(n: int, d: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(10, d))
    return centres[rng.integers(0, 10, n)] + rng.normal(size=(n, d))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 100_000, 200_000, 400_000])
    parser.add_argument("--dims", type=int, nargs="+", default=[30, 50])
    parser.add_argument("--methods", default="flat,cells,blocked")
    parser.add_argument("--blocked-max", type=int, default=200_000, help="skip blocked above this size (it is N^2)")
    parser.add_argument("--faiss-threads", type=int, help="faiss's OpenMP threads (default: the process's cores)")
    args = parser.parse_args()
    from cleanaudit.checks.graph import search
    from cleanaudit.checks.graph.knn import build_knn_graph

    if args.faiss_threads:
        search._cores = lambda: args.faiss_threads

    threads = search._cores()
    print(f"# {os.cpu_count()} cores, faiss threads {threads}, load average {os.getloadavg()[0]:.2f}, k=10, cosine")
    print(f"{'N':>9} {'D':>3} {'method':<8} {'seconds':>8} {'recall (sample)':>16} {'recall (all)':>13}")
    for d in args.dims:
        for n in args.sizes:
            x = blobs(n, d)
            exact = None
            for method in args.methods.split(","):
                if method == "blocked" and n > args.blocked_max:
                    continue
                start = time.perf_counter()
                g = build_knn_graph(x, 10, metric="cosine", method=method)
                seconds = time.perf_counter() - start
                if method == "flat":
                    exact = g
                sample = "" if g.recall is None else f"{g.recall:.4f} ({g.recall_sample})"
                whole = ""
                if g.recall is not None and exact is not None:
                    kth = exact.distances[:, -1:]
                    whole = f"{np.minimum((g.distances <= kth + 1e-12).sum(1), 10).mean() / 10:.4f}"
                print(f"{n:>9,} {d:>3} {method:<8} {seconds:>8.1f} {sample:>16} {whole:>13}", flush=True)
    print(f"# load average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()

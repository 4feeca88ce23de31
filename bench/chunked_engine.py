"""The chunked engine on Dask: N x 10 float32 pred_probs generated on the workers, never on the client.

Each chunk of rows comes from its own seeded generator (noisy labels, softmax of logits that
favour the true class), made on a worker whenever a pass needs it; a LocalCluster of 2
single-threaded workers limited to 4 GB each runs find_label_issues (default filter_by),
num_label_issues, the confident joint, the noise matrices and the health summary. Prints wall
time per function, peak RSS per worker, and the results; ``--check`` also runs the in-memory
engine on the same arrays (small N only) and asserts equality.

    python bench/chunked_engine.py --rows 1000000 --check
    python bench/chunked_engine.py --rows 100000000           # 4 GB of pred_probs

Not part of the test run.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

K = 10


def make_chunk(seed: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """One chunk: labels with 20% uniform noise and float32 softmax pred_probs (about 80% accurate)."""
    rng = np.random.default_rng(seed)
    true = rng.integers(0, K, size=rows)
    labels = np.where(rng.random(rows) < 0.2, rng.integers(0, K, size=rows), true)
    logits = rng.standard_normal((rows, K), dtype=np.float32)
    logits[np.arange(rows), true] += 2.0
    logits = np.exp(logits, out=logits)
    logits /= logits.sum(axis=1, keepdims=True)
    return labels, logits


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--chunk", type=int, default=1_000_000)
    parser.add_argument("--check", action="store_true", help="compare with the in-memory engine (small --rows)")
    args = parser.parse_args()

    from dask import delayed
    from distributed import Client, LocalCluster

    from cleanaudit.distributed.engine import DaskBlocks
    from cleanaudit.engine import blocks

    sizes = [min(args.chunk, args.rows - s) for s in range(0, args.rows, args.chunk)]
    with LocalCluster(n_workers=2, threads_per_worker=1, memory_limit="4GB", dashboard_address=None) as cluster:
        with Client(cluster) as client:
            made = [delayed(make_chunk, pure=True)(seed, rows) for seed, rows in enumerate(sizes)]
            src = DaskBlocks.from_delayed([(m[0], m[1]) for m in made], sizes, client=client)
            print(f"{args.rows:,} rows x {K} float32 ({args.rows * K * 4 / 1e9:.1f} GB), {len(sizes)} chunks")
            results, start_all = {}, time.perf_counter()
            for name, call in [
                ("find_label_issues", lambda: blocks.find_label_issues(src)),
                ("num_label_issues", lambda: blocks.num_label_issues(src)),
                ("confident_joint", lambda: blocks.compute_confident_joint(src)),
                ("noise_matrices", lambda: blocks.estimate_py_and_noise_matrices_from_probabilities(src)),
                ("health_summary", lambda: blocks.health_summary(src)),
            ]:
                start = time.perf_counter()
                results[name] = call()
                print(f"  {name:18s} {time.perf_counter() - start:8.1f} s", flush=True)
            print(f"  {'total':18s} {time.perf_counter() - start_all:8.1f} s")
            peaks = client.run(_peak_rss_mb)
            print("peak RSS per worker (MB):", {w.split(":")[-1]: round(v) for w, v in peaks.items()})
            print(f"client peak RSS: {_peak_rss_mb():.0f} MB")
    mask = results["find_label_issues"]
    print(f"flagged {int(mask.sum()):,}; num_label_issues {results['num_label_issues']:,}")
    print(f"health score {results['health_summary']['overall_label_health_score']:.6f}")
    print("confident joint diagonal:", np.diagonal(results["confident_joint"]).tolist())
    if args.check:
        import cleanaudit.engine as mem

        parts = [make_chunk(seed, rows) for seed, rows in enumerate(sizes)]
        y, p = np.concatenate([a for a, _ in parts]), np.concatenate([b for _, b in parts])
        assert np.array_equal(mask, mem.find_label_issues(y, p))
        assert results["num_label_issues"] == mem.num_label_issues(y, p)
        assert np.array_equal(results["confident_joint"], mem.compute_confident_joint(y, p))
        for a, b in zip(results["noise_matrices"], mem.estimate_py_and_noise_matrices_from_probabilities(y, p)):
            assert np.array_equal(a, b)
        print("in-memory engine: identical")


if __name__ == "__main__":
    main()

"""Benchmark cleanaudit's engine against the reference (cleanlab 2.9.0): time and peak memory.

Realistic inputs: labels with about 20% uniform label noise, and pred_probs = softmax of noisy
logits that favour the true class (roughly 80% accuracy against the true labels). For every
function the engine and the reference run alternately on the same arrays; the table shows the
median wall time of ``--repeat`` runs, the speed-up in wall time and in CPU time (steadier on
a shared machine), and the extra peak memory of one call as a multiple of ``pred_probs.nbytes``
(tracemalloc sees NumPy's allocations). The reference's ``find_label_issues`` is timed both
with ``n_jobs=1`` and with its default ``n_jobs`` (multiprocessing; wall time only, and its
worker processes' memory is not counted).

    python bench/engine.py            # N=100k K=10, N=1M K=10, N=1M K=100; float64 and float32
    python bench/engine.py --quick    # a small smoke run
    python bench/engine.py --sizes 1000000x10 --dtypes float32 --repeat 5

Not part of the test run.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import statistics
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable

import numpy as np

import cleanaudit.engine as ours

DEFAULT_SIZES = ("100000x10", "1000000x10", "1000000x100")


def make_data(n: int, k: int, dtype: np.dtype, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Noisy labels and softmax pred_probs, generated a block at a time (no N×K float64 temporaries)."""
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n)
    labels = true.copy()
    flip = rng.random(n) < 0.2
    labels[flip] = rng.integers(0, k, flip.sum())
    boost = 1.0 + 0.55 * np.log(k)  # about 80% accuracy against the true labels
    probs = np.empty((n, k), dtype=dtype)
    for s in range(0, n, 50_000):
        e = min(n, s + 50_000)
        logits = rng.normal(0.0, 1.0, (e - s, k))
        logits[np.arange(e - s), true[s:e]] += boost
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        probs[s:e] = logits / logits.sum(axis=1, keepdims=True)
    return labels, probs


def quiet(fn: Callable) -> Callable:
    def run():
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            return fn()

    return run


def timed(fn: Callable) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for one call."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def peak_memory(fn: Callable) -> int:
    """Peak bytes allocated (through tracemalloc) during one call, above what was live before."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


def cases(labels, probs, ref) -> list[tuple[str, Callable, Callable | None, dict]]:
    """(name, engine call, reference call, extra reference calls) per benchmarked function."""
    out = [
        (
            "find_label_issues",
            lambda: ours.find_label_issues(labels, probs),
            lambda: ref.filter.find_label_issues(labels, probs, n_jobs=1),
            {"ref n_jobs=default": lambda: ref.filter.find_label_issues(labels, probs)},
        ),
        (
            "compute_confident_joint",
            lambda: ours.compute_confident_joint(labels, probs),
            lambda: ref.count.compute_confident_joint(labels, probs),
            {},
        ),
        (
            "get_label_quality_scores",
            lambda: ours.get_label_quality_scores(labels, probs),
            lambda: ref.rank.get_label_quality_scores(labels, probs),
            {},
        ),
        (
            "overall_label_health_score",
            lambda: ours.overall_label_health_score(labels, probs, verbose=False),
            lambda: ref.dataset.overall_label_health_score(labels, probs, verbose=False),
            {},
        ),
        (
            "num_label_issues",
            lambda: ours.num_label_issues(labels, probs),
            lambda: ref.count.num_label_issues(labels, probs),
            {},
        ),
    ]
    return out if ref is not None else [(n, f, None, {}) for n, f, _, _ in out]


def same_result(a, b) -> str:
    if b is None:
        return "-"
    a, b = np.asarray(a), np.asarray(b)
    if a.shape == b.shape and (np.array_equal(a, b) or (a.dtype.kind == "f" and np.allclose(a, b, rtol=0, atol=1e-12))):
        return "yes"
    return "NO"


def bench_one(size: str, dtype: str, repeat: int, ref, with_memory: bool) -> list[str]:
    n, k = (int(x) for x in size.lower().split("x"))
    labels, probs = make_data(n, k, np.dtype(dtype))
    mb = probs.nbytes / 2**20
    accuracy = float(np.mean(probs.argmax(axis=1) == labels))
    lines = [f"\nN={n:,} K={k} {dtype}: pred_probs {mb:,.0f} MiB, model accuracy vs given labels {accuracy:.2f}"]
    header = ("ours ms", "ref ms", "speed-up", "cpu s-up", "ours mem", "ref mem")
    lines.append(f"{'function':28s} " + " ".join(f"{h:>9s}" for h in header) + f" {'same':>5s}")
    for name, mine, theirs, extra in cases(labels, probs, ref):
        theirs = quiet(theirs) if theirs is not None else None
        t_ours, t_ref = [], []
        for _ in range(repeat):  # alternate, so that machine load affects both alike
            t_ours.append(timed(mine))
            if theirs is not None:
                t_ref.append(timed(theirs))
        m_ours = peak_memory(mine) / probs.nbytes if with_memory else float("nan")
        m_ref = peak_memory(theirs) / probs.nbytes if with_memory and theirs is not None else float("nan")
        med_ours = statistics.median(t for t, _ in t_ours) * 1e3
        med_ref = statistics.median(t for t, _ in t_ref) * 1e3 if t_ref else float("nan")
        cpu_ratio = statistics.median(c for _, c in t_ref) / statistics.median(c for _, c in t_ours) if t_ref else 0
        agree = same_result(mine(), theirs() if theirs is not None else None)
        mem = " ".join(f"{m:8.3f}x" if m == m else f"{'-':>9s}" for m in (m_ours, m_ref))
        lines.append(
            f"{name:28s} {med_ours:9.1f} {med_ref:9.1f} {med_ref / med_ours:8.1f}x {cpu_ratio:8.1f}x {mem} {agree:>5s}"
        )
        for label, call in extra.items():
            call = quiet(call)
            # Worker processes' CPU time is not visible here: wall time only.
            t_extra = [timed(call)[0] for _ in range(repeat)]
            med = statistics.median(t_extra) * 1e3
            lines.append(f"{'  ' + label:28s} {med_ours:9.1f} {med:9.1f} {med / med_ours:8.1f}x {'(wall)':>9s}")
        print(lines[-1], flush=True)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=list(DEFAULT_SIZES), help="NxK, e.g. 1000000x10")
    parser.add_argument("--dtypes", nargs="+", default=["float64", "float32"], choices=["float64", "float32"])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per function and side (median)")
    parser.add_argument("--quick", action="store_true", help="small smoke run: N=20k K=10 and N=5k K=100")
    parser.add_argument("--no-reference", action="store_true", help="time the engine only")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeat = ["20000x10", "5000x100"], max(1, min(args.repeat, 3))
    ref = None
    if not args.no_reference:
        try:
            import cleanlab.count
            import cleanlab.dataset
            import cleanlab.filter
            import cleanlab.rank

            ref = cleanlab
        except ImportError:
            print("cleanlab is not installed: timing the engine only", file=sys.stderr)
    print(f"numpy {np.__version__}; reference: {getattr(ref, '__version__', 'none')}; repeat={args.repeat}")
    report = []
    for size in args.sizes:
        for dtype in args.dtypes:
            report += bench_one(size, dtype, args.repeat, ref, not args.no_memory)
    print("\n".join(["", "Summary", *report]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

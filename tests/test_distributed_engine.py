"""The chunked engine on Dask (distributed/engine.py) equals the in-memory engine exactly.

A LocalCluster of 2 single-threaded worker processes; dask arrays with uneven row chunks (and a
column split, merged by DaskBlocks), float32 and float64, a class never given.
"""

from __future__ import annotations

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")

import cleanaudit.engine as mem  # noqa: E402
from cleanaudit.distributed.engine import DaskBlocks  # noqa: E402
from cleanaudit.engine import blocks  # noqa: E402
from cleanaudit.engine.dataset import health_summary  # noqa: E402
from cleanaudit.engine.filter import FILTER_BY  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as c:
            yield c


def make(dtype, seed=0, n=3_000, k=6):
    rng = np.random.default_rng(seed)
    y = rng.choice([0, 1, 2, 4, 5], size=n)  # class 3 is never given
    p = rng.dirichlet(np.full(k, 0.5), size=n)
    p[np.arange(n), y] += rng.random(n)
    p /= p.sum(axis=1, keepdims=True)
    p[::7] = np.round(p[::7] * 10) / 10  # some exact ties
    return y, p.astype(dtype)


CHUNKS = ((1, 700, 13, 1286, 1000), (4, 2))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dask_blocks_equal_in_memory(client, dtype):
    y, p = make(dtype)
    src = DaskBlocks(da.from_array(y, chunks=(500,)), da.from_array(p, chunks=CHUNKS), client=client)
    assert src.num_blocks == 5
    for filter_by in FILTER_BY:
        assert np.array_equal(
            blocks.find_label_issues(src, filter_by=filter_by), mem.find_label_issues(y, p, filter_by=filter_by)
        )
    ranked = blocks.find_label_issues(src, return_indices_ranked_by="normalized_margin")
    assert np.array_equal(ranked, mem.find_label_issues(y, p, return_indices_ranked_by="normalized_margin"))
    assert blocks.num_label_issues(src) == mem.num_label_issues(y, p) > 0
    assert np.array_equal(blocks.compute_confident_joint(src), mem.compute_confident_joint(y, p))
    ours = blocks.estimate_py_and_noise_matrices_from_probabilities(src)
    for a, b in zip(ours, mem.estimate_py_and_noise_matrices_from_probabilities(y, p)):
        assert np.array_equal(a, b)
    assert np.array_equal(blocks.get_label_quality_scores(src), mem.get_label_quality_scores(y, p))
    summary, expected = blocks.health_summary(src), health_summary(y, p)
    assert summary["overall_label_health_score"] == expected["overall_label_health_score"]
    assert np.array_equal(summary["joint"], expected["joint"])
    for key in expected["overlapping_classes"]:
        assert np.array_equal(summary["overlapping_classes"][key], expected["overlapping_classes"][key])


def test_blocks_made_on_the_workers(client):
    """Delayed blocks generated on the workers (never on the client) give the in-memory result."""
    from dask import delayed

    def block(seed):
        return make(np.float32, seed=seed, n=800)

    parts = [delayed(block)(s) for s in range(4)]
    pairs = [(part[0], part[1]) for part in parts]
    src = DaskBlocks.from_delayed(pairs, [800] * 4, client=client)
    y = np.concatenate([make(np.float32, seed=s, n=800)[0] for s in range(4)])
    p = np.concatenate([make(np.float32, seed=s, n=800)[1] for s in range(4)])
    assert np.array_equal(blocks.find_label_issues(src), mem.find_label_issues(y, p))
    with pytest.raises(ValueError, match="row counts"):
        DaskBlocks.from_delayed(pairs, [800])

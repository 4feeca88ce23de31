"""The chunked confident-learning engine on Dask: each block's map step runs on a worker.

:class:`DaskBlocks` is a block source for :mod:`cleanaudit.engine.blocks`: every function there
accepts it in place of ``(labels, pred_probs)``. The per-block step runs where the block lives
(or is made); its small result comes back to the caller, which folds the results in row order, so
pred_probs is never gathered. Results equal the in-memory engine's on the concatenated arrays.

>>> import numpy as np, dask.array as da                      # doctest: +SKIP
>>> from cleanaudit.engine import blocks                      # doctest: +SKIP
>>> P = da.from_array(np.array([[.9, .1], [.2, .8], [.3, .7]]), chunks=(2, 2))  # doctest: +SKIP
>>> blocks.num_label_issues(DaskBlocks(np.array([0, 1, 0]), P))  # doctest: +SKIP
1
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

__all__ = ["DaskBlocks"]


def _default_client():
    try:
        from distributed import default_client

        return default_client()
    except (ImportError, ValueError):  # no distributed, or no client running: dask's local scheduler
        return None


class DaskBlocks:
    """Row blocks of a dask ``pred_probs`` (2-D) and its labels, mapped on a Dask cluster.

    ``labels`` may be a NumPy or dask array; it is split like ``pred_probs``' row chunks
    (column chunks are merged: a block holds whole rows). With ``client=None`` the default
    ``distributed`` client is used if one exists, else dask's local scheduler.
    """

    def __init__(self, labels, pred_probs, *, client=None) -> None:
        import dask.array as da

        probs = da.asarray(pred_probs)
        if probs.ndim != 2:
            raise ValueError(f"pred_probs array must have shape: num_examples x num_classes, got {probs.shape}.")
        if probs.numblocks[1] != 1:
            probs = probs.rechunk({1: -1})
        rows = probs.chunks[0]
        y = (
            labels.rechunk((rows,))
            if isinstance(labels, da.Array)
            else da.from_array(np.asarray(labels), chunks=(rows,))
        )
        if y.shape[0] != probs.shape[0]:
            raise ValueError(
                f"pred_probs and labels must have same length ({probs.shape[0]} rows vs {y.shape[0]} labels)."
            )
        self._pairs = list(zip(y.to_delayed().ravel(), probs.to_delayed().ravel()))
        self._source = probs  # a persisted array's futures stay alive while its blocks are mapped
        self._rows = list(rows)
        self._client = client

    @classmethod
    def from_delayed(cls, pairs: Sequence[tuple[Any, Any]], rows: Sequence[int], *, client=None) -> DaskBlocks:
        """Blocks given as ``(delayed labels, delayed pred_probs)`` pairs with their row counts."""
        self = cls.__new__(cls)
        if len(pairs) != len(rows):
            raise ValueError(f"{len(pairs)} blocks but {len(rows)} row counts.")
        self._pairs, self._rows, self._client = list(pairs), [int(r) for r in rows], client
        return self

    @property
    def num_blocks(self) -> int:
        return len(self._pairs)

    def map_blocks(self, func: Callable[..., Any], arg: Any) -> Iterator[Any]:
        """``func(labels, pred_probs, offset, arg)`` per block on the workers, yielded in row order."""
        import dask
        from dask import delayed

        shared = delayed(arg, traverse=False)  # one copy of the request in the graph, not one per block
        offsets = np.concatenate([[0], np.cumsum(self._rows)[:-1]]).astype(int) if self._rows else []
        tasks = [delayed(func, pure=True)(y, p, int(off), shared) for (y, p), off in zip(self._pairs, offsets)]
        client = self._client or _default_client()
        if client is None:
            yield from dask.compute(*tasks)
            return
        futures = client.compute(tasks)
        try:
            for future in futures:
                yield future.result()
                future.release()
        finally:
            client.cancel([f for f in futures if not f.done()])

"""The engine calls of health, overlap and noise-matrix, on in-memory pred_probs or on row blocks of them.

:class:`LabelEngine` is what :func:`~cleanaudit.workflows.labels.health_result`,
``overlap_result`` and ``noise_matrix_result`` compute through, so a local run and a run on a
cluster (pred_probs in blocks on the workers, :mod:`cleanaudit.engine.blocks`) share their code.
The block versions return what the in-memory engine returns on the concatenated arrays, exactly;
only O(N) values (one predicted class per row) and O(K^2) matrices reach the caller.

>>> import numpy as np
>>> P = np.array([[.9, .1], [.8, .2], [.3, .7], [.2, .8], [.7, .3], [.1, .9]])
>>> y = np.array([0, 0, 1, 1, 1, 0])
>>> in_blocks = LabelEngine(y, blocks=[(y[:4], P[:4]), (y[4:], P[4:])])
>>> LabelEngine(y, P).num_label_issues() == in_blocks.num_label_issues() == 2
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cleanaudit import engine


class LabelEngine:
    """The label commands' engine calls on ``pred_probs`` (an array) or on ``blocks`` (a block source).

    ``blocks`` is anything :mod:`cleanaudit.engine.blocks` takes: a list of ``(labels, pred_probs)``
    pairs in row order, or an object with ``map_blocks`` such as
    :class:`cleanaudit.distributed.engine.DaskBlocks`.
    """

    def __init__(self, labels: np.ndarray, pred_probs: np.ndarray | None = None, *, blocks: Any = None) -> None:
        if (pred_probs is None) == (blocks is None):
            raise ValueError("pass pred_probs or blocks, not both or neither")
        self.labels, self.pred_probs, self.blocks = np.asarray(labels), pred_probs, blocks
        if blocks is not None:
            from cleanaudit.engine import blocks as over_blocks

            self._blocks = over_blocks

    @property
    def num_examples(self) -> int:
        return int(len(self.labels))

    def num_label_issues(self) -> int:
        if self.blocks is not None:
            return int(self._blocks.num_label_issues(self.blocks))
        return int(engine.num_label_issues(self.labels, self.pred_probs))

    def health_score(self, num_label_issues: int) -> float:
        """``1 - num_label_issues / N``: ``engine.overall_label_health_score``'s own expression, given the count
        (so the issues are not counted twice)."""
        return float(1 - num_label_issues / self.num_examples)

    def joint(self) -> np.ndarray:
        """The estimated joint of (given, true) labels."""
        if self.blocks is not None:
            return np.asarray(self._blocks.estimate_joint(self.blocks))
        return np.asarray(engine.estimate_joint(self.labels, self.pred_probs))

    def joint_of(self, confident_joint: np.ndarray) -> np.ndarray:
        """The joint of a given confident joint (re-calibrated to the label counts, as the engine does)."""
        if self.blocks is not None:
            return np.asarray(self._blocks.estimate_joint(self.blocks, confident_joint=confident_joint))
        return np.asarray(engine.estimate_joint(self.labels, self.pred_probs, confident_joint=confident_joint))

    def classes_by_label_quality(self) -> dict[str, np.ndarray]:
        """The engine's ``rank_classes_by_label_quality`` columns."""
        if self.blocks is not None:
            return engine.dataset.rank_classes_by_label_quality(joint=self.joint(), num_examples=self.num_examples)
        return engine.rank_classes_by_label_quality(self.labels, self.pred_probs)

    def top_overlapping_classes(self, *, asymmetric: bool, top: int | None) -> tuple[dict[str, np.ndarray], int]:
        """The first ``top`` rows of the engine's ``find_overlapping_classes`` and the number of pairs."""
        if self.blocks is not None:
            return engine.dataset.top_overlapping_classes(
                joint=self.joint(), num_examples=self.num_examples, asymmetric=asymmetric, top=top
            )
        return engine.dataset.top_overlapping_classes(self.labels, self.pred_probs, asymmetric=asymmetric, top=top)

    def py_and_noise_matrices(
        self, *, converge_latent_estimates: bool, py_method: str
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(py, noise_matrix, inverse_noise_matrix, confident_joint)`` as the engine estimates them."""
        settings: dict[str, Any] = {"converge_latent_estimates": converge_latent_estimates, "py_method": py_method}
        if self.blocks is not None:
            return self._blocks.estimate_py_and_noise_matrices_from_probabilities(self.blocks, **settings)
        return engine.estimate_py_and_noise_matrices_from_probabilities(self.labels, self.pred_probs, **settings)

    def predicted_labels(self) -> np.ndarray:
        """Each row's most likely class (the confusion matrix's columns)."""
        if self.blocks is not None:
            return np.asarray(self._blocks.predicted_labels(self.blocks))
        return np.asarray(self.pred_probs).argmax(axis=1)

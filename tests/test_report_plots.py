"""Plots stay legible with many classes: sizes scale with K, tick labels never overlap."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from cleanaudit.report.plots import heatmap_figure  # noqa: E402


def _overlaps(fig, labels) -> int:
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in labels if t.get_text()]
    return sum(a.overlaps(b) for a, b in zip(boxes, boxes[1:]))


@pytest.mark.parametrize("k", [4, 16, 40, 60])
def test_heatmap_tick_labels_do_not_overlap(k):
    names = [f"a long class name {i:02d} of the data" for i in range(k)]
    joint = np.random.default_rng(k).random((k, k))
    fig = heatmap_figure(joint / joint.sum(), names)
    fig.canvas.draw()
    ax = fig.axes[0]
    assert _overlaps(fig, ax.get_xticklabels()) == 0
    assert _overlaps(fig, ax.get_yticklabels()) == 0
    assert min(t.get_fontsize() for t in ax.get_yticklabels()) >= 5
    assert fig.get_size_inches()[0] <= 11  # the page shows it unscaled


def test_heatmap_grows_with_the_classes():
    small = heatmap_figure(np.full((4, 4), 1 / 16), list("abcd"))
    large = heatmap_figure(np.full((20, 20), 1 / 400), [f"c{i}" for i in range(20)])
    assert large.get_size_inches()[1] > small.get_size_inches()[1]

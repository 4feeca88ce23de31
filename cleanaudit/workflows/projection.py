"""The audit's data in two dimensions, for the report's data map (computed here, drawn in report/).

:func:`data_projection` samples the rows, then keeps two numeric feature columns as they are
or projects the encoded features on their first two principal components. The renderer only
draws the :class:`Projection` it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from cleanaudit.data.dataset import Dataset

MAX_POINTS = 5_000  # the data map draws at most this many rows (a deterministic sample)


@dataclass(frozen=True)
class Projection:
    """2-D coordinates of some rows, what the axes are called, and how they were made.

    ``xy[i]`` belongs to row ``rows[i]`` of the dataset; missing coordinates are NaN.
    """

    xy: np.ndarray
    how: str
    axis_labels: tuple[str, str]
    rows: np.ndarray


def data_projection(dataset: Dataset, *, max_points: int = MAX_POINTS) -> Projection | None:
    """The dataset's rows (all, or a fixed sample of ``max_points``) in 2-D; ``None`` when it cannot be drawn.

    >>> import pandas as pd
    >>> from cleanaudit.data.dataset import Dataset
    >>> ds = Dataset(frame=pd.DataFrame(), features=pd.DataFrame({"x": [0.0, 1.0], "y": [2.0, None]}),
    ...              labels=np.array([0, 1]), class_names=["a", "b"], label_column="c")
    >>> p = data_projection(ds)
    >>> p.how, p.axis_labels, p.xy.tolist()
    ('the two feature columns', ('x', 'y'), [[0.0, 2.0], [1.0, nan]])
    """
    features = dataset.features
    if features is None or features.shape[1] == 0 or dataset.num_examples == 0:
        return None
    # Sample before encoding: encoding a million rows to draw five thousand is wasted work.
    rows = sample_rows(dataset.num_examples, max_points)
    projected = _two_dimensions(features.iloc[rows], dataset.roles or None)
    if projected is None:
        return None
    xy, axis_labels, how = projected
    return Projection(xy, how, axis_labels, rows)


def sample_rows(n: int, max_points: int) -> np.ndarray:
    """All rows, or a fixed random sample of ``max_points`` (same data -> same picture)."""
    if n <= max_points:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, size=max_points, replace=False))


def _two_dimensions(
    features: pd.DataFrame, roles: dict[str, str] | None = None
) -> tuple[np.ndarray, tuple[str, str], str] | None:
    """2-D coordinates of the rows, axis titles and what the axes are; ``None`` below two dimensions."""
    from cleanaudit.data.features import column_kinds, encode_features

    # The roles decided at load on every row, not re-decided on the sample.
    if features.shape[1] == 2 and len(column_kinds(features, roles)["numeric"]) == 2:
        # Two numbers: plot them as they are, so the axes mean something to the user.
        xy = np.array(features.to_numpy(dtype=float, na_value=np.nan))  # a copy: written below
        xy[~np.isfinite(xy)] = np.nan  # matplotlib leaves out points with a missing coordinate
        x_label, y_label = (str(c) for c in features.columns)
        return xy, (x_label, y_label), "the two feature columns"
    encoded = encode_features(features, roles)  # imputed, scaled, one-hot, text reduced: comparable axes for PCA
    if encoded.shape[1] < 2 or encoded.shape[0] < 2:
        return None
    from sklearn.decomposition import PCA

    pca = PCA(n_components=2, random_state=0)
    xy = pca.fit_transform(encoded)
    share = pca.explained_variance_ratio_
    how = "the first two principal components of the encoded features"
    return xy, (f"PC1 ({share[0]:.0%} of variance)", f"PC2 ({share[1]:.0%} of variance)"), how

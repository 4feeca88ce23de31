"""Free-text encoders: TF-IDF for models, and a reduced, unit-length version for distances.

Words (1- and 2-grams) and character 2- to 4-grams inside words, each with a bounded vocabulary,
so one text column adds at most ``2 * TEXT_MAX_TERMS`` model features. For the neighbour graph the
TF-IDF matrix is reduced with TruncatedSVD (fixed ``random_state``) to at most
``TEXT_DISTANCE_COMPONENTS`` dimensions and scaled to unit length: two different texts are then
as far apart as their words make them, never at distance 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

TEXT_MAX_TERMS = 256  # per analyser (words, characters): bounded width of the dense model matrix
TEXT_DISTANCE_TERMS = 2000  # vocabulary per analyser before the SVD for distances
TEXT_DISTANCE_COMPONENTS = 64


def text_pipeline(max_terms: int = TEXT_MAX_TERMS) -> Pipeline:
    """TF-IDF of one text column (pass it as a 1-D column): words and character n-grams side by side.

    >>> pipe = text_pipeline(8)
    >>> pipe.fit_transform(pd.Series(["a red car", "a blue car", None])).shape[0]
    3
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import FunctionTransformer

    words = TfidfVectorizer(ngram_range=(1, 2), max_features=max_terms, sublinear_tf=True, dtype=np.float64)
    chars = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 4), max_features=max_terms, sublinear_tf=True, dtype=np.float64
    )
    return Pipeline(
        [
            ("to_text", FunctionTransformer(as_strings)),
            ("tfidf", FeatureUnion([("words", words), ("chars", chars)])),
        ]
    )


def text_distance_features(values: pd.Series) -> np.ndarray:
    """Dense, unit-length rows for distances: TF-IDF reduced with TruncatedSVD (empty text: a zero row).

    >>> out = text_distance_features(pd.Series(["the cat sat", "the cat sat", "a dog ran far"]))
    >>> bool(np.allclose(out[0], out[1])), bool(np.linalg.norm(out[0] - out[2]) > 0.1)
    (True, True)
    """
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize

    try:
        tfidf = text_pipeline(TEXT_DISTANCE_TERMS).fit_transform(values)
    except ValueError:  # no term at all (every value empty): nothing to tell the rows apart by
        return np.zeros((len(values), 1), dtype=np.float64)
    components = min(TEXT_DISTANCE_COMPONENTS, tfidf.shape[1] - 1, tfidf.shape[0] - 1)
    if components >= 1:
        reduced = TruncatedSVD(n_components=components, random_state=0).fit_transform(tfidf)
    else:
        reduced = np.asarray(tfidf.todense() if hasattr(tfidf, "todense") else tfidf)
    return normalize(np.asarray(reduced, dtype=np.float64))


def as_strings(values: object) -> list[str]:
    """One text per row, missing values as empty text (module level, so fitted pipelines pickle)."""
    series = (
        values.iloc[:, 0] if isinstance(values, pd.DataFrame) else pd.Series(np.asarray(values, dtype=object).ravel())
    )
    present = series.notna().to_numpy()
    return [str(v) if keep else "" for v, keep in zip(series.to_numpy(dtype=object), present, strict=True)]

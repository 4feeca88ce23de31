"""The hist-gb preset on a real table with many small classes stays calibrated (issue 10)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

AIRPORTS = Path(__file__).resolve().parents[1] / "sample_data" / "real" / "airports.csv"


@pytest.mark.skipif(not AIRPORTS.is_file(), reason="sample_data/real/airports.csv is not in this checkout")
def test_hist_gb_beats_the_class_prior_with_fifty_states():
    # US airports: the state from latitude and longitude, 52 states with 5 to 260 airports each. Without
    # L2 regularisation the boosting diverged on the small states: log loss 31.7, accuracy 0.12.
    from sklearn.metrics import log_loss

    from cleanaudit.models.crossval import cross_val_pred_probs

    table = pd.read_csv(AIRPORTS)
    counts = table["state"].value_counts()
    table = table[table["state"].isin(counts[counts >= 5].index)].reset_index(drop=True)
    labels = np.unique(table["state"], return_inverse=True)[1]
    probs = cross_val_pred_probs(table[["latitude", "longitude"]], labels, model="hist-gb", cv=3, jobs=1).pred_probs
    prior = np.bincount(labels) / len(labels)
    baseline = log_loss(labels, np.tile(prior, (len(labels), 1)))
    assert log_loss(labels, probs) < 0.25 * baseline
    assert np.mean(probs.argmax(axis=1) == labels) > 0.85 > prior.max()

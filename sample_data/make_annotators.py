"""Make the multi-annotator sample dataset: support tickets routed by several raters, one of them careless.

The tickets are the first 1,000 of the support-tickets sample (``make_support_tickets.py``: the same
ids, attributes and true teams; its planted ``team`` column is left out). Five raters then route
them: each ticket is seen by two to four of them (a few by one only), and every rater makes
mistakes of their own. Mistakes are more likely on tickets that look like another team (where the
support-tickets model is unsure) and go mostly to the teams a help desk confuses (account and
technical, billing and shipping), each rater with a weak team of their own. ``rater_4`` is careless:
45% of their labels are picked at random.

Run from anywhere; it is deterministic (same files, byte for byte, on every run)::

    python sample_data/make_annotators.py            # writes sample_data/annotators/
    python sample_data/make_annotators.py --out DIR  # writes into DIR
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
NAME = "ticket_raters"
ID_COLUMN = "ticket_id"
N_ROWS = 1000
SEED = 20241107  # numpy Generator for who labels what and every rater's mistakes

# Share of tickets labelled by 1, 2, 3 and 4 raters.
RATERS_PER_ROW = {1: 0.03, 2: 0.42, 3: 0.37, 4: 0.18}
# Rater -> (workload weight, base error rate, weak team whose tickets they get wrong twice as often).
RATERS = {
    "rater_1": (1.2, 0.06, "shipping"),
    "rater_2": (1.0, 0.12, "billing"),
    "rater_3": (1.0, 0.16, "technical"),
    "rater_4": (0.9, 0.08, "account"),
    "rater_5": (0.8, 0.22, "billing"),
}
CARELESS = {"rater_4": 0.45}  # share of the rater's labels drawn uniformly at random
WEAK_TEAM_FACTOR = 2.0
AMBIGUITY_WEIGHT = 1.6  # error rate x (0.6 + this x (1 - p_true)): unclear tickets are misrouted more
# Wrong team given the true one (help-desk confusions), mixed half and half with the ticket's own look-alikes.
CONFUSION = {
    "account": {"billing": 0.3, "shipping": 0.1, "technical": 0.6},
    "billing": {"account": 0.4, "shipping": 0.4, "technical": 0.2},
    "shipping": {"account": 0.2, "billing": 0.7, "technical": 0.1},
    "technical": {"account": 0.6, "billing": 0.2, "shipping": 0.2},
}


def support_tickets() -> ModuleType:
    """The support-tickets generator beside this script (its build() is deterministic)."""
    spec = importlib.util.spec_from_file_location("make_support_tickets", HERE / "make_support_tickets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def true_probabilities(tickets: ModuleType, features: pd.DataFrame) -> np.ndarray:
    """softmax of the support-tickets team logits: how much each ticket looks like each team."""
    logits = tickets.team_logits(features)
    logits = logits - logits.max(axis=1, keepdims=True)
    odds = np.exp(logits)
    return odds / odds.sum(axis=1, keepdims=True)


def assign_raters(n: int, rng: np.random.Generator) -> np.ndarray:
    """N x M booleans: which rater labels which ticket."""
    counts = rng.choice(list(RATERS_PER_ROW), size=n, p=list(RATERS_PER_ROW.values()))
    weights = np.array([w for w, _, _ in RATERS.values()])
    who = np.zeros((n, len(RATERS)), dtype=bool)
    for i, count in enumerate(counts):
        who[i, rng.choice(len(RATERS), size=count, replace=False, p=weights / weights.sum())] = True
    return who


def rate(rater: str, true: np.ndarray, probs: np.ndarray, classes: list[str], rng: np.random.Generator) -> np.ndarray:
    """One rater's label (a class code) for every ticket, whether or not they see it."""
    _, error, weak = RATERS[rater]
    k = len(classes)
    rate_per_row = error * np.where(true == classes.index(weak), WEAK_TEAM_FACTOR, 1.0)
    rate_per_row = np.clip(rate_per_row * (0.6 + AMBIGUITY_WEIGHT * (1.0 - probs[np.arange(len(true)), true])), 0, 0.9)
    wrong = rng.random(len(true)) < rate_per_row
    confusion = np.array([[CONFUSION[t].get(c, 0.0) for c in classes] for t in classes])
    labels = true.copy()
    for i in np.flatnonzero(wrong):
        lookalike = probs[i].copy()
        lookalike[true[i]] = 0.0
        mix = 0.5 * confusion[true[i]] + 0.5 * lookalike / lookalike.sum()
        labels[i] = rng.choice(k, p=mix / mix.sum())
    random = rng.random(len(true)) < CARELESS.get(rater, 0.0)
    labels[random] = rng.integers(k, size=int(random.sum()))
    return labels


def build() -> dict[str, pd.DataFrame]:
    """The table and its truth, as data frames."""
    tickets = support_tickets()
    built = tickets.build()
    rows = built["train"].iloc[:N_ROWS]
    true_names = built["true_train"]["true_label"].to_numpy()[:N_ROWS]
    classes = list(tickets.CLASSES)
    true = np.array([classes.index(t) for t in true_names])
    # The attributes before any were blanked, as the true teams were drawn from them.
    rng_features = np.random.default_rng(tickets.FEATURE_SEED)
    complete = tickets.make_attributes(tickets.N_TRAIN + tickets.N_TEST, rng_features)
    probs = true_probabilities(tickets, complete)[:N_ROWS]

    rng = np.random.default_rng(SEED)
    who = assign_raters(N_ROWS, rng)
    table = rows.drop(columns=[tickets.LABEL_COLUMN]).copy()
    names = np.array(classes, dtype=object)
    for m, rater in enumerate(RATERS):
        labels = rate(rater, true, probs, classes, rng)
        table[rater] = np.where(who[:, m], names[labels], None)
    truth = pd.DataFrame({ID_COLUMN: rows[ID_COLUMN].to_numpy(), "true_label": true_names})
    return {"table": table, "truth": truth}


def write(out: Path) -> dict[str, pd.DataFrame]:
    out.mkdir(parents=True, exist_ok=True)
    built = build()
    built["table"].to_csv(out / f"{NAME}.csv", index=False)
    built["table"].to_parquet(out / f"{NAME}.parquet", index=False)
    built["truth"].to_csv(out / f"{NAME}_true_labels.csv", index=False)
    return built


def summary(built: dict[str, pd.DataFrame]) -> str:
    table, true = built["table"], built["truth"]["true_label"].to_numpy()
    raters = list(RATERS)
    counts = table[raters].notna().sum(axis=1).value_counts().sort_index().to_dict()
    lines = [
        f"{len(table)} tickets, raters per ticket {counts}, true teams "
        + str(pd.Series(true).value_counts().sort_index().to_dict())
    ]
    for rater in raters:
        seen = table[rater].notna().to_numpy()
        lines.append(
            f"{rater}: {seen.sum()} labels, accuracy {np.mean(table[rater].to_numpy()[seen] == true[seen]):.3f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "annotators", help="output folder")
    args = parser.parse_args()
    print(summary(write(args.out)))


if __name__ == "__main__":
    main()

"""Make the support-tickets sample dataset: customer tickets routed to one of four teams.

Synthetic but realistic: every ticket has a few numeric, categorical and boolean attributes,
the team that should handle it (the *true* label) is drawn from a multinomial-logit model of
those attributes, and then label errors are planted with cleanaudit's own noise engine
(``generate_noise_matrix_from_trace`` + ``generate_noisy_labels``), so that which rows are
mislabelled is known exactly.

Run from anywhere; it is deterministic (same files, byte for byte, on every run)::

    python sample_data/make_support_tickets.py            # writes beside this script
    python sample_data/make_support_tickets.py --out DIR  # writes into DIR
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from cleanaudit.engine.noise import generate_noise_matrix_from_trace, generate_noisy_labels

NAME = "support_tickets"
ID_COLUMN = "ticket_id"
LABEL_COLUMN = "team"
CLASSES = ["account", "billing", "shipping", "technical"]  # sorted: codes 0..3

N_TRAIN = 1500
N_TEST = 500
FEATURE_SEED = 20240611  # numpy Generator for attributes, true labels and missing values
NOISE_SEED = 7  # legacy global RNG seed for the noise matrix and the train flips
TEST_NOISE_SEED = 8  # legacy global RNG seed for the test flips
TRACE = 0.85 * len(CLASSES)  # about 15% of labels flipped
MIN_TRACE_PROB = 0.7  # no team loses more than 30% of its tickets to mislabelling
MAX_TRACE_PROB = 0.97  # and every team has some
FRAC_ZERO_NOISE_RATES = 0.25  # some team pairs are never confused with each other
LOGIT_SCALE = 5.0  # sharpness of the true-label model (higher: easier to learn)

# Fraction of values blanked out (missing completely at random), by column.
MISSING = {"account_age_days": 0.03, "days_since_last_login": 0.04, "region": 0.02}

COLUMNS = [
    ID_COLUMN,
    "channel",
    "plan",
    "region",
    "account_age_days",
    "days_since_last_login",
    "days_since_last_order",
    "last_order_value",
    "message_words",
    "num_attachments",
    "prior_tickets_90d",
    "has_order_number",
    "mentions_error_code",
    LABEL_COLUMN,
]


def make_attributes(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Ticket attributes, before any value goes missing."""
    channel = rng.choice(["email", "chat", "phone", "web_form"], size=n, p=[0.4, 0.3, 0.15, 0.15])
    plan = rng.choice(["starter", "pro", "enterprise"], size=n, p=[0.5, 0.35, 0.15])
    region = rng.choice(
        ["north_america", "europe", "asia_pacific", "latin_america"], size=n, p=[0.4, 0.3, 0.2, 0.1]
    )
    locked_out = rng.random(n) < 0.25
    return pd.DataFrame(
        {
            "channel": channel,
            "plan": plan,
            "region": region,
            "account_age_days": np.clip(np.round(rng.gamma(1.5, 400.0, n)), 1, 4000).astype(int),
            "days_since_last_login": np.round(
                rng.exponential(3.0, n) + locked_out * rng.gamma(3.0, 8.0, n), 1
            ),
            "days_since_last_order": np.round(rng.gamma(1.6, 18.0, n)).astype(int) + 1,
            "last_order_value": np.round(rng.gamma(2.0, 45.0, n), 2),
            "message_words": np.round(rng.gamma(4.0, 20.0, n)).astype(int) + 5,
            "num_attachments": rng.poisson(0.7, n),
            "prior_tickets_90d": rng.poisson(1.0, n),
            "has_order_number": rng.random(n) < 0.45,
            "mentions_error_code": rng.random(n) < 0.3,
        }
    )


def team_logits(frame: pd.DataFrame) -> np.ndarray:
    """Multinomial-logit scores of each team (columns in CLASSES order) for each ticket."""

    def z(column: str) -> np.ndarray:
        x = frame[column].to_numpy(dtype=float)
        return (x - x.mean()) / x.std()

    order = frame["has_order_number"].to_numpy(dtype=float)
    error = frame["mentions_error_code"].to_numpy(dtype=float)
    channel, plan, region = (frame[c].to_numpy() for c in ("channel", "plan", "region"))
    far = np.isin(region, ["asia_pacific", "latin_america"])
    logits = np.column_stack(
        [
            # account: locked out (long since last login), new accounts, phone calls
            -0.3 + 0.8 * z("days_since_last_login") + 1.6 * (frame["days_since_last_login"].to_numpy() > 14) - 0.9 * z("account_age_days") + 0.8 * (channel == "phone")
            - 1.2 * order - 1.5 * error,
            # billing: expensive orders, paid plans, repeat contacts
            0.1 + 1.3 * z("last_order_value") + 1.0 * order + 0.8 * (plan != "starter")
            + 0.5 * z("prior_tickets_90d") - 1.5 * error,
            # shipping: an order number and a recent order, more so far from the warehouses
            -0.9 + 2.2 * order - 0.8 * z("days_since_last_order") + 1.4 * (frame["days_since_last_order"].to_numpy() <= 10) + 0.7 * far - 1.5 * error,
            # technical: error codes, screenshots, long messages, enterprise plans, chat
            -0.6 + 2.5 * error + 0.6 * z("num_attachments") + 0.7 * z("message_words")
            + 0.9 * (plan == "enterprise") + 0.4 * (channel == "chat") - 0.6 * order,
        ]
    )
    return LOGIT_SCALE * logits


def draw_teams(logits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per row from softmax(logits), by the Gumbel-max trick."""
    gumbel = -np.log(-np.log(rng.random(logits.shape)))
    return np.argmax(logits + gumbel, axis=1)


def blank_out(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Set a few values missing, completely at random, in the columns of MISSING."""
    frame = frame.copy()
    for column, fraction in MISSING.items():
        rows = np.sort(rng.choice(len(frame), size=round(fraction * len(frame)), replace=False))
        if not pd.api.types.is_numeric_dtype(frame[column]):
            frame.loc[rows, column] = None
        elif pd.api.types.is_integer_dtype(frame[column]):
            # A nullable integer: whole numbers stay whole in the CSV, and the Parquet column is int64.
            frame[column] = frame[column].astype("Int64")
            frame.loc[rows, column] = pd.NA
        else:
            frame.loc[rows, column] = np.nan
    return frame


def build() -> dict[str, object]:
    """Everything the script writes, as data frames, plus the noise matrix used."""
    rng = np.random.default_rng(FEATURE_SEED)
    features = make_attributes(N_TRAIN + N_TEST, rng)
    true_codes = draw_teams(team_logits(features), rng)
    features = blank_out(features, rng)
    train_true, test_true = true_codes[:N_TRAIN], true_codes[N_TRAIN:]

    py = np.bincount(train_true, minlength=len(CLASSES)) / N_TRAIN
    noise_matrix = generate_noise_matrix_from_trace(
        len(CLASSES),
        TRACE,
        py=py,
        valid_noise_matrix=True,
        min_trace_prob=MIN_TRACE_PROB,
        max_trace_prob=MAX_TRACE_PROB,
        frac_zero_noise_rates=FRAC_ZERO_NOISE_RATES,
        seed=NOISE_SEED,
    )
    np.random.seed(NOISE_SEED)
    train_noisy = generate_noisy_labels(train_true, noise_matrix)
    np.random.seed(TEST_NOISE_SEED)
    test_noisy = generate_noisy_labels(test_true, noise_matrix)

    names = np.array(CLASSES)
    ids = np.array([f"T-{i:05d}" for i in range(1, N_TRAIN + N_TEST + 1)])
    table = features.copy()
    table.insert(0, ID_COLUMN, ids)
    table[LABEL_COLUMN] = names[np.concatenate([train_noisy, test_noisy])]
    table = table[COLUMNS]
    train = table.iloc[:N_TRAIN].reset_index(drop=True)
    test = table.iloc[N_TRAIN:].reset_index(drop=True)
    true_train = pd.DataFrame({ID_COLUMN: ids[:N_TRAIN], "true_label": names[train_true]})
    true_test = pd.DataFrame({ID_COLUMN: ids[N_TRAIN:], "true_label": names[test_true]})
    return {
        "train": train,
        "test": test,
        "true_train": true_train,
        "true_test": true_test,
        "noise_matrix": noise_matrix,
    }


def write(out: Path) -> dict[str, object]:
    out.mkdir(parents=True, exist_ok=True)
    built = build()
    for part in ("train", "test"):
        frame = built[part]
        frame.to_csv(out / f"{NAME}_{part}.csv", index=False)
        frame.to_parquet(out / f"{NAME}_{part}.parquet", index=False)
    built["true_train"].to_csv(out / f"{NAME}_true_labels.csv", index=False)
    built["true_test"].to_csv(out / f"{NAME}_test_true_labels.csv", index=False)
    return built


def summary(built: dict[str, object]) -> str:
    lines = ["noise matrix (rows: given team, columns: true team; order " + ", ".join(CLASSES) + "):"]
    lines += ["  " + "  ".join(f"{v:.4f}" for v in row) for row in built["noise_matrix"]]
    for part, truth in (("train", "true_train"), ("test", "true_test")):
        given = built[part][LABEL_COLUMN].to_numpy()
        true = built[truth]["true_label"].to_numpy()
        flips = {c: int(((true == c) & (given != c)).sum()) for c in CLASSES}
        lines.append(
            f"{part}: {len(given)} rows, true counts "
            + str({c: int((true == c).sum()) for c in CLASSES})
            + f", given counts {({c: int((given == c).sum()) for c in CLASSES})}"
            + f", flipped {int((given != true).sum())} (by true team {flips})"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="output folder")
    args = parser.parse_args()
    built = write(args.out)
    print(summary(built))


if __name__ == "__main__":
    main()

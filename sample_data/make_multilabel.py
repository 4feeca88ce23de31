"""Make the multi-label sample dataset: help-desk tickets tagged with one to three topics.

Synthetic but realistic: every ticket has a few numeric, categorical and boolean attributes and a
short subject line; its *true* tags are drawn, tag by tag, from logistic models of those attributes
(refunds follow billing questions and cancellations, so tags co-occur as they do in real queues),
at most three per ticket and a few tickets with none. The subject mentions some of the true tags
in the customer's words, but not all of them, and now and then a topic the ticket is not about.
Then about 8% of the tickets get a planted tagging error: a true tag dropped, a wrong tag added,
or one tag swapped for a wrong one (mostly a related tag, as a hurried agent would).

Run from anywhere; it is deterministic (same files, byte for byte, on every run)::

    python sample_data/make_multilabel.py            # writes sample_data/multilabel/
    python sample_data/make_multilabel.py --out DIR  # writes into DIR
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

NAME = "ticket_tags"
ID_COLUMN = "ticket_id"
LABEL_COLUMN = "tags"
SEP = ","
TAGS = ["billing", "bug", "cancellation", "feature_request", "login", "performance", "refund", "shipping"]

N_ROWS = 1000
SEED = 20240923  # one numpy Generator for everything, drawn in a fixed order
LOGIT_SCALE = 4.0  # sharpness of the true-tag models (higher: easier to learn)
MAX_TAGS = 3
KEEP_EMPTY = 0.08  # share of tickets with no drawn tag that stay untagged (the rest get their likeliest tag)
ERROR_RATE = 0.08  # share of tickets with a planted tagging error
ERROR_KINDS = {"dropped": 0.4, "added": 0.3, "swapped": 0.3}  # before ruling out the impossible ones
MENTION = 0.8  # chance that the subject names a given true tag
RED_HERRING = 0.12  # chance that it names a topic the ticket is not tagged with
MISSING = {"platform": 0.02, "days_since_last_login": 0.03}  # blanked completely at random

# Tags an agent confuses with each other (both ways): a wrong tag is drawn mostly from these.
RELATED = [
    ("billing", "refund"),
    ("refund", "cancellation"),
    ("billing", "cancellation"),
    ("bug", "performance"),
    ("bug", "login"),
    ("shipping", "refund"),
    ("feature_request", "performance"),
    ("feature_request", "bug"),
]

PHRASES = {
    "billing": [
        "charged twice this month",
        "invoice amount is wrong",
        "question about my bill",
        "unexpected charge on my card",
        "update my payment method",
    ],
    "bug": [
        "app crashes when saving",
        "error when I upload a file",
        "button does nothing",
        "sync fails with an error",
        "report export is broken",
    ],
    "cancellation": [
        "cancel my subscription",
        "how do I close my account",
        "stop the auto renewal",
        "want to end my plan",
    ],
    "feature_request": [
        "suggestion for the export screen",
        "please add a dark mode",
        "idea for a new feature",
        "would love an api for this",
    ],
    "login": [
        "cannot log in",
        "password reset link not working",
        "locked out of my account",
        "two factor code never arrives",
    ],
    "performance": [
        "app is very slow today",
        "dashboard takes forever to load",
        "timeouts on large exports",
        "pages freeze for minutes",
    ],
    "refund": [
        "refund request for my order",
        "I want my money back",
        "refund not received yet",
        "return and refund please",
    ],
    "shipping": [
        "where is my order",
        "package was not delivered",
        "tracking number not updating",
        "delivered to the wrong address",
    ],
}
GENERIC = [
    "need help please",
    "urgent issue with my account",
    "question for the support team",
    "follow up on my last ticket",
    "please advise asap",
    "problem since the last update",
]

COLUMNS = [
    ID_COLUMN,
    "channel",
    "plan",
    "platform",
    "region",
    "account_age_days",
    "days_since_last_login",
    "days_since_last_order",
    "last_order_value",
    "message_words",
    "num_attachments",
    "prior_tickets_90d",
    "versions_behind",
    "has_order_number",
    "mentions_error_code",
    "subject",
    LABEL_COLUMN,
]


def make_attributes(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Ticket attributes (no subject yet), before any value goes missing."""
    locked_out = rng.random(n) < 0.2
    return pd.DataFrame(
        {
            "channel": rng.choice(["email", "chat", "phone", "web_form"], size=n, p=[0.4, 0.3, 0.15, 0.15]),
            "plan": rng.choice(["starter", "pro", "enterprise"], size=n, p=[0.5, 0.35, 0.15]),
            "platform": rng.choice(["web", "desktop", "ios", "android"], size=n, p=[0.4, 0.2, 0.2, 0.2]),
            "region": rng.choice(
                ["north_america", "europe", "asia_pacific", "latin_america"], size=n, p=[0.4, 0.3, 0.2, 0.1]
            ),
            "account_age_days": np.clip(np.round(rng.gamma(1.5, 400.0, n)), 1, 4000).astype(int),
            "days_since_last_login": np.round(rng.exponential(3.0, n) + locked_out * rng.gamma(3.0, 8.0, n), 1),
            "days_since_last_order": np.round(rng.gamma(1.6, 18.0, n)).astype(int) + 1,
            "last_order_value": np.round(rng.gamma(2.0, 45.0, n), 2),
            "message_words": np.round(rng.gamma(4.0, 20.0, n)).astype(int) + 5,
            "num_attachments": rng.poisson(0.7, n),
            "prior_tickets_90d": rng.poisson(1.0, n),
            "versions_behind": rng.poisson(1.2, n),
            "has_order_number": rng.random(n) < 0.4,
            "mentions_error_code": rng.random(n) < 0.25,
        }
    )


def tag_logits(frame: pd.DataFrame, drawn: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Logit of each tag, given the attributes and the tags drawn before it (dict order = draw order)."""

    def z(column: str) -> np.ndarray:
        x = frame[column].to_numpy(dtype=float)
        return (x - x.mean()) / x.std()

    def col(column: str) -> np.ndarray:
        return frame[column].to_numpy()

    order, error = col("has_order_number").astype(float), col("mentions_error_code").astype(float)
    plan, channel, platform = col("plan"), col("channel"), col("platform")
    far = np.isin(col("region"), ["asia_pacific", "latin_america"]).astype(float)
    away = (col("days_since_last_login") > 14).astype(float)
    recent = (col("days_since_last_order") <= 10).astype(float)
    logits: dict[str, np.ndarray] = {}
    logits["bug"] = (
        -1.8 + 2.0 * error + 0.6 * z("num_attachments") + 0.7 * z("versions_behind") + 0.5 * (platform == "android")
    )
    logits["performance"] = (
        -1.9
        + 1.0 * (plan == "enterprise")
        + 0.8 * (platform == "desktop")
        + 0.5 * z("message_words")
        + 0.5 * z("versions_behind")
        - 0.8 * error
    )
    logits["login"] = (
        -2.0
        + 2.4 * away
        - 0.7 * z("account_age_days")
        + 0.8 * (channel == "phone")
        + 0.5 * np.isin(platform, ["ios", "android"])
        - 0.8 * order
    )
    logits["billing"] = (
        -1.6
        + 1.1 * z("last_order_value")
        + 0.9 * (plan != "starter")
        + 0.5 * z("prior_tickets_90d")
        + 0.6 * order
        - 1.2 * error
    )
    logits["shipping"] = -2.6 + 2.2 * order + 1.2 * recent + 0.8 * far - 0.5 * z("days_since_last_order") - 1.0 * error
    logits["cancellation"] = (
        -2.6 + 1.0 * (plan == "starter") + 0.7 * z("prior_tickets_90d") + 0.6 * (channel == "phone") + 0.8 * away
    )
    logits["feature_request"] = (
        -2.4
        + 0.9 * z("account_age_days")
        + 0.8 * (channel == "web_form")
        + 0.7 * (plan == "enterprise")
        + 0.5 * z("message_words")
        - 1.2 * error
    )
    # Refunds follow what was drawn before: a disputed bill, a cancelled plan, a lost parcel.
    logits["refund"] = -3.0 + 0.6 * z("last_order_value") + 0.8 * order + 0.7 * recent
    if drawn:
        logits["refund"] = (
            logits["refund"] + 1.6 * drawn["billing"] + 1.4 * drawn["cancellation"] + 0.9 * drawn["shipping"]
        )
    return {tag: LOGIT_SCALE * value for tag, value in logits.items()}


def draw_tags(frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """N x K 0/1 matrix of true tags (columns in TAGS order): 1 to MAX_TAGS per row, a few rows none."""
    n = len(frame)
    base = tag_logits(frame, {})
    drawn: dict[str, np.ndarray] = {}
    for tag in base:  # refund last: it depends on the others
        logit = tag_logits(frame, drawn)[tag] if tag == "refund" else base[tag]
        drawn[tag] = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(float)
    logits = tag_logits(frame, drawn)
    scores = np.column_stack([logits[t] for t in TAGS]) - np.log(-np.log(rng.random((n, len(TAGS)))))
    tags = np.column_stack([drawn[t] for t in TAGS]).astype(int)
    for i in np.flatnonzero(tags.sum(axis=1) > MAX_TAGS):  # too many: keep the likeliest (noisy) ones
        keep = np.argsort(-np.where(tags[i] == 1, scores[i], -np.inf), kind="stable")[:MAX_TAGS]
        tags[i] = 0
        tags[i, keep] = 1
    empty = np.flatnonzero(tags.sum(axis=1) == 0)
    fill = empty[rng.random(len(empty)) >= KEEP_EMPTY]
    tags[fill, np.argmax(scores[fill], axis=1)] = 1
    return tags


def write_subjects(tags: np.ndarray, rng: np.random.Generator) -> list[str]:
    """A short subject line per ticket: some of its true tags in the customer's words, and noise."""
    subjects = []
    for row in tags:
        parts = [rng.choice(PHRASES[TAGS[k]]) for k in np.flatnonzero(row) if rng.random() < MENTION]
        if rng.random() < RED_HERRING:
            others = [t for k, t in enumerate(TAGS) if row[k] == 0]
            parts.insert(int(rng.integers(len(parts) + 1)), rng.choice(PHRASES[rng.choice(others)]))
        if not parts or rng.random() < 0.3:
            parts.append(rng.choice(GENERIC))
        subjects.append(" - ".join(str(p) for p in parts))
    return subjects


def related_weights(row: np.ndarray) -> np.ndarray:
    """How likely each tag is to be added by mistake to a ticket with tags ``row`` (0 for its own tags)."""
    weights = np.ones(len(TAGS))
    for a, b in RELATED:
        for x, y in ((a, b), (b, a)):
            if row[TAGS.index(x)]:
                weights[TAGS.index(y)] += 4.0
    weights[row == 1] = 0.0
    return weights / weights.sum()


def plant_errors(true: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(given tags, kind of error per row: '' when the row is clean)."""
    given = true.copy()
    kinds = np.full(len(true), "", dtype=object)
    rows = np.sort(rng.choice(len(true), size=round(ERROR_RATE * len(true)), replace=False))
    for i in rows:
        count = int(true[i].sum())
        possible = {"dropped": count >= 1, "added": count < MAX_TAGS, "swapped": count >= 1}
        names = [k for k in ERROR_KINDS if possible[k]]
        p = np.array([ERROR_KINDS[k] for k in names])
        kind = str(rng.choice(names, p=p / p.sum()))
        if kind in ("dropped", "swapped"):
            given[i, rng.choice(np.flatnonzero(true[i]))] = 0
        if kind in ("added", "swapped"):
            given[i, rng.choice(len(TAGS), p=related_weights(true[i]))] = 1
        kinds[i] = kind
    return given, kinds


def blank_out(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Set a few values missing, completely at random, in the columns of MISSING."""
    frame = frame.copy()
    for column, fraction in MISSING.items():
        rows = np.sort(rng.choice(len(frame), size=round(fraction * len(frame)), replace=False))
        frame.loc[rows, column] = np.nan if pd.api.types.is_numeric_dtype(frame[column]) else None
    return frame


def as_strings(tags: np.ndarray) -> list[str]:
    """Each row's tags as one delimited string, in TAGS (sorted) order; '' for no tag."""
    return [SEP.join(TAGS[k] for k in np.flatnonzero(row)) for row in tags]


def build() -> dict[str, pd.DataFrame]:
    """The table and its truth, as data frames."""
    rng = np.random.default_rng(SEED)
    features = make_attributes(N_ROWS, rng)
    true = draw_tags(features, rng)
    features["subject"] = write_subjects(true, rng)
    features = blank_out(features, rng)
    given, kinds = plant_errors(true, rng)
    ids = [f"TK-{i:04d}" for i in range(1, N_ROWS + 1)]
    table = features.copy()
    table.insert(0, ID_COLUMN, ids)
    table[LABEL_COLUMN] = as_strings(given)
    truth = pd.DataFrame(
        {
            "row": np.arange(N_ROWS),
            ID_COLUMN: ids,
            "true_tags": as_strings(true),
            "given_tags": as_strings(given),
            "error": kinds,
        }
    )
    return {"table": table[COLUMNS], "truth": truth}


def write(out: Path) -> dict[str, pd.DataFrame]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    built = build()
    table = built["table"]
    table.to_csv(out / f"{NAME}.csv", index=False)
    # The Parquet copy holds the tags as a list<string> column (an empty list: no tag).
    frame = table.assign(**{LABEL_COLUMN: [value.split(SEP) if value else [] for value in table[LABEL_COLUMN]]})
    schema = pa.Schema.from_pandas(frame, preserve_index=False)
    schema = schema.set(schema.get_field_index(LABEL_COLUMN), pa.field(LABEL_COLUMN, pa.list_(pa.string())))
    pq.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False), out / f"{NAME}.parquet")
    built["truth"].to_csv(out / f"{NAME}_true_labels.csv", index=False)
    return built


def summary(built: dict[str, pd.DataFrame]) -> str:
    truth = built["truth"]
    true = truth["true_tags"].str.split(SEP)
    given = truth["given_tags"].str.split(SEP)
    lines = [
        f"{len(truth)} tickets, {int((truth['error'] != '').sum())} with a planted error: "
        + str(truth["error"][truth["error"] != ""].value_counts().sort_index().to_dict())
    ]
    for name, sets in (("true", true), ("given", given)):
        sizes = dict(sorted(pd.Series([0 if s == [""] else len(s) for s in sets]).value_counts().to_dict().items()))
        counts = {t: int(sum(t in s for s in sets)) for t in TAGS}
        lines.append(f"{name}: tags per ticket {sizes}, per tag {counts}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parent / "multilabel"
    parser.add_argument("--out", type=Path, default=default, help="output folder")
    args = parser.parse_args()
    print(summary(write(args.out)))


if __name__ == "__main__":
    main()

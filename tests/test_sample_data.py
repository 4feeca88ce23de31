"""The sample datasets are what sample_data/README.md says they are."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
README = SAMPLE / "README.md"
NAME = "support_tickets"
LABEL, ID = "team", "ticket_id"
CLASSES = {"account", "billing", "shipping", "technical"}
CSV_FILES = [
    f"{NAME}_train.csv",
    f"{NAME}_test.csv",
    f"{NAME}_true_labels.csv",
    f"{NAME}_test_true_labels.csv",
]


def read(part: str) -> pd.DataFrame:
    return pd.read_csv(SAMPLE / f"{NAME}_{part}.csv")


def truth(part: str) -> pd.DataFrame:
    return pd.read_csv(SAMPLE / (f"{NAME}_true_labels.csv" if part == "train" else f"{NAME}_test_true_labels.csv"))


def readme_column_table() -> dict[str, tuple[int, int]]:
    """column -> (missing in train, missing in test), from the README's column table."""
    text = README.read_text()
    section = text[text.index("## `support_tickets_*`") :]
    rows = re.findall(r"^\| `(\w+)` \|.*\| (\d+) / (\d+) \|$", section, flags=re.M)
    return {name: (int(train), int(test)) for name, train, test in rows}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("regenerated")
    subprocess.run(
        [sys.executable, str(SAMPLE / f"make_{NAME}.py"), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return out


@pytest.mark.parametrize("name", CSV_FILES)
def test_script_is_deterministic_and_files_are_current(regenerated, name):
    assert (regenerated / name).read_bytes() == (SAMPLE / name).read_bytes()


@pytest.mark.parametrize("part", ["train", "test"])
def test_parquet_holds_the_same_table(part):
    csv = read(part)
    parquet = pd.read_parquet(SAMPLE / f"{NAME}_{part}.parquet")
    assert list(parquet.columns) == list(csv.columns)
    pd.testing.assert_frame_equal(
        parquet.astype(object).where(parquet.notna(), None),
        csv.astype(object).where(csv.notna(), None),
        check_dtype=False,
    )


def test_files_are_small():
    for path in SAMPLE.glob(f"{NAME}_*"):
        assert path.stat().st_size < 1_000_000, path


def test_sizes_and_columns_match_readme():
    columns = readme_column_table()
    for part, n in (("train", 1500), ("test", 500)):
        frame = read(part)
        assert len(frame) == n
        assert list(frame.columns) == list(columns)


@pytest.mark.parametrize("part", ["train", "test"])
def test_labels_are_the_documented_classes(part):
    assert set(read(part)[LABEL]) == CLASSES
    assert set(truth(part)["true_label"]) == CLASSES
    assert "**`account`, `billing`, `shipping`, `technical`**" in README.read_text()


def test_ids_are_unique_and_align_with_true_labels():
    train, test = read("train"), read("test")
    ids = pd.concat([train[ID], test[ID]])
    assert ids.is_unique
    assert ids.str.fullmatch(r"T-\d{5}").all()
    assert ids.tolist() == [f"T-{i:05d}" for i in range(1, 2001)]
    for part, frame in (("train", train), ("test", test)):
        assert truth(part)[ID].tolist() == frame[ID].tolist()


def test_planted_errors_match_readme():
    text = README.read_text()
    match = re.search(r"planted label errors: train (\d+), test (\d+)", text)
    assert match, "README must state the planted error counts"
    documented = {"train": int(match.group(1)), "test": int(match.group(2))}
    for part in ("train", "test"):
        flipped = (read(part)[LABEL] != truth(part)["true_label"]).sum()
        assert flipped == documented[part]
    assert f"| {documented['train']} / {documented['test']} |" in text  # the overview table too
    # The per-class table adds up and agrees with the files.
    train, true = read("train")[LABEL], truth("train")["true_label"]
    for team in sorted(CLASSES):
        flips = int(((true == team) & (train != team)).sum())
        assert re.search(rf"^\| {team} \| {int((true == team).sum())} \| {flips} \|", text, flags=re.M), team


def test_missing_values_are_where_documented():
    documented = readme_column_table()
    for i, part in enumerate(("train", "test")):
        frame = read(part)
        missing = frame.isna().sum()
        for column, counts in documented.items():
            assert missing[column] == counts[i], (part, column)
    with_missing = {c for c, (a, b) in documented.items() if a or b}
    assert with_missing == {"region", "account_age_days", "days_since_last_login"}


def test_column_types():
    frame = pd.read_parquet(SAMPLE / f"{NAME}_train.parquet")
    assert frame["has_order_number"].dtype == bool and frame["mentions_error_code"].dtype == bool
    for column in ("account_age_days", "days_since_last_order", "message_words", "num_attachments"):
        assert pd.api.types.is_integer_dtype(frame[column]), column
    for column in ("days_since_last_login", "last_order_value"):
        assert pd.api.types.is_float_dtype(frame[column]), column
    assert set(frame["plan"]) == {"starter", "pro", "enterprise"}


def test_tutorial_flip_count_matches_readme():
    assert "(50 of 250)" in README.read_text()
    for data, true in (("train.csv", "true_labels.csv"), ("test.csv", "test_true_labels.csv")):
        given = pd.read_csv(SAMPLE / "tutorial" / data)
        labels = pd.read_csv(SAMPLE / "tutorial" / true)
        assert len(given) == 250
        assert (given["y"] != labels["true_label"]).sum() == 50

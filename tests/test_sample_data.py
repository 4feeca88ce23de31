"""The sample datasets are what sample_data/README.md says they are."""

from __future__ import annotations

import os
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
    section = section[: section.find("\n## ")] if "\n## " in section else section  # this section only
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


# --- multi-label: sample_data/multilabel (issue 13) -------------------------------------------

ML = SAMPLE / "multilabel"
ML_NAME = "ticket_tags"
TAGS = ["billing", "bug", "cancellation", "feature_request", "login", "performance", "refund", "shipping"]
ML_CSV_FILES = [f"{ML_NAME}.csv", f"{ML_NAME}_true_labels.csv"]


def tag_sets(column: pd.Series) -> list[frozenset[str]]:
    """Delimited tag strings (an empty field: no tag) as sets."""
    return [frozenset(value.split(",")) if value else frozenset() for value in column.fillna("")]


def ml_table() -> pd.DataFrame:
    return pd.read_csv(ML / f"{ML_NAME}.csv")


def ml_truth() -> pd.DataFrame:
    return pd.read_csv(ML / f"{ML_NAME}_true_labels.csv", keep_default_na=False)


def run_script(name: str, out: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SAMPLE.parent), os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, str(SAMPLE / name), "--out", str(out)], check=True, capture_output=True, env=env)


@pytest.fixture(scope="module")
def regenerated_multilabel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("multilabel")
    run_script("make_multilabel.py", out)
    return out


@pytest.mark.parametrize("name", ML_CSV_FILES)
def test_multilabel_script_is_deterministic_and_files_are_current(regenerated_multilabel, name):
    assert (regenerated_multilabel / name).read_bytes() == (ML / name).read_bytes()


def test_multilabel_parquet_is_regenerated_exactly(regenerated_multilabel):
    # Parquet bytes name the writing library's version, so compare the stored Arrow tables instead.
    pq = pytest.importorskip("pyarrow.parquet")
    fresh, stored = (
        pq.read_table(regenerated_multilabel / f"{ML_NAME}.parquet"),
        pq.read_table(ML / f"{ML_NAME}.parquet"),
    )
    assert fresh.schema.equals(stored.schema)
    assert fresh.equals(stored)


def test_multilabel_parquet_tags_are_a_list_column_equal_to_the_csv_strings():
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    arrow = pq.read_table(ML / f"{ML_NAME}.parquet")
    assert arrow.schema.field("tags").type == pa.list_(pa.string())
    lists = arrow.column("tags").to_pylist()
    csv = ml_table()
    assert [",".join(tags) for tags in lists] == csv["tags"].fillna("").tolist()  # same tags, same (sorted) order
    # Every other column holds the same data as the CSV.
    parquet = arrow.to_pandas().drop(columns=["tags"])
    rest = csv.drop(columns=["tags"])
    assert list(parquet.columns) == list(rest.columns)
    pd.testing.assert_frame_equal(
        parquet.astype(object).where(parquet.notna(), None),
        rest.astype(object).where(rest.notna(), None),
        check_dtype=False,
    )


def test_multilabel_truth_agrees_with_the_data():
    table, truth = ml_table(), ml_truth()
    assert truth["row"].tolist() == list(range(len(table)))
    assert truth["ticket_id"].tolist() == table["ticket_id"].tolist()
    given, true = tag_sets(truth["given_tags"]), tag_sets(truth["true_tags"])
    assert given == tag_sets(table["tags"])
    changed = [g != t for g, t in zip(given, true)]
    assert [kind != "" for kind in truth["error"]] == changed  # errors exactly where given != true
    for g, t, kind in zip(given, true, truth["error"]):
        if kind == "dropped":
            assert g < t and len(t - g) == 1
        elif kind == "added":
            assert g > t and len(g - t) == 1
        elif kind == "swapped":
            assert len(g) == len(t) and len(g - t) == len(t - g) == 1
        else:
            assert kind == ""


def test_multilabel_shape_is_as_specified():
    table, truth = ml_table(), ml_truth()
    assert len(table) == 1000
    true = tag_sets(truth["true_tags"])
    sizes = pd.Series([len(t) for t in true]).value_counts()
    assert set(sizes.index) == {0, 1, 2, 3}
    assert 0 < sizes[0] <= 0.05 * len(table)  # a few tickets with no tag
    assert set().union(*true) == set(TAGS) and set().union(*tag_sets(table["tags"])) == set(TAGS)
    for value in table["tags"].dropna():  # sorted, no repeats, no blanks
        parts = value.split(",")
        assert parts == sorted(set(parts)) and all(parts)
    share = (truth["error"] != "").mean()
    assert 0.07 <= share <= 0.09
    assert set(truth["error"]) == {"", "dropped", "added", "swapped"}


def test_multilabel_counts_match_readme():
    text = README.read_text()
    section = text[text.index("## `multilabel/ticket_tags.*`") :]
    truth = ml_truth()
    kinds = truth["error"][truth["error"] != ""].value_counts()
    line = (
        f"planted tagging errors: {int(kinds.sum())} (added {kinds['added']}, dropped {kinds['dropped']}, "
        f"swapped {kinds['swapped']})"
    )
    assert line in section
    true, given = tag_sets(truth["true_tags"]), tag_sets(truth["given_tags"])
    for tag in TAGS:
        counts = (sum(tag in t for t in true), sum(tag in g for g in given))
        assert f"| {tag} | {counts[0]} | {counts[1]} |" in section, tag
    missing = ml_table().isna().sum()
    for column in ("platform", "days_since_last_login"):
        assert re.search(rf"^\| `{column}` \|.*\| {missing[column]} \|$", section, flags=re.M), column


# --- multiple annotators: sample_data/annotators (issue 13) -----------------------------------

MA = SAMPLE / "annotators"
MA_NAME = "ticket_raters"
RATERS = [f"rater_{i}" for i in range(1, 6)]
CARELESS = "rater_4"


def ma_table() -> pd.DataFrame:
    return pd.read_csv(MA / f"{MA_NAME}.csv")


def ma_truth() -> pd.DataFrame:
    return pd.read_csv(MA / f"{MA_NAME}_true_labels.csv")


@pytest.fixture(scope="module")
def regenerated_annotators(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("annotators")
    run_script("make_annotators.py", out)
    return out


@pytest.mark.parametrize("name", [f"{MA_NAME}.csv", f"{MA_NAME}_true_labels.csv"])
def test_annotators_script_is_deterministic_and_files_are_current(regenerated_annotators, name):
    assert (regenerated_annotators / name).read_bytes() == (MA / name).read_bytes()


def test_annotators_parquet_holds_the_same_table(regenerated_annotators):
    csv = ma_table()
    for folder in (MA, regenerated_annotators):
        parquet = pd.read_parquet(folder / f"{MA_NAME}.parquet")
        assert list(parquet.columns) == list(csv.columns)
        pd.testing.assert_frame_equal(
            parquet.astype(object).where(parquet.notna(), None),
            csv.astype(object).where(csv.notna(), None),
            check_dtype=False,
        )


def test_annotators_are_the_support_tickets_with_their_true_teams():
    table, truth = ma_table(), ma_truth()
    tickets = read("train").iloc[: len(table)].drop(columns=[LABEL])
    pd.testing.assert_frame_equal(table.drop(columns=RATERS), tickets)
    assert truth[ID].tolist() == table[ID].tolist()
    assert truth["true_label"].tolist() == truth_of_support_tickets()[: len(table)]


def truth_of_support_tickets() -> list[str]:
    return truth("train")["true_label"].tolist()


def test_annotator_matrix_is_as_specified():
    table, true = ma_table(), ma_truth()["true_label"].to_numpy()
    assert len(table) == 1000
    assert list(table.columns[-5:]) == RATERS
    labels = table[RATERS]
    assert set(labels.stack().dropna()) == CLASSES
    counts = labels.notna().sum(axis=1)
    assert counts.min() == 1 and counts.max() == 4
    assert (counts == 1).sum() <= 0.05 * len(table)  # mostly 2 to 4 raters, a few with one
    accuracy = {r: (labels[r][labels[r].notna()] == true[labels[r].notna().to_numpy()]).mean() for r in RATERS}
    assert min(accuracy, key=accuracy.get) == CARELESS
    assert 0.5 < accuracy[CARELESS] < 0.7  # about 45% random labels on four classes
    assert all(0.7 < accuracy[r] < 0.97 for r in RATERS if r != CARELESS)


def test_annotator_counts_match_readme():
    text = README.read_text()
    section = text[text.index("## `annotators/ticket_raters.*`") :]
    table, true = ma_table(), ma_truth()["true_label"].to_numpy()
    labels = table[RATERS]
    seen = labels.notna().to_numpy()
    wrong = int(((labels.to_numpy() != true[:, None]) & seen).sum())
    assert f"wrong annotations: {wrong} of {int(seen.sum())}" in section
    for m, rater in enumerate(RATERS):
        accuracy = (labels[rater].to_numpy()[seen[:, m]] == true[seen[:, m]]).mean()
        assert re.search(rf"^\| {rater} \|.*\| {seen[:, m].sum()} \| {accuracy:.3f} \|$", section, flags=re.M), rater
    per_row = pd.Series(seen.sum(axis=1)).value_counts().sort_index()
    assert "(result: " + " / ".join(str(per_row[k]) for k in (1, 2, 3, 4)) + " tickets)" in section


def test_new_sample_files_are_small():
    for path in [*ML.iterdir(), *MA.iterdir()]:
        assert path.stat().st_size < 1_000_000, path

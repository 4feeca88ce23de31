"""Rebuild the real public tables in this folder (see README.md for each one's source and licence).

Deterministic: the same packages give the same files. Every table comes from a package that ships
it offline, except the SMS Spam Collection subset, which is cut from the UCI file when you give
its path (``--sms SMSSpamCollection``; without it the vendored ``sms_spam.csv`` is kept and only
the carriage-return copy is rebuilt from it).

    pip install palmerpenguins vega_datasets lifelines   # scikit-learn is already a dependency
    python sample_data/real/make_real_tables.py [--sms PATH_TO_SMSSpamCollection] [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SMS_ROWS = 170  # the first 170 messages of the UCI file, in its order


def ids(out: Path) -> None:
    """Tables written with their pandas index, as `df.to_csv("x.csv")` does: an `Unnamed: 0` row number."""
    from sklearn.datasets import load_breast_cancer, load_iris

    cancer = load_breast_cancer(as_frame=True)
    frame = cancer.frame[[c for c in cancer.feature_names if c.startswith("mean ")]].copy()
    frame["diagnosis"] = np.asarray(cancer.target_names)[cancer.target]
    # The UCI file's row order is not random (its non-IID p-value is ~1e-7 without any id), so the
    # rows are shuffled first, as `df.sample(frac=1).reset_index(drop=True).to_csv(...)` would.
    order = np.random.default_rng(0).permutation(len(frame))
    frame.iloc[order].reset_index(drop=True).to_csv(out / "breast_cancer_with_index.csv")  # index=True: the trap
    iris = load_iris(as_frame=True)
    frame = iris.frame.drop(columns="target")
    frame["species"] = np.asarray(iris.target_names)[iris.target]
    frame.to_csv(out / "iris_with_index.csv")


def dates(out: Path) -> None:
    """Seattle weather: the same table as CSV (dates as text) and as Parquet (real datetimes)."""
    from vega_datasets import local_data

    frame = local_data.seattle_weather()
    frame.to_csv(out / "seattle_weather.csv", index=False, date_format="%Y-%m-%d")
    frame.to_parquet(out / "seattle_weather.parquet", index=False)


def text(out: Path, sms: Path | None) -> None:
    """SMS Spam Collection subset (message, label), and a copy with carriage returns inside quotes."""
    target = out / "sms_spam.csv"
    if sms is not None:
        raw = pd.read_csv(sms, sep="\t", header=None, names=["label", "message"], quoting=3, dtype=str)
        raw = raw[raw["label"].isin(["ham", "spam"])].head(SMS_ROWS)  # a header line, if any, is dropped
        raw[["message", "label"]].to_csv(target, index=False)
    frame = pd.read_csv(HERE / "sms_spam.csv" if not target.exists() else target, dtype=str, keep_default_na=False)
    planted = frame.copy()
    # Every 10th message from row 3 gets a lone "\r" for its first space (old Mac line ends, copy-paste);
    # every 10th from row 7 a "\r\n" (a Windows line break typed into the message).
    for row in range(3, len(planted), 10):
        planted.loc[row, "message"] = planted.loc[row, "message"].replace(" ", "\r", 1)
    for row in range(7, len(planted), 10):
        planted.loc[row, "message"] = planted.loc[row, "message"].replace(" ", "\r\n", 1)
    # Written as pandas writes by default (line ends "\n"): it quotes the "\r\n" fields but leaves the
    # lone-"\r" ones unquoted, so a reader that takes any "\r" for a line end splits those rows.
    planted.to_csv(out / "sms_spam_carriage_returns.csv", index=False, lineterminator="\n")


def categories(out: Path) -> None:
    """Democracy and dictatorship (lifelines' `dd`): 200 countries, label `regime`."""
    from lifelines.datasets import load_dd

    frame = load_dd()
    # leaderspellreg spells out the label ("...Monarchy") and is unique per row: left out
    frame.drop(columns=["leaderspellreg"]).to_csv(out / "democracy_dictatorship.csv", index=False)


def embeddings(out: Path) -> None:
    """scikit-learn's digits: the 64 pixels of each image as one Parquet list<float32> column."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from sklearn.datasets import load_digits

    digits = load_digits()
    pixels = pa.FixedSizeListArray.from_arrays(pa.array(digits.data.astype(np.float32).ravel()), 64)
    table = pa.table({"pixels": pixels, "digit": pa.array(digits.target.astype(str))})
    pq.write_table(table, out / "digits_embedding.parquet")


def penguins(out: Path) -> None:
    """Palmer penguins, unchanged; and with the raw table's `Species` (a recoding of `species`) beside it."""
    import palmerpenguins

    frame = palmerpenguins.load_penguins()
    frame.to_csv(out / "penguins.csv", index=False)
    raw = palmerpenguins.load_penguins_raw()
    assert (raw["Species"].str.split().str[0] == frame["species"]).all()  # same rows, same order
    leak = frame.copy()
    leak["species_raw"] = raw["Species"]
    leak.to_csv(out / "penguins_with_raw_species.csv", index=False)


def rare_classes(out: Path) -> None:
    """US airports (FAA, via vega_datasets): label `state`, four states/territories with 1-4 airports."""
    from vega_datasets import local_data

    frame = local_data.airports()[["iata", "state", "country", "latitude", "longitude"]]
    frame = frame[frame["state"].notna()]  # the 12 airports with no state: this file shows one trap
    frame.to_csv(out / "airports.csv", index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sms", type=Path, help="path to the UCI SMSSpamCollection file (tab-separated)")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    ids(args.out)
    dates(args.out)
    text(args.out, args.sms)
    categories(args.out)
    embeddings(args.out)
    penguins(args.out)
    rare_classes(args.out)


if __name__ == "__main__":
    main()

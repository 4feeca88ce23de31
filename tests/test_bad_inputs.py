"""Bad input, table-driven: every case through the CLI ends with exit 2 and exactly one
``cleanaudit: error:`` line naming the problem, no traceback, inputs byte-identical afterwards
and no partial output (issue 8, item 10).

Each case is ``(id, args, needles)``: ``args`` are CLI words in which ``{name}`` stands for a
file of the :func:`workdir` fixture, and every needle must appear in the error line. Cases that
take ``--out`` get ``--out {out}`` appended, and the folder must not exist afterwards.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cleanaudit.status import ExitStatus

D = "{train}"
LABEL = ["-l", "y", "--ignore", "y_int"]
PROBS = ["--pred-probs", "{probs}"]
FAST = [*LABEL, *PROBS]  # no model fitting: the error must come before any

CASES: list[tuple[str, list[str], list[str]]] = [
    # --- files ---
    ("missing-file", ["health", "{nope}", *LABEL], ["nope.csv", "not found"]),
    ("folder-without-tables", ["audit", "{emptydir}", *LABEL], ["emptydir"]),
    ("empty-file", ["health", "{empty}", *LABEL], ["empty.csv", "empty"]),
    ("header-only", ["health", "{header_only}", *LABEL], ["header_only.csv", "no rows"]),
    ("corrupt-parquet", ["health", "{corrupt_parquet}", *LABEL], ["corrupt.parquet"]),
    ("unknown-suffix", ["health", "{xlsx}", *LABEL], ["data.xlsx", "format"]),
    ("same-input-twice", ["health", D, D, *FAST], ["more than once"]),
    ("different-columns", ["health", D, "{other_columns}", *LABEL], ["different columns"]),
    ("repeated-header", ["health", "{dup_header}", "-l", "y"], ["dup_header.csv", "repeated column names", "x1"]),
    # --- columns ---
    ("no-label-option", ["health", D, *PROBS], ["--label"]),
    ("label-not-found", ["health", D, "-l", "label", *PROBS], ["label", "not found", "columns"]),
    ("label-typo", ["health", D, "-l", "Y", *PROBS], ["'Y'", "did you mean 'y'"]),
    ("single-class", ["health", "{one_class}", "-l", "y"], ["one_class.csv", "class"]),
    ("id-not-found", ["health", D, *FAST, "--id-column", "ident"], ["ident", "not found"]),
    ("id-repeated", ["health", D, *FAST, "--id-column", "x1_rounded"], ["x1_rounded", "repeated"]),
    ("id-missing-values", ["health", "{gappy_id}", "-l", "y", "--id-column", "rid", *PROBS], ["rid", "missing"]),
    ("feature-not-found", ["health", D, *FAST, "--features", "x1,zz"], ["zz", "not found"]),
    ("feature-is-label", ["health", D, "-l", "y", "--features", "x1,y", *PROBS], ["'y'", "--label"]),
    ("ignore-not-found", ["health", D, "-l", "y", "--ignore", "nope", *PROBS], ["nope", "not found"]),
    ("nested-label", ["health", "{nested}", "-l", "tags"], ["tags", "lists or structs"]),
    (
        "nested-id",
        ["health", "{nested}", "-l", "y", "--id-column", "tags", "--ignore", "y_int", *PROBS],
        ["tags", "lists or structs"],
    ),
    ("nested-feature-asked-for", ["health", "{nested}", "-l", "y", "--features", "x1,tags"], ["tags", "features"]),
    ("infinite-feature", ["health", "{infinite}", *LABEL], ["infinite.csv", "infinite"]),
    ("no-features-left", ["health", D, "-l", "y", "--features", "y_int", "--ignore", "y_int"], ["no feature columns"]),
    # --- pred_probs ---
    ("probs-missing", ["health", D, *LABEL, "--pred-probs", "{nope}"], ["nope.csv", "not found"]),
    ("probs-folder", ["health", D, *LABEL, "--pred-probs", "{emptydir}"], ["folder"]),
    ("probs-shape", ["health", D, *LABEL, "--pred-probs", "{probs_3cols}"], ["shape", "250 x 4"]),
    ("probs-transposed", ["health", D, *LABEL, "--pred-probs", "{probs_t}"], ["shape"]),
    ("probs-nan", ["health", D, *LABEL, "--pred-probs", "{probs_nan}"], ["NaN"]),
    ("probs-negative", ["health", D, *LABEL, "--pred-probs", "{probs_negative}"], ["outside [0, 1]"]),
    ("probs-row-sums", ["health", D, *LABEL, "--pred-probs", "{probs_sums}"], ["do not sum to 1"]),
    (
        "probs-named-typo",
        ["health", D, *LABEL, "--pred-probs", "{probs_typo}"],
        ["do not match the class names", "yelow"],
    ),
    (
        "probs-unrelated-names",
        ["health", D, *LABEL, "--pred-probs", "{probs_unrelated}"],
        ["do not match the class names", "p0"],
    ),
    ("probs-unknown-format", ["health", D, *LABEL, "--pred-probs", "{probs_txt}"], ["format"]),
    ("probs-pickled", ["health", D, *LABEL, "--pred-probs", "{probs_object}"], ["Python objects"]),
    ("probs-with-model", ["health", D, *FAST, "--model", "logreg"], ["--model", "--pred-probs"]),
    ("probs-with-model-param", ["health", D, *FAST, "--model-param", "C=2"], ["--model-param", "--pred-probs"]),
    ("probs-twice", ["find-issues", D, *FAST, *PROBS], ["given twice"]),
    ("probs-ensemble-on-health", ["health", D, *FAST, "--pred-probs", "{probs_copy}"], ["one model"]),
    ("probs-and-from-model", ["health", D, *FAST, "--from-model", "{nope}"], ["--pred-probs and --from-model"]),
    # --- model options ---
    ("seed-negative", ["health", D, *FAST, "--seed", "-1"], ["--seed"]),
    ("seed-too-large", ["health", D, *FAST, "--seed", str(2**40)], ["--seed"]),
    ("jobs-zero", ["health", D, *LABEL, "--jobs", "0"], ["--jobs 0", "-1 for all cores"]),
    ("cv-one", ["health", D, *LABEL, "--cv", "1"], ["--cv"]),
    ("model-unknown", ["health", D, *LABEL, "-m", "logregg"], ["logregg", "did you mean 'logreg'"]),
    ("model-param-form", ["health", D, *LABEL, "-m", "logreg", "--model-param", "C"], ["key=value"]),
    ("model-param-unknown", ["health", D, *LABEL, "-m", "logreg", "--model-param", "Cee=1"], ["Cee"]),
    ("model-class-missing", ["health", D, *LABEL, "-m", "sklearn.linear_model:NoSuchModel"], ["NoSuchModel"]),
    ("model-not-probabilistic", ["health", D, *LABEL, "-m", "sklearn.svm:LinearSVC"], ["predict_proba"]),
    ("model-param-bad-value", ["health", D, *LABEL, "-m", "logreg", "--model-param", "C=-1"], ["'C' parameter"]),
    (
        "model-untrusted-runs-nothing",
        ["health", D, *LABEL, "-m", "subprocess:Popen", "--model-param", "args=['touch', '{pwned}']"],
        ["subprocess", "not trusted", "--trust-module"],
    ),
    ("model-untrusted-import", ["health", D, *LABEL, "-m", "antigravity:X"], ["antigravity", "not trusted"]),
    (
        "model-stdlib-even-if-trusted",
        ["health", D, *LABEL, "-m", "os:system", "--trust-module", "os"],
        ["installed distribution"],
    ),
    ("model-twice", ["find-issues", D, *LABEL, "-m", "logreg", "-m", "logreg"], ["given twice"]),
    ("ensemble-on-health", ["health", D, *LABEL, "-m", "logreg", "-m", "knn"], ["one model"]),
    ("from-model-missing", ["health", D, *LABEL, "--from-model", "{nope}"], ["nope.csv"]),
    ("train-missing", ["find-issues", D, *LABEL, "--train", "{nope}"], ["nope.csv", "not found"]),
    # --- output and gates ---
    ("format-unknown", ["health", D, *FAST, "--format", "xml"], ["--format", "xml"]),
    ("fail-on-garbage", ["audit", D, *FAST, "--fail-on", "label>>1"], ["label>>1"]),
    ("fail-on-health-out-of-range", ["audit", D, *FAST, "--fail-on", "health<2"], ["health<2", "[0, 1]"]),
    ("fail-on-unknown-check", ["audit", D, *FAST, "--fail-on", "labels>0"], ["labels"]),
    ("fail-on-fraction-out-of-range", ["audit", D, *FAST, "--fail-on", "label>1.5"], ["label>1.5", "[0, 1]"]),
    ("fail-under-out-of-range", ["health", D, *FAST, "--fail-under", "5"], ["--fail-under 5"]),
    ("out-is-a-file", ["health", D, *FAST, "--out", "{probs}"], ["--out"]),
    # --- audit's own options ---
    ("checks-unknown", ["audit", D, *FAST, "--checks", "label,outlierz"], ["outlierz"]),
    ("check-param-not-a-number", ["audit", D, *FAST, "--check-param", "outlier.k=abc"], ["outlier.k", "abc"]),
    ("check-param-negative", ["audit", D, *FAST, "--check-param", "outlier.k=-5"], ["outlier.k", "at least 1"]),
    (
        "check-param-fraction",
        ["audit", D, *FAST, "--check-param", "class_imbalance.threshold=3"],
        ["class_imbalance.threshold", "at most 1"],
    ),
    ("check-param-choice", ["audit", D, *FAST, "--check-param", "label.filter_by=best"], ["filter_by", "best"]),
    ("check-param-form", ["audit", D, *FAST, "--check-param", "k=5"], ["check.param=value"]),
    ("check-param-unknown-check", ["audit", D, *FAST, "--check-param", "outlir.k=5"], ["outlir"]),
    ("check-param-unknown-param", ["audit", D, *FAST, "--check-param", "outlier.kk=5"], ["kk"]),
    ("self-check-rate", ["audit", D, *FAST, "--self-check", "2"], ["--self-check"]),
    ("baseline-missing", ["audit", D, *FAST, "--baseline", "{nope}"], ["nope.csv"]),
    # --- config files ---
    ("config-missing", ["health", D, *FAST, "--config", "{nope}"], ["--config", "not found"]),
    ("config-not-toml", ["health", D, *FAST, "--config", "{bad_toml}"], ["bad.toml", "TOML"]),
    ("config-unknown-key", ["health", D, *FAST, "--config", "{config_unknown_key}"], ["colour", "unknown key"]),
    ("config-cv-type", ["health", D, *FAST, "--config", "{config_cv_text}"], ["cv", "integer"]),
    ("config-seed-range", ["health", D, *FAST, "--config", "{config_seed_negative}"], ["seed"]),
    ("config-check-param", ["audit", D, *FAST, "--config", "{config_check_param}"], ["outlier.k", "abc"]),
    ("config-gate", ["audit", D, *FAST, "--config", "{config_gate}"], ["health<2"]),
    # --- clean ---
    ("clean-no-output", ["clean", D, *FAST], ["--output"]),
    ("clean-output-over-input", ["clean", D, *FAST, "--output", D], ["train.csv", "input"]),
    ("clean-merge-unknown-class", ["clean", D, *FAST, "--merge", "blue=teal", "--output", "{cleaned}"], ["teal"]),
    ("clean-output-suffix", ["clean", D, *FAST, "--output", "{cleaned_xlsx}"], ["cleaned.xlsx"]),
]

OUT_COMMANDS = {"find-issues", "health", "overlap", "noise-matrix", "audit"}


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.fixture()
def workdir(tmp_path, tutorial_dir) -> dict[str, Path]:
    """Every file a case may name, in a tmp folder: the tutorial data and hostile variants."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    train = pd.read_csv(tutorial_dir / "train.csv")
    train["x1_rounded"] = train["x1"].round(0)
    probs = np.load(tutorial_dir / "pred_probs_cv3_logreg_by_name.npy")
    names = ["blue", "purple", "seafoam green", "yellow"]
    files: dict[str, Path] = {"nope": tmp_path / "nope.csv", "out": tmp_path / "out", "pwned": tmp_path / "PWNED"}
    train.to_csv(files.setdefault("train", inputs / "train.csv"), index=False)
    np.save(files.setdefault("probs", inputs / "probs.npy"), probs)
    np.save(files.setdefault("probs_copy", inputs / "probs_copy.npy"), probs)
    (files.setdefault("emptydir", inputs / "emptydir")).mkdir()
    _write(files.setdefault("empty", inputs / "empty.csv"), "")
    _write(files.setdefault("header_only", inputs / "header_only.csv"), "x1,x2,y\n")
    (files.setdefault("corrupt_parquet", inputs / "corrupt.parquet")).write_bytes(b"PAR1 not really parquet")
    _write(files.setdefault("xlsx", inputs / "data.xlsx"), "x")
    train.drop(columns=["x2"]).to_csv(files.setdefault("other_columns", inputs / "other.csv"), index=False)
    _write(files.setdefault("dup_header", inputs / "dup_header.csv"), "x1,x1,y\n1,2,a\n3,4,b\n5,6,a\n7,8,b\n")
    train.assign(y="blue").to_csv(files.setdefault("one_class", inputs / "one_class.csv"), index=False)
    train.assign(rid=[None if i == 3 else f"r{i}" for i in range(len(train))]).to_csv(
        files.setdefault("gappy_id", inputs / "gappy_id.csv"), index=False
    )
    train.assign(tags=[[i % 3] for i in range(len(train))]).to_parquet(
        files.setdefault("nested", inputs / "nested.parquet")
    )
    train.assign(x1=[np.inf if i == 5 else v for i, v in enumerate(train.x1)]).to_csv(
        files.setdefault("infinite", inputs / "infinite.csv"), index=False
    )
    np.save(files.setdefault("probs_3cols", inputs / "probs_3cols.npy"), probs[:, :3] / probs[:, :3].sum(1)[:, None])
    np.save(files.setdefault("probs_t", inputs / "probs_t.npy"), probs.T)
    np.save(files.setdefault("probs_nan", inputs / "probs_nan.npy"), np.where(np.eye(250, 4) > 0, np.nan, probs))
    np.save(files.setdefault("probs_negative", inputs / "probs_negative.npy"), probs - 0.3)
    np.save(files.setdefault("probs_sums", inputs / "probs_sums.npy"), probs * 0.9)
    pd.DataFrame(probs, columns=["blue", "purple", "seafoam green", "yelow"]).to_csv(
        files.setdefault("probs_typo", inputs / "probs_typo.csv"), index=False
    )
    pd.DataFrame(probs, columns=["p0", "p1", "p2", "p3"]).to_parquet(
        files.setdefault("probs_unrelated", inputs / "probs_unrelated.parquet")
    )
    np.savetxt(files.setdefault("probs_txt", inputs / "probs.txt"), probs)
    np.save(
        files.setdefault("probs_object", inputs / "probs_object.npy"),
        np.array([{"a": 1}] * 3, dtype=object),
        allow_pickle=True,
    )
    _write(files.setdefault("bad_toml", inputs / "bad.toml"), "label = [unclosed\n")
    _write(files.setdefault("config_unknown_key", inputs / "unknown.toml"), 'colour = "blue"\n')
    _write(files.setdefault("config_cv_text", inputs / "cv.toml"), 'cv = "five"\n')
    _write(files.setdefault("config_seed_negative", inputs / "seed.toml"), "seed = -1\n")
    _write(files.setdefault("config_check_param", inputs / "params.toml"), '[check_params.outlier]\nk = "abc"\n')
    _write(files.setdefault("config_gate", inputs / "gate.toml"), '[gates]\nfail_on = ["health<2"]\n')
    files["cleaned"] = tmp_path / "cleaned.csv"
    files["cleaned_xlsx"] = tmp_path / "cleaned.xlsx"
    assert sorted(names) == names  # the by-name pred_probs are in sorted class order
    return files


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_enough_cases():
    assert len(CASES) >= 60 and len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize(("args", "needles"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_exit_2(cli, workdir, tmp_path, args, needles):
    words = [a.format(**{k: str(v) for k, v in workdir.items()}) for a in args]
    if words[0] in OUT_COMMANDS and "--out" not in words:
        words += ["--out", str(workdir["out"])]
    before = _digests(tmp_path / "inputs")
    result = cli(*words)
    assert result.exit_code == ExitStatus.INPUT_ERROR, (result.exit_code, result.stderr, result.stdout[-500:])
    errors = [line for line in result.stderr.splitlines() if line.startswith("cleanaudit: error:")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    assert _digests(tmp_path / "inputs") == before  # inputs byte-identical
    assert not workdir["out"].exists() and not workdir["cleaned"].exists()  # no partial output
    leftovers = [p.name for p in tmp_path.iterdir() if p.name not in ("inputs",)]
    assert leftovers == [], leftovers


def test_step_summary_pointing_at_an_input_is_refused(cli, workdir, tmp_path):
    before = _digests(tmp_path / "inputs")
    result = cli(
        "health",
        workdir["train"],
        *FAST[:3],
        "--pred-probs",
        workdir["probs"],
        env={"GITHUB_STEP_SUMMARY": str(workdir["train"])},
    )
    assert result.exit_code == ExitStatus.INPUT_ERROR, result.stderr
    assert "GITHUB_STEP_SUMMARY" in result.stderr and result.stderr.count("cleanaudit: error:") == 1
    assert _digests(tmp_path / "inputs") == before


def test_error_line_shows_control_characters_literally(cli, tmp_path):
    result = cli("health", tmp_path / "evil\n\x1b[2Jname.csv", "-l", "y")
    assert result.exit_code == ExitStatus.INPUT_ERROR
    assert result.stderr.count("\n") == 1 and "\x1b" not in result.stderr
    assert "evil\\n\\x1b[2Jname.csv" in result.stderr

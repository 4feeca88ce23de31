"""Cross-validated pred_probs from the CLI: the reference's split and model give its numbers."""

from __future__ import annotations

import importlib
import json
import sys
import uuid
from pathlib import Path

import pytest

from cleanaudit.status import ExitStatus


def test_sklearn_class_reproduces_published_confident_joint(cli, tutorial_dir):
    # The tutorial's cv5 pred_probs come from exactly this split and model (tutorial README).
    result = cli(
        "noise-matrix",
        tutorial_dir / "train.csv",
        "-l",
        "y_int",
        "--features",
        "x1,x2",
        "--model",
        "sklearn.linear_model:LogisticRegression",
        "--cv",
        "5",
        "--seed",
        "0",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["confident_joint"] == [[68, 0, 8, 8], [5, 46, 3, 0], [15, 3, 32, 13], [2, 1, 12, 34]]
    assert out["run"]["model"] == "sklearn.linear_model:LogisticRegression"
    assert out["run"]["cv_folds"] == 5 and out["run"]["seed"] == 0
    assert out["run"]["pred_probs_source"] == "cross-validation"


def test_auto_model_records_candidates_and_repeats(cli, tutorial_dir):
    args = ("health", tutorial_dir / "train.csv", "-l", "y", "--ignore", "y_int", "--format", "json", "--cv", "3")
    first = cli(*args)
    assert first.exit_code == 0, first.stderr
    out = json.loads(first.stdout)
    assert out["run"]["model"].startswith("auto:")
    candidates = out["run"]["model_candidates"]
    assert len(candidates) >= 3
    chosen = out["run"]["model"].split(":", 1)[1]
    assert min(candidates, key=lambda c: c["log_loss"])["model"] == chosen
    # stderr lists every candidate (not in JSON on stdout)
    for c in candidates:
        assert c["model"] in first.stderr
    again = json.loads(cli(*args).stdout)
    assert again["health_score"] == out["health_score"]


def test_model_param_reaches_the_model(cli, tutorial_dir):
    base = (
        "health",
        tutorial_dir / "train.csv",
        "-l",
        "y",
        "--ignore",
        "y_int",
        "--format",
        "json",
        "--model",
        "logreg",
        "-q",
    )
    strong = json.loads(cli(*base).stdout)
    weak = cli(*base, "--model-param", "C=0.0001")
    assert weak.exit_code == 0, weak.stderr
    assert json.loads(weak.stdout)["health_score"] != pytest.approx(strong["health_score"])


def test_bad_model_param_is_input_error(cli, tutorial_dir):
    result = cli(
        "health",
        tutorial_dir / "train.csv",
        "-l",
        "y",
        "--ignore",
        "y_int",
        "--model",
        "logreg",
        "--model-param",
        "no_such_param=1",
    )
    assert result.exit_code == 2
    assert "no_such_param" in result.stderr and "Traceback" not in result.stderr


# --- a model spec never runs code (issue 8) ----------------------------------------------------------


def one_error_line(result) -> str:
    assert result.exit_code == ExitStatus.INPUT_ERROR, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cleanaudit: error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_popen_spec_runs_nothing(cli, tutorial_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    base = (
        "find-issues",
        tutorial_dir / "train.csv",
        "-l",
        "y",
        "--ignore",
        "y_int",
        "-m",
        "subprocess:Popen",
        "--model-param",
        "args=['touch','PWNED']",
    )
    line = one_error_line(cli(*base))
    assert "module 'subprocess' is not trusted; pass --trust-module subprocess" in line
    line = one_error_line(cli(*base, "--trust-module", "subprocess"))
    assert "not part of an installed distribution" in line
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("spec", ["os:system", "builtins:eval", "antigravity:X", "this:X"])
def test_untrusted_specs_are_refused_without_import(cli, tutorial_dir, tmp_path, monkeypatch, spec):
    monkeypatch.chdir(tmp_path)
    module = spec.split(":")[0]
    was_imported = module in sys.modules
    line = one_error_line(cli("health", tutorial_dir / "train.csv", "-l", "y", "-m", spec))
    assert f"model '{spec}': module '{module}' is not trusted" in line
    assert was_imported or module not in sys.modules


def test_model_spec_is_checked_before_the_data_is_read(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    line = one_error_line(cli("health", "no-such-file.csv", "-l", "y", "-m", "evilmod:Thing"))
    assert "evilmod" in line and "no-such-file" not in line


@pytest.fixture
def installed_classifier(tmp_path, monkeypatch):
    """A classifier in a test-only installed distribution (a site folder with a dist-info), outside the
    working folder; importing it writes MARKER. Yields (module name, marker path)."""
    name = f"ca_clf_{uuid.uuid4().hex[:8]}"
    site, work = tmp_path / "site", tmp_path / "work"
    site.mkdir()
    work.mkdir()
    marker = tmp_path / "MARKER"
    (site / f"{name}.py").write_text(
        f"import pathlib\npathlib.Path({str(marker)!r}).write_text('imported')\n"
        "from sklearn.linear_model import LogisticRegression\n\n"
        "class Model(LogisticRegression):\n    pass\n"
    )
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "top_level.txt").write_text(f"{name}\n")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    monkeypatch.chdir(work)
    yield name, marker
    sys.modules.pop(name, None)


def test_trust_module_allows_an_installed_classifier(cli, tutorial_dir, installed_classifier):
    name, marker = installed_classifier
    args = (
        "find-issues",
        tutorial_dir / "train.csv",
        "-l",
        "y",
        "--ignore",
        "y_int",
        "-m",
        f"{name}:Model",
        "--cv",
        "3",
        "-q",
        "--format",
        "json",
    )
    line = one_error_line(cli(*args))
    assert f"module '{name}' is not trusted; pass --trust-module {name}" in line
    assert not marker.exists() and name not in sys.modules
    result = cli(*args, "--trust-module", name)
    assert result.exit_code == ExitStatus.OK, result.stderr
    assert json.loads(result.stdout)["run"]["model"] == f"{name}:Model" and marker.exists()


def test_explicit_config_trusted_modules_allow_a_classifier(cli, tutorial_dir, installed_classifier, tmp_path):
    name, marker = installed_classifier
    settings = tmp_path / "settings.toml"
    settings.write_text(f'label = "y"\nignore = ["y_int"]\nmodel = "{name}:Model"\ntrusted_modules = ["{name}"]\n')
    result = cli("health", tutorial_dir / "train.csv", "--config", settings, "--cv", "3", "-q", "--format", "json")
    assert result.exit_code == ExitStatus.OK, result.stderr
    assert json.loads(result.stdout)["run"]["model"] == f"{name}:Model" and marker.exists()


def test_walked_up_config_cannot_trust_a_classifier(cli, tutorial_dir, installed_classifier):
    name, marker = installed_classifier
    Path("cleanaudit.toml").write_text(f'model = "{name}:Model"\ntrusted_modules = ["{name}"]\n')
    line = one_error_line(cli("health", tutorial_dir / "train.csv", "-l", "y", "--ignore", "y_int"))
    assert "only a config file passed with --config may trust more modules" in line
    assert f"--trust-module {name}" in line
    assert not marker.exists() and name not in sys.modules


def test_trust_module_is_in_the_model_panel(cli):
    result = cli("find-issues", "--help")
    assert result.exit_code == 0
    panel = result.stdout.split("Model and pred_probs", 1)[1].split("╰", 1)[0]
    assert "--trust-module" in panel and "--model-param" in panel
    text = " ".join(result.stdout.replace("│", " ").split())
    assert "imported only from an installed, trusted package" in text
    bad = cli("health", "x.csv", "-l", "y", "-m", "sklearn.svm:SVC", "--trust-module", "scikit-learn")
    assert "--trust-module 'scikit-learn' is not the import name" in one_error_line(bad)


def test_python_m_never_imports_from_the_working_folder(tmp_path, tutorial_dir):
    """`python -m` puts the working folder first on sys.path; a ./typer.py or ./sklearn.py there must not run."""
    import subprocess
    import sys

    for name in ("typer", "rich", "sklearn", "pandas"):
        (tmp_path / f"{name}.py").write_text(f"open({str(tmp_path / ('RAN_' + name))!r}, 'w').write('x')\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cleanaudit",
            "health",
            str(tutorial_dir / "train.csv"),
            "-l",
            "y",
            "--ignore",
            "y_int",
            "-m",
            "logreg",
            "--cv",
            "3",
            "-q",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("RAN_")) == []

"""Config files: found upward or named, flags override them, every bad field is reported."""

from __future__ import annotations

import json
import shutil
import sys

import pytest

from cleanaudit.config import Config, find_config, load_config, parse_config
from cleanaudit.errors import ConfigError
from cleanaudit.status import ExitStatus

GOOD = """
label = "y"
features = ["x1", "x2"]
cv = 3
seed = 7
checks = ["label", "outlier", "near_duplicate"]

[check_params.outlier]
k = 20

[gates]
fail_on = ["label>0.05", "near_duplicate>0"]

[severity]
near_duplicate = "warn"
"""


def test_parse_good():
    import tomllib

    config = parse_config(tomllib.loads(GOOD), "cleanaudit.toml")
    assert config.label == "y" and config.features == ["x1", "x2"] and (config.cv, config.seed) == (3, 7)
    assert config.checks == ["label", "outlier", "near_duplicate"]
    assert config.check_params == {"outlier": {"k": 20}}
    assert config.fail_on == ["label>0.05", "near_duplicate>0"] and config.severity == {"near_duplicate": "warn"}


def test_every_bad_field_reported():
    table = {
        "label": 3,
        "cv": 1,
        "seed": True,
        "colour": "red",
        "checks": ["label", "nope"],
        "gates": {"fail_on": ["label>>2"], "fail_under": 3, "extra": 1},
        "severity": {"label": "loud", "ghost": "warn"},
        "check_params": {"ghost": {"k": 1}},
    }
    with pytest.raises(ConfigError) as caught:
        parse_config(table, "x.toml")
    message = str(caught.value)
    assert "\n" not in message
    for needle in (
        "label: expected a string",
        "cv: must be at least 2",
        "seed: expected an integer",
        "colour: unknown key",
        "unknown check 'nope'",
        "gates.fail_on",
        "gates.fail_under",
        "gates.extra: unknown key",
        "severity.label: 'loud'",
        "severity.ghost: unknown check",
        "check_params.ghost: unknown check",
    ):
        assert needle in message, needle


def test_found_upward_and_pyproject(tmp_path):
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) is None
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_config(deep) is None  # a pyproject without [tool.cleanaudit] is not ours
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.cleanaudit]\nlabel = "target"\n')
    assert find_config(deep) == tmp_path / "pyproject.toml"
    assert load_config(cwd=deep).label == "target"
    (tmp_path / "a" / "cleanaudit.toml").write_text('label = "nearer"\n')
    assert load_config(cwd=deep).label == "nearer"


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="--config"):
        load_config(tmp_path / "none.toml")


def test_no_config_is_empty(tmp_path):
    assert load_config(cwd=tmp_path) == Config()


# --- from the command line ------------------------------------------------------------------


@pytest.fixture()
def project(tmp_path, tutorial_dir, monkeypatch):
    shutil.copy(tutorial_dir / "train.csv", tmp_path / "train.csv")
    shutil.copy(tutorial_dir / "pred_probs_cv3_logreg_by_name.npy", tmp_path / "p.npy")
    (tmp_path / "cleanaudit.toml").write_text(GOOD)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _json(result):
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def test_config_gives_defaults(cli, project):
    result = cli("audit", "train.csv", "--pred-probs", "p.npy", "-f", "json")
    # label>0.05 is an error gate and fails; near_duplicate>0 is only a warning.
    assert result.exit_code == ExitStatus.GATE_FAILED, result.stderr
    report = _json(result)
    assert [s["issue_type"] for s in report["summary"]] == ["label", "outlier", "near_duplicate"]
    assert report["checks"]["outlier"]["params"]["k"] == 20
    assert report["dataset"]["label_column"] == "y"
    gates = {g["expr"]: g for g in report["gates"]}
    assert gates["near_duplicate>0"]["severity"] == "warn" and not gates["near_duplicate>0"]["passed"]
    assert "gate warning: near_duplicate>0" in result.stderr and "gate failed: label>0.05" in result.stderr


def test_flags_override_config(cli, project):
    result = cli(
        "audit",
        "train.csv",
        "--pred-probs",
        "p.npy",
        "-f",
        "json",
        "--checks",
        "label,near_duplicate",
        "--check-param",
        "outlier.k=5",
        "--fail-on",
        "label>0.5",
        "-q",
    )
    assert result.exit_code == ExitStatus.OK, result.stderr
    report = _json(result)
    assert [s["issue_type"] for s in report["summary"]] == ["label", "near_duplicate"]
    assert [g["expr"] for g in report["gates"]] == ["label>0.5"]


def test_only_warn_gates_failing_exits_0(cli, project):
    (project / "cleanaudit.toml").write_text(
        GOOD.replace('near_duplicate = "warn"', 'near_duplicate = "warn"\nlabel = "warn"')
    )
    result = cli("audit", "train.csv", "--pred-probs", "p.npy", "-q")
    assert result.exit_code == ExitStatus.OK, result.stderr
    assert result.stderr.count("gate warning") == 2 and "gate failed" not in result.stderr


def test_severity_off_drops_gate(cli, project):
    (project / "cleanaudit.toml").write_text(
        GOOD.replace('near_duplicate = "warn"', 'near_duplicate = "off"\nlabel = "off"')
    )
    result = cli("audit", "train.csv", "--pred-probs", "p.npy", "-f", "json", "-q")
    assert result.exit_code == ExitStatus.OK, result.stderr
    assert "gates" not in _json(result)


def test_cv_and_seed_from_config_and_flag(cli, project):
    (project / "cleanaudit.toml").write_text('label = "y"\nfeatures = "x1,x2"\ncv = 3\nseed = 7\nmodel = "logreg"\n')
    report = _json(cli("health", "train.csv", "-f", "json", "-q"))
    assert (report["run"]["cv_folds"], report["run"]["seed"]) == (3, 7)
    report = _json(cli("health", "train.csv", "-f", "json", "-q", "--cv", "5", "--seed", "0"))
    assert (report["run"]["cv_folds"], report["run"]["seed"]) == (5, 0)


def test_explicit_config_file(cli, project, tmp_path_factory):
    other = tmp_path_factory.mktemp("elsewhere") / "ci.toml"
    other.write_text('label = "y"\n[gates]\nfail_under = 0.9\n')
    result = cli("health", "train.csv", "--pred-probs", "p.npy", "--config", other, "-q")
    assert result.exit_code == ExitStatus.GATE_FAILED
    assert "health<0.9" in result.stderr


def test_bad_config_exit_2_one_line(cli, project):
    (project / "cleanaudit.toml").write_text('label = 3\ncolour = "red"\n[severity]\nlabel = "loud"\n')
    result = cli("audit", "train.csv", "--pred-probs", "p.npy")
    assert result.exit_code == ExitStatus.INPUT_ERROR and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "label: expected a string" in lines[0] and "colour: unknown key" in lines[0]
    assert "severity.label" in lines[0]


def test_invalid_toml(cli, project):
    (project / "cleanaudit.toml").write_text("label = \n")
    result = cli("health", "train.csv", "--pred-probs", "p.npy")
    assert result.exit_code == ExitStatus.INPUT_ERROR and "not valid TOML" in result.stderr


# --- trusted_modules: only a file passed with --config may widen them (issue 8) -----------------


def test_trusted_modules_parsed_and_checked():
    assert parse_config({"trusted_modules": ["mymodels", "xgboost"]}, "c.toml").trusted_modules == [
        "mymodels",
        "xgboost",
    ]
    assert parse_config({"trusted_modules": "mymodels"}, "c.toml").trusted_modules == ["mymodels"]
    with pytest.raises(ConfigError) as caught:
        parse_config({"trusted_modules": ["scikit-learn", 3]}, "c.toml")
    assert "trusted_modules: expected a list of package names" in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        parse_config({"trusted_modules": ["scikit-learn", "sklearn.svm"]}, "c.toml")
    assert "'scikit-learn' is not the import name" in str(caught.value) and "'sklearn.svm'" in str(caught.value)


def test_found_config_may_not_widen_trusted_modules(tmp_path):
    deep = tmp_path / "a"
    deep.mkdir()
    (tmp_path / "cleanaudit.toml").write_text('trusted_modules = ["sklearn", "evilmod"]\n')
    with pytest.raises(ConfigError) as caught:
        load_config(cwd=deep)
    message = str(caught.value)
    assert "\n" not in message and str(tmp_path / "cleanaudit.toml") in message and "['evilmod']" in message
    assert "--config" in caught.value.hint and "--trust-module evilmod" in caught.value.hint
    # The same file named with --config is the user's own choice.
    assert load_config(tmp_path / "cleanaudit.toml", cwd=deep).trusted_modules == ["sklearn", "evilmod"]
    # Naming only the default packages widens nothing.
    (tmp_path / "cleanaudit.toml").write_text('trusted_modules = ["sklearn", "xgboost"]\n')
    assert load_config(cwd=deep).trusted_modules == ["sklearn", "xgboost"]


def test_found_pyproject_may_not_widen_trusted_modules(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.cleanaudit]\ntrusted_modules = ["evilmod"]\n')
    with pytest.raises(ConfigError, match=r"\[tool.cleanaudit\] sets trusted_modules"):
        load_config(cwd=tmp_path)


def test_found_config_naming_a_local_module_runs_nothing(cli, project, monkeypatch):
    # cleanaudit.toml names a module beside it; `python -m cleanaudit` has the working folder on sys.path.
    (project / "evilmod.py").write_text(
        "import pathlib\npathlib.Path('MARKER').write_text('imported')\nclass Thing:\n    pass\n"
    )
    (project / "cleanaudit.toml").write_text('label = "y"\nignore = ["y_int"]\nmodel = "evilmod:Thing"\n')
    monkeypatch.syspath_prepend(str(project))
    for extra in ([], ["--trust-module", "evilmod"]):
        result = cli("find-issues", "train.csv", *extra)
        assert result.exit_code == ExitStatus.INPUT_ERROR, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("cleanaudit: error: model 'evilmod:Thing'"), result.stderr
        assert not (project / "MARKER").exists() and "evilmod" not in sys.modules
    assert "is not trusted; pass --trust-module evilmod" in cli("find-issues", "train.csv").stderr


def test_found_config_with_trusted_modules_is_refused_on_the_command_line(cli, project):
    (project / "cleanaudit.toml").write_text('label = "y"\ntrusted_modules = ["evilmod"]\n')
    result = cli("health", "train.csv", "--pred-probs", "p.npy")
    assert result.exit_code == ExitStatus.INPUT_ERROR and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "only a config file passed with --config may trust more modules" in lines[0]
    explicit = cli("health", "train.csv", "--pred-probs", "p.npy", "--config", project / "cleanaudit.toml", "-q")
    assert explicit.exit_code == ExitStatus.OK, explicit.stderr

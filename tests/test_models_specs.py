"""Model specs: presets, module:Class estimators, --model-param parsing, and their errors."""

from __future__ import annotations

import importlib
import sys
import uuid

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from cleanaudit.errors import ConfigError
from cleanaudit.models.specs import (
    DEFAULT_TRUSTED_MODULES,
    PRESETS,
    build_model,
    check_model_spec,
    estimator_class,
    parse_model_params,
    trusted_module_list,
)


@pytest.fixture
def features() -> pd.DataFrame:
    return pd.DataFrame({"x": np.linspace(0, 1, 12), "c": list("abc") * 4})


def assert_one_line_error(excinfo, *needles: str) -> None:
    text = str(excinfo.value)
    assert "\n" not in text and excinfo.value.hint
    for needle in needles:
        assert needle in text, f"{needle!r} not in {text!r}"


def test_parse_model_params():
    got = parse_model_params(
        [
            "C=0.5",
            "max_depth=None",
            "class_weight=balanced",
            "hidden=(10, 5)",
            "flag=True",
            "tol=1e-3",
            "name= spaced ",
            "expr=1+",
        ]
    )
    assert got == {
        "C": 0.5,
        "max_depth": None,
        "class_weight": "balanced",
        "hidden": (10, 5),
        "flag": True,
        "tol": 1e-3,
        "name": "spaced",
        "expr": "1+",
    }
    assert parse_model_params([]) == {}


@pytest.mark.parametrize(
    ("items", "needle"), [(["C"], "'C'"), (["=1"], "'=1'"), (["a b=1"], "'a b=1'"), (["C=1", "C=2"], "'C'")]
)
def test_parse_model_params_errors(items, needle):
    with pytest.raises(ConfigError) as excinfo:
        parse_model_params(items)
    assert_one_line_error(excinfo, "--model-param", needle)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_build_and_fit(features, name):
    model = build_model(name, features, seed=7, params={"n_estimators": 5} if name == "random-forest" else None)
    assert list(model.named_steps) == ["features", "model"]
    estimator = model.named_steps["model"]
    if "random_state" in estimator.get_params():
        assert estimator.random_state == 7
    labels = np.array([0, 1] * 6)
    probs = clone(model).fit(features, labels).predict_proba(features)
    assert probs.shape == (12, 2)


def test_logreg_preset_is_scaled_with_max_iter(features):
    model = build_model("logreg", features, seed=0)
    assert model.named_steps["model"].max_iter == 1000
    scaled = model.named_steps["features"].transformers[0][1]
    assert "scale" in scaled.named_steps


def test_knn_fits_tiny_data():
    tiny = pd.DataFrame({"x": [0.0, 0.1, 1.0, 1.1]})
    model = build_model("knn", tiny)
    assert model.named_steps["model"].n_neighbors == 2
    model.fit(tiny.iloc[:2].assign(x=[0.0, 1.0]), [0, 1]).predict_proba(tiny)


def test_class_spec_used_as_given(features):
    model = build_model("sklearn.linear_model:LogisticRegression", features, seed=3)
    estimator = model.named_steps["model"]
    assert estimator.get_params() == type(estimator)(random_state=3).get_params()
    numeric = model.named_steps["features"].transformers[0][1]
    assert "scale" not in numeric.named_steps


def test_user_params_and_random_state_win(features):
    model = build_model(
        "sklearn.ensemble:RandomForestClassifier", features, params={"n_estimators": 3, "random_state": 11}, seed=0
    )
    assert model.named_steps["model"].n_estimators == 3
    assert model.named_steps["model"].random_state == 11


def test_estimator_without_random_state(features):
    model = build_model("sklearn.naive_bayes:GaussianNB", features, seed=5)
    assert "random_state" not in model.named_steps["model"].get_params()


@pytest.mark.parametrize(
    ("spec", "params", "needles"),
    [
        ("logistic", None, ["unknown model 'logistic'"]),
        ("auto", None, ["'auto'"]),
        ("no_such_module:Thing", None, ["no_such_module", "cannot import"]),
        ("sklearn.linear_model:NoSuchClass", None, ["NoSuchClass"]),
        ("sklearn.svm:SVC", None, ["sklearn.svm:SVC", "predict_proba"]),
        ("collections:OrderedDict", None, ["collections:OrderedDict", "not a scikit-learn estimator"]),
        ("logreg", {"CC": 1.0}, ["'CC'", "LogisticRegression"]),
        ("sklearn.ensemble:RandomForestClassifier", {"trees": 3}, ["'trees'", "RandomForestClassifier"]),
    ],
)
def test_model_errors(features, spec, params, needles):
    with pytest.raises(ConfigError) as excinfo:
        build_model(spec, features, params=params)
    assert_one_line_error(excinfo, *needles)


def test_error_hints_help(features):
    with pytest.raises(ConfigError) as excinfo:
        build_model("logreg", features, params={"CC": 1.0})
    assert "did you mean 'C'" in excinfo.value.hint and "max_iter" in excinfo.value.hint
    with pytest.raises(ConfigError) as excinfo:
        build_model("logreg", features, params={"c": 1.0})
    assert "did you mean 'C'" in excinfo.value.hint
    with pytest.raises(ConfigError) as excinfo:
        build_model("random-forrest", features)
    assert "did you mean 'random-forest'" in excinfo.value.hint and "logreg" in excinfo.value.hint
    with pytest.raises(ConfigError) as excinfo:
        build_model("sklearn.svm:SVC", features)
    assert "probability=True" in excinfo.value.hint
    assert build_model("sklearn.svm:SVC", features, params={"probability": True})


# --- trust: a spec names a class, it never runs code (issue 8) --------------------------------------

MARKER_CODE = "import pathlib\npathlib.Path({marker!r}).write_text('imported')\n"


def make_module(folder, name, marker, body="class Thing:\n    pass\n", dist=False):
    """Write ``name.py`` (which writes ``marker`` when imported) into ``folder``; ``dist`` adds a dist-info."""
    (folder / f"{name}.py").write_text(MARKER_CODE.format(marker=str(marker)) + body)
    if dist:
        info = folder / f"{name}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        (info / "top_level.txt").write_text(f"{name}\n")
    importlib.invalidate_caches()


@pytest.fixture
def unique_name():
    """A module name no other test uses; removed from sys.modules afterwards if a test imported it."""
    name = f"ca_test_{uuid.uuid4().hex[:8]}"
    yield name
    sys.modules.pop(name, None)


def test_presets_auto_and_trusted_classes_pass_the_check():
    for spec in ("auto", "logreg", "knn", "sklearn.svm:SVC", "sklearn.ensemble:HistGradientBoostingClassifier"):
        check_model_spec(spec)
    assert estimator_class("sklearn.naive_bayes:GaussianNB").__name__ == "GaussianNB"
    with pytest.raises(ConfigError) as excinfo:
        check_model_spec("logistic")
    assert_one_line_error(excinfo, "unknown model 'logistic'")


@pytest.mark.parametrize(
    "spec", ["os:system", "builtins:eval", "subprocess:Popen", "antigravity:X", "this:X", "collections:OrderedDict"]
)
def test_untrusted_modules_are_refused_before_import(spec):
    module = spec.split(":")[0]
    was_imported = module in sys.modules
    with pytest.raises(ConfigError) as excinfo:
        check_model_spec(spec)
    assert_one_line_error(
        excinfo,
        f"model '{spec}'",
        f"module '{module}' is not trusted",
        f"--trust-module {module}",
        "sklearn, xgboost, lightgbm, catboost",
    )
    if not was_imported:  # antigravity opens a browser and `this` prints when imported: neither happened
        assert module not in sys.modules


def test_untrusted_module_in_the_working_folder_is_never_imported(tmp_path, monkeypatch, unique_name):
    marker = tmp_path / "MARKER"
    make_module(tmp_path, unique_name, marker)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))  # as `python -m` puts the working folder on sys.path
    with pytest.raises(ConfigError) as excinfo:
        build_model(f"{unique_name}:Thing", pd.DataFrame({"x": [0.0, 1.0]}), trusted_modules=DEFAULT_TRUSTED_MODULES)
    assert_one_line_error(excinfo, "is not trusted", f"--trust-module {unique_name}")
    # Trusting it is not enough: it is not an installed distribution; with a dist-info beside it,
    # it is still in the working folder.
    trusted = trusted_module_list([unique_name])
    with pytest.raises(ConfigError) as excinfo:
        check_model_spec(f"{unique_name}:Thing", trusted_modules=trusted)
    assert_one_line_error(excinfo, "not part of an installed distribution")
    make_module(tmp_path, unique_name, marker, dist=True)
    with pytest.raises(ConfigError) as excinfo:
        check_model_spec(f"{unique_name}:Thing", trusted_modules=trusted)
    assert_one_line_error(excinfo, "from the working folder", str(tmp_path / f"{unique_name}.py"))
    assert not marker.exists() and unique_name not in sys.modules


def test_trusting_the_standard_library_is_not_enough():
    for spec in ("os:system", "builtins:eval", "subprocess:Popen"):
        module = spec.split(":")[0]
        with pytest.raises(ConfigError) as excinfo:
            check_model_spec(spec, trusted_modules=trusted_module_list([module]))
        assert_one_line_error(excinfo, f"module '{module}' is not part of an installed distribution")


def test_trust_module_allows_an_installed_package(tmp_path, monkeypatch, unique_name):
    site, work = tmp_path / "site", tmp_path / "work"
    site.mkdir()
    work.mkdir()
    marker = tmp_path / "MARKER"
    body = (
        "from subprocess import Popen\nfrom sklearn.linear_model import LogisticRegression\n\n"
        "class Model(LogisticRegression):\n    pass\n"
    )
    make_module(site, unique_name, marker, body=body, dist=True)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.chdir(work)
    with pytest.raises(ConfigError) as excinfo:
        check_model_spec(f"{unique_name}:Model")
    assert_one_line_error(excinfo, "is not trusted")
    assert not marker.exists() and unique_name not in sys.modules
    trusted = trusted_module_list([unique_name])
    check_model_spec(f"{unique_name}:Model", trusted_modules=trusted)
    assert marker.exists()  # imported only now, once trusted
    model = build_model(f"{unique_name}:Model", pd.DataFrame({"x": [0.0, 1.0]}), trusted_modules=trusted, seed=4)
    assert type(model.named_steps["model"]).__name__ == "Model" and model.named_steps["model"].random_state == 4
    # A class the trusted package merely re-exports is judged by the module that defines it.
    with pytest.raises(ConfigError) as excinfo:
        check_model_spec(f"{unique_name}:Popen", trusted_modules=trusted)
    assert_one_line_error(excinfo, "comes from module 'subprocess'", "--trust-module subprocess")


def test_trust_module_allows_a_real_installed_distribution(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # cleanaudit is installed (editable) from the repository, not from here
    with pytest.raises(ConfigError) as excinfo:
        check_model_spec("cleanaudit.learning:CleanLearning")
    assert_one_line_error(excinfo, "module 'cleanaudit' is not trusted")
    check_model_spec("cleanaudit.learning:CleanLearning", trusted_modules=trusted_module_list(["cleanaudit"]))


class Recorder:
    """Looks like an estimator but has no predict_proba; records whether it was ever constructed."""

    constructed: list[int] = []

    def __init__(self):
        Recorder.constructed.append(1)

    def fit(self, X, y):
        return self

    def get_params(self, deep=True):
        return {}

    def set_params(self, **params):
        return self


def test_class_is_checked_before_it_is_constructed(tmp_path, monkeypatch, features):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as excinfo:  # no module rule from Python code, still no construction
        build_model("subprocess:Popen", features, params={"args": ["touch", "PWNED"]})
    assert_one_line_error(excinfo, "not a scikit-learn estimator", "fit/get_params/set_params")
    assert not (tmp_path / "PWNED").exists()
    with pytest.raises(ConfigError) as excinfo:
        build_model(f"{__name__}:Recorder", features)
    assert_one_line_error(excinfo, "has no predict_proba")
    assert Recorder.constructed == []
    with pytest.raises(ConfigError) as excinfo:
        build_model("os:system", features)
    assert_one_line_error(excinfo, "module 'os' has no class 'system'")


@pytest.mark.parametrize(
    "spec", ["sklearn.svm:", ":SVC", "sklearn..svm:SVC", "sklearn svm:SVC", "sklearn.svm:SVC.fit", ".svm:SVC"]
)
def test_malformed_class_specs(spec):
    with pytest.raises(ConfigError) as excinfo:
        check_model_spec(spec)
    assert_one_line_error(excinfo, "is not of the form package.module:Class")


@pytest.mark.parametrize("name", ["scikit-learn", "sklearn.svm", "", "my models"])
def test_trust_module_takes_top_level_import_names(name):
    with pytest.raises(ConfigError) as excinfo:
        trusted_module_list([name])
    assert_one_line_error(excinfo, f"--trust-module '{name}'")
    assert trusted_module_list(["xgboost", "mine", "mine"]) == (*DEFAULT_TRUSTED_MODULES, "mine")


def test_roles_decide_the_encoding_of_a_model():
    """A column's role, not its dtype alone, decides its encoding (here integer codes read as categories)."""
    frame = pd.DataFrame({"code": [3, 7, 3, 9] * 5, "x": np.linspace(0, 1, 20)})
    by_dtype = build_model("logreg", frame).named_steps["features"].fit_transform(frame)
    by_role = build_model("logreg", frame, roles={"code": "categorical", "x": "numeric"})
    assert by_dtype.shape[1] == 2 and by_role.named_steps["features"].fit_transform(frame).shape[1] == 1 + 3

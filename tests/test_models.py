"""Model specs: presets, module:Class estimators, --model-param parsing, and their errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from cleanaudit.errors import ConfigError
from cleanaudit.models import PRESETS, build_model, parse_model_params


@pytest.fixture
def features() -> pd.DataFrame:
    return pd.DataFrame({"x": np.linspace(0, 1, 12), "c": list("abc") * 4})


def assert_one_line_error(excinfo, *needles: str) -> None:
    text = str(excinfo.value)
    assert "\n" not in text and excinfo.value.hint
    for needle in needles:
        assert needle in text, f"{needle!r} not in {text!r}"


def test_parse_model_params():
    got = parse_model_params(["C=0.5", "max_depth=None", "class_weight=balanced", "hidden=(10, 5)",
                              "flag=True", "tol=1e-3", "name= spaced ", "expr=1+"])
    assert got == {"C": 0.5, "max_depth": None, "class_weight": "balanced", "hidden": (10, 5),
                   "flag": True, "tol": 1e-3, "name": "spaced", "expr": "1+"}
    assert parse_model_params([]) == {}


@pytest.mark.parametrize(("items", "needle"), [(["C"], "'C'"), (["=1"], "'=1'"), (["a b=1"], "'a b=1'"),
                                                (["C=1", "C=2"], "'C'")])
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
    model = build_model("sklearn.ensemble:RandomForestClassifier", features,
                        params={"n_estimators": 3, "random_state": 11}, seed=0)
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

"""Model specs: a preset name (a pipeline with the preprocessing it needs) or ``package.module:Class``.

A ``module:Class`` estimator is used as given: it only gets the encoding that makes the
features numeric (imputation, one-hot), no scaling. ``"auto"`` is resolved in ``predict``.
"""

from __future__ import annotations

import ast
import difflib
import importlib
import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from cleanaudit.errors import ConfigError, one_line as _one_line
from cleanaudit.features import build_preprocessor

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

PRESETS: dict[str, str] = {
    "logreg": "StandardScaler + LogisticRegression(max_iter=1000): fast, well calibrated on simple data",
    "random-forest": "RandomForestClassifier(n_estimators=100): non-linear, robust to unscaled features",
    "hist-gb": "HistGradientBoostingClassifier: strong on large tabular data",
    "knn": "StandardScaler + KNeighborsClassifier(n_neighbors=15, weights='distance'): local similarity",
}
KNN_NEIGHBORS = 15


def parse_model_params(items: Sequence[str]) -> dict[str, Any]:
    """Parse ``key=value`` items; values are Python literals when they parse, else strings.

    >>> parse_model_params(["C=0.5", "class_weight=balanced", "max_depth=None"])
    {'C': 0.5, 'class_weight': 'balanced', 'max_depth': None}
    """
    params: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise ConfigError(f"--model-param '{item}' is not of the form key=value",
                              hint="write e.g. --model-param C=0.5")
        if key in params:
            raise ConfigError(f"--model-param '{key}' is given twice", hint="give each parameter once")
        try:
            params[key] = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            params[key] = text.strip()
    return params


def build_model(spec: str, features: pd.DataFrame, *, params: dict | None = None, seed: int = 0) -> Pipeline:
    """A fresh, unfitted ``Pipeline([("features", ...), ("model", estimator)])`` for ``spec``.

    ``params`` go to the estimator; ``random_state=seed`` is set when it takes one and
    ``params`` doesn't. Raises ``ConfigError`` for an unknown spec or parameter.

    >>> build_model("logreg", pd.DataFrame({"x": [1.0, 2.0]}), params={"C": 0.5}).named_steps["model"]
    LogisticRegression(C=0.5, max_iter=1000, random_state=0)
    """
    from sklearn.pipeline import Pipeline

    params = dict(params or {})
    if spec in PRESETS:
        estimator, scale = _preset(spec, len(features))
    elif ":" in spec:
        estimator, scale = _import_estimator(spec, params), False
    else:
        raise _unknown_model(spec)
    _set_params(estimator, spec, params)
    if "random_state" not in params and "random_state" in estimator.get_params(deep=False):
        estimator.set_params(random_state=seed)
    if not hasattr(estimator, "predict_proba"):
        raise ConfigError(
            f"model '{spec}' has no predict_proba, so it cannot give predicted probabilities",
            hint="use a probabilistic classifier (for SVC pass --model-param probability=True) or a preset: "
            + ", ".join(PRESETS),
        )
    return Pipeline([("features", build_preprocessor(features, scale=scale)), ("model", estimator)])


def _preset(name: str, num_examples: int) -> tuple[Any, bool]:
    """(estimator, whether its numeric features should be scaled)."""
    if name == "logreg":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(max_iter=1000), True
    if name == "random-forest":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=100), False
    if name == "hist-gb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(), False
    from sklearn.neighbors import KNeighborsClassifier

    # A training fold holds at least half the rows (cv >= 2), so this many neighbours always exist.
    neighbors = max(1, min(KNN_NEIGHBORS, num_examples // 2))
    return KNeighborsClassifier(n_neighbors=neighbors, weights="distance"), True


def _import_estimator(spec: str, params: dict) -> Any:
    module_name, _, class_name = spec.partition(":")
    hint = f"give 'package.module:Class' (e.g. sklearn.svm:SVC) or a preset: {', '.join(PRESETS)}"
    try:
        module = importlib.import_module(module_name)
    except Exception as err:  # ImportError, or anything the module raises while importing
        raise ConfigError(f"model '{spec}': cannot import module '{module_name}' ({_one_line(err)})", hint=hint) from None
    cls = getattr(module, class_name, None)
    if not inspect.isclass(cls):
        raise ConfigError(f"model '{spec}': module '{module_name}' has no class '{class_name}'", hint=hint)
    try:
        estimator = cls()
    except Exception:  # needs constructor arguments: try with the user's parameters
        try:
            estimator = cls(**params)
        except Exception as err:
            raise ConfigError(f"model '{spec}' cannot be created: {_one_line(err)}",
                              hint="pass its required arguments with --model-param key=value") from None
    if not hasattr(estimator, "get_params") or not hasattr(estimator, "fit"):
        raise ConfigError(f"model '{spec}' is not a scikit-learn estimator (no fit/get_params)", hint=hint)
    return estimator


def _set_params(estimator: Any, spec: str, params: dict) -> None:
    if not params:
        return
    valid = sorted(estimator.get_params(deep=False))
    unknown = [key for key in params if key not in valid]
    if unknown:
        close = _closest(unknown[0], valid)
        suggestion = f"did you mean '{close[0]}'? " if close else ""
        raise ConfigError(
            f"--model-param '{unknown[0]}' is not a parameter of {type(estimator).__name__} (model '{spec}')",
            hint=f"{suggestion}valid parameters: {', '.join(valid)}",
        )
    try:
        estimator.set_params(**params)
    except Exception as err:
        raise ConfigError(f"--model-param for model '{spec}' rejected: {_one_line(err)}",
                          hint="check the parameter values") from None


def _unknown_model(spec: str) -> ConfigError:
    if spec == "auto":
        return ConfigError("model 'auto' must be resolved by cross_val_pred_probs, not build_model",
                           hint=f"pick a preset: {', '.join(PRESETS)}")
    close = _closest(spec, list(PRESETS))
    suggestion = f"did you mean '{close[0]}'? " if close else ""
    return ConfigError(
        f"unknown model '{spec}'",
        hint=f"{suggestion}use a preset ({', '.join(PRESETS)}, or auto) or 'package.module:Class'",
    )


def _closest(name: str, options: Sequence[str]) -> list[str]:
    """The option the user probably meant: same name in another case, else the nearest spelling."""
    same = [o for o in options if o.lower() == name.lower()]
    return same[:1] or difflib.get_close_matches(name, options, n=1)

"""Model specs: a preset name (a pipeline with the preprocessing it needs) or ``package.module:Class``.

A ``module:Class`` estimator is used as given: it only gets the encoding that makes the
features numeric (imputation, one-hot), no scaling. ``"auto"`` is resolved in ``predict``.

A spec is a value from an option or a config file, so naming a class must not run code: with
``trusted_modules`` (the CLI always passes them) a module is imported only when its top-level
package is trusted (``DEFAULT_TRUSTED_MODULES`` plus ``--trust-module``), belongs to an installed
distribution and is not found in the working folder; all of this is checked before the import.
Whatever its module, a class is constructed only once it looks like a scikit-learn classifier.
"""

from __future__ import annotations

import ast
import difflib
import importlib
import inspect
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from cleanaudit.data.features import build_preprocessor
from cleanaudit.errors import ConfigError
from cleanaudit.errors import one_line as _one_line

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

PRESETS: dict[str, str] = {
    "logreg": "StandardScaler + LogisticRegression(max_iter=1000): fast, well calibrated on simple data",
    "random-forest": "RandomForestClassifier(n_estimators=100): non-linear, robust to unscaled features",
    "hist-gb": "HistGradientBoostingClassifier: strong on large tabular data",
    "knn": "StandardScaler + KNeighborsClassifier(n_neighbors=15, weights='distance'): local similarity",
}
KNN_NEIGHBORS = 15
# Top-level packages whose classes --model package.module:Class may name without --trust-module.
DEFAULT_TRUSTED_MODULES: tuple[str, ...] = ("sklearn", "xgboost", "lightgbm", "catboost")
_ESTIMATOR_METHODS = ("fit", "get_params", "set_params")


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
            raise ConfigError(
                f"--model-param '{item}' is not of the form key=value", hint="write e.g. --model-param C=0.5"
            )
        if key in params:
            raise ConfigError(f"--model-param '{key}' is given twice", hint="give each parameter once")
        try:
            params[key] = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            params[key] = text.strip()
    return params


def trusted_module_list(extra: Iterable[str] = ()) -> tuple[str, ...]:
    """``DEFAULT_TRUSTED_MODULES`` and the ``extra`` names (``--trust-module``), which must be top-level import names.

    >>> trusted_module_list(["mymodels", "sklearn"])
    ('sklearn', 'xgboost', 'lightgbm', 'catboost', 'mymodels')
    """
    names = list(DEFAULT_TRUSTED_MODULES)
    for name in extra:
        if not name.isidentifier():
            raise ConfigError(
                f"--trust-module '{name}' is not the import name of a top-level package",
                hint="give the name you import, e.g. --trust-module sklearn (not scikit-learn or sklearn.svm)",
            )
        if name not in names:
            names.append(name)
    return tuple(names)


def check_model_spec(spec: str, *, trusted_modules: Sequence[str] = DEFAULT_TRUSTED_MODULES) -> None:
    """Fail fast on a spec that cannot be built, without building it: ``auto``, a preset, or a trusted class.

    Nothing is imported for a module that is not trusted:

    >>> import sys
    >>> try:
    ...     check_model_spec("antigravity:X")
    ... except ConfigError as err:
    ...     print(err.message)
    model 'antigravity:X': module 'antigravity' is not trusted
    >>> "antigravity" in sys.modules
    False
    """
    if spec == "auto" or spec in PRESETS:
        return
    if ":" not in spec:
        raise _unknown_model(spec)
    estimator_class(spec, trusted_modules=trusted_modules)


def estimator_class(spec: str, *, trusted_modules: Sequence[str] | None = DEFAULT_TRUSTED_MODULES) -> type:
    """The class that ``package.module:Class`` names, once it looks like a scikit-learn classifier.

    With ``trusted_modules`` the module is imported only if :func:`check_trusted` allows it;
    ``None`` lifts that rule (for Python code naming a class of its own), never the class check.

    >>> estimator_class("sklearn.linear_model:LogisticRegression").__name__
    'LogisticRegression'
    """
    module_name, _, class_name = spec.partition(":")
    hint = f"give 'package.module:Class' (e.g. sklearn.svm:SVC) or a preset: {', '.join(PRESETS)}"
    if not all(part.isidentifier() for part in module_name.split(".")) or not class_name.isidentifier():
        raise ConfigError(f"model '{spec}' is not of the form package.module:Class", hint=hint)
    if trusted_modules is not None:
        check_trusted(spec, module_name, trusted_modules)
    try:
        module = importlib.import_module(module_name)
    except Exception as err:  # ImportError, or anything the module raises while importing
        raise ConfigError(
            f"model '{spec}': cannot import module '{module_name}' ({_one_line(err)})", hint=hint
        ) from None
    cls = getattr(module, class_name, None)
    if not inspect.isclass(cls):
        raise ConfigError(f"model '{spec}': module '{module_name}' has no class '{class_name}'", hint=hint)
    home = str(getattr(cls, "__module__", "")).split(".")[0]
    if trusted_modules is not None and home not in trusted_modules:
        raise ConfigError(
            f"model '{spec}': class '{class_name}' comes from module '{cls.__module__}', which is not trusted",
            hint=f"pass --trust-module {home} to allow it (trusted: {', '.join(trusted_modules)})",
        )
    missing = [name for name in _ESTIMATOR_METHODS if not callable(getattr(cls, name, None))]
    if missing:
        raise ConfigError(f"model '{spec}' is not a scikit-learn estimator (it has no {'/'.join(missing)})", hint=hint)
    if not hasattr(cls, "predict_proba"):
        raise _no_predict_proba(spec)
    return cls


def check_trusted(spec: str, module_name: str, trusted_modules: Sequence[str]) -> None:
    """Allow importing ``module_name`` only from a trusted, installed package outside the working folder.

    Everything is decided from the import system's search (``find_spec`` of the top-level name,
    which runs no code of the package) and the installed distributions' metadata, before any import.
    """
    import importlib.metadata
    import importlib.util

    top = module_name.split(".")[0]
    if top not in trusted_modules:
        raise ConfigError(
            f"model '{spec}': module '{top}' is not trusted",
            hint=f"pass --trust-module {top} to allow it (trusted: {', '.join(trusted_modules)})",
        )
    try:
        found = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        found = None
    if found is None:
        raise ConfigError(
            f"model '{spec}': cannot import module '{top}': no installed package provides it",
            hint=f"install the package that provides '{top}' in this environment",
        )
    if top not in importlib.metadata.packages_distributions():
        raise ConfigError(
            f"model '{spec}': module '{top}' is not part of an installed distribution",
            hint="models come only from packages installed with pip (or conda), never from the "
            "standard library or loose files",
        )
    local = _in_working_folder(found)
    if local is not None:
        raise ConfigError(
            f"model '{spec}': module '{top}' would be imported from the working folder ({local})",
            hint="models are never imported from the working folder; install the package, or run "
            "cleanaudit from another folder",
        )


def _in_working_folder(found: Any) -> Path | None:
    """The location of a module spec that lies in the working folder (not in a site-packages folder there)."""
    import site
    import sysconfig

    try:
        cwd = Path.cwd().resolve()
    except OSError:  # the working folder was removed: nothing can be found in it
        return None
    places = list(found.submodule_search_locations or []) or [found.origin]
    paths = sysconfig.get_paths()
    sites = {*site.getsitepackages(), site.getusersitepackages(), paths["purelib"], paths["platlib"]}
    site_dirs = [Path(s).resolve() for s in sites if s]
    for place in places:
        if not place or place in ("built-in", "frozen"):
            continue
        path = Path(place).resolve()
        if (path == cwd or cwd in path.parents) and not any(path == s or s in path.parents for s in site_dirs):
            return path
    return None


def build_model(
    spec: str,
    features: pd.DataFrame,
    *,
    params: dict | None = None,
    seed: int = 0,
    trusted_modules: Sequence[str] | None = None,
    roles: dict[str, str] | None = None,
) -> Pipeline:
    """A fresh, unfitted ``Pipeline([("features", ...), ("model", estimator)])`` for ``spec``.

    ``params`` go to the estimator; ``random_state=seed`` is set when it takes one and
    ``params`` doesn't. A ``module:Class`` goes through :func:`estimator_class` with
    ``trusted_modules`` before it is constructed (pass them whenever the spec comes from a user;
    ``None`` is for Python code naming its own class). Raises ``ConfigError`` for an unknown spec
    or parameter. ``roles`` (:mod:`cleanaudit.data.roles`) say how each column is encoded; ``None``:
    those decided at load (``features.attrs``), else decided from the values.

    >>> build_model("logreg", pd.DataFrame({"x": [1.0, 2.0]}), params={"C": 0.5}).named_steps["model"]
    LogisticRegression(C=0.5, max_iter=1000, random_state=0)
    """
    from sklearn.pipeline import Pipeline

    params = dict(params or {})
    if spec in PRESETS:
        estimator, scale = _preset(spec, len(features))
    elif ":" in spec:
        estimator, scale = _construct(spec, estimator_class(spec, trusted_modules=trusted_modules), params), False
    else:
        raise _unknown_model(spec)
    _set_params(estimator, spec, params)
    if "random_state" not in params and "random_state" in estimator.get_params(deep=False):
        estimator.set_params(random_state=seed)
    if not hasattr(estimator, "predict_proba"):
        raise _no_predict_proba(spec)
    return Pipeline([("features", build_preprocessor(features, scale=scale, roles=roles)), ("model", estimator)])


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

        # A leaf's value is -sum(gradients) / sum(hessians); for a class of a few rows the model soon
        # gives ~0 probability to, the hessians p(1 - p) vanish and that step explodes: the probabilities
        # saturate at 0/1 (on 52 US states from latitude/longitude, log loss 31.7, accuracy 0.12).
        # The L2 term in the denominator bounds the step (there: log loss 0.25, accuracy 0.93).
        return HistGradientBoostingClassifier(l2_regularization=1.0), False
    from sklearn.neighbors import KNeighborsClassifier

    # A training fold holds at least half the rows (cv >= 2), so this many neighbours always exist.
    neighbors = max(1, min(KNN_NEIGHBORS, num_examples // 2))
    return KNeighborsClassifier(n_neighbors=neighbors, weights="distance"), True


def _construct(spec: str, cls: type, params: dict) -> Any:
    """An instance of a checked estimator class: with no arguments, else with the user's parameters."""
    try:
        return cls()
    except Exception:  # needs constructor arguments: try with the user's parameters
        try:
            return cls(**params)
        except Exception as err:
            raise ConfigError(
                f"model '{spec}' cannot be created: {_one_line(err)}",
                hint="pass its required arguments with --model-param key=value",
            ) from None


def _no_predict_proba(spec: str) -> ConfigError:
    return ConfigError(
        f"model '{spec}' has no predict_proba, so it cannot give predicted probabilities",
        hint="use a probabilistic classifier (for SVC pass --model-param probability=True) or a preset: "
        + ", ".join(PRESETS),
    )


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
        # scikit-learn checks parameter values only in fit; ask now, so a bad value fails before any fitting.
        validate = getattr(estimator, "_validate_params", None)
        if callable(validate):
            validate()
    except Exception as err:
        raise ConfigError(
            f"--model-param for model '{spec}' rejected: {_one_line(err)}", hint="check the parameter values"
        ) from None


def _unknown_model(spec: str) -> ConfigError:
    if spec == "auto":
        return ConfigError(
            "model 'auto' must be resolved by cross_val_pred_probs, not build_model",
            hint=f"pick a preset: {', '.join(PRESETS)}",
        )
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

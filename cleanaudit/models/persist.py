"""Save a fitted model with its class names and feature columns, in a format that is safe to load.

The file is written with ``skops.io`` (an optional dependency: ``pip install "cleanaudit[model]"``),
not pickle: loading a skops file rebuilds only objects of types it trusts, so a model file from
somewhere else cannot run code on load. Beyond skops' own defaults (NumPy, scikit-learn
estimators, builtins), cleanaudit trusts exactly the types listed in ``TRUSTED_TYPES``: its own
feature converters and the tree and array types of its presets. A file that needs any other
type is refused with its name, never loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.errors import ConfigError, InputError
from cleanaudit.errors import name_list as _names
from cleanaudit.errors import one_line as _one_line

if TYPE_CHECKING:
    from cleanaudit.data.dataset import Dataset

FORMAT = "cleanaudit-model"
FORMAT_VERSION = 1
TRUSTED_TYPES: tuple[str, ...] = (
    "cleanaudit.data.features._as_float64",
    "cleanaudit.data.features._as_seconds",
    "cleanaudit.data.features._as_text",
    "cleanaudit.data.features._as_vectors",
    "cleanaudit.data.features._date_features",
    "cleanaudit.data.features._date_names",
    "cleanaudit.data.text.as_strings",
    "numpy.dtype",
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
)
_INSTALL_HINT = 'install the optional dependency: pip install "cleanaudit[model]" (or pip install skops)'


@dataclass
class SavedModel:
    """A fitted model and what is needed to use it on new data.

    ``class_names`` are in the model's class-code order; ``feature_columns`` are the columns it
    was trained on, in order; ``info`` records how it was made (spec, strategy, training data).
    """

    model: Any
    class_names: list[Any]
    feature_columns: list[str]
    label_column: str
    spec: str
    info: dict[str, Any] = field(default_factory=dict)


def save_model(saved: SavedModel, path: Path) -> None:
    """Write ``saved`` to ``path`` atomically as a skops file.

    >>> save_model(SavedModel(model, ["a", "b"], ["x"], "y", "logreg"), Path("model.skops"))  # doctest: +SKIP
    """
    from cleanaudit import __version__
    from cleanaudit.data.write import atomic_write_bytes

    sio = _skops()
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "cleanaudit_version": __version__,
        "model": saved.model,
        "class_names": list(saved.class_names),
        "feature_columns": [str(c) for c in saved.feature_columns],
        "label_column": str(saved.label_column),
        "spec": saved.spec,
        "info": dict(saved.info),
    }
    try:
        data = sio.dumps(document)
    except Exception as err:
        raise ConfigError(
            f"cannot save the model to {path}: {type(err).__name__}: {_one_line(err)}",
            hint="skops cannot store this model type; use a preset (--model logreg, ...)",
        ) from None
    atomic_write_bytes(Path(path), data)


def load_model(path: Path) -> SavedModel:
    """Read a file written by :func:`save_model`, refusing types outside skops' defaults and ``TRUSTED_TYPES``.

    >>> load_model(Path("model.skops")).class_names  # doctest: +SKIP
    ['blue', 'purple', 'seafoam green', 'yellow']
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"model file {path} not found", hint="check the --from-model path")
    sio = _skops()
    data = path.read_bytes()
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as err:
        raise InputError(
            f"{path} is not a model file saved by cleanaudit ({_one_line(err)})",
            hint="save one with: cleanaudit clean DATA -l COL --save-model model.skops",
        ) from None
    refused = [t for t in untrusted if t not in TRUSTED_TYPES]
    if refused:
        raise InputError(
            f"model file {path} holds types cleanaudit does not trust: {', '.join(refused)}",
            hint="it was not made by cleanaudit's presets; load only model files you made, with a preset --model",
        )
    try:
        document = sio.loads(data, trusted=list(untrusted))
    except Exception as err:
        raise InputError(
            f"cannot load model file {path}: {type(err).__name__}: {_one_line(err)}",
            hint="save it again with this version of cleanaudit and scikit-learn",
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InputError(
            f"{path} is not a model file saved by cleanaudit",
            hint="save one with: cleanaudit clean DATA -l COL --save-model model.skops",
        )
    if document.get("format_version") != FORMAT_VERSION:
        raise InputError(
            f"model file {path} has format version {document.get('format_version')!r}, "
            f"this cleanaudit reads version {FORMAT_VERSION}",
            hint="save the model again",
        )
    return SavedModel(
        document["model"],
        list(document["class_names"]),
        list(document["feature_columns"]),
        document["label_column"],
        document["spec"],
        dict(document.get("info") or {}),
    )


def pred_probs_from_saved(saved: SavedModel, dataset: Dataset, *, path: Path | str = "the model file") -> np.ndarray:
    """``predict_proba`` of the saved model on ``dataset`` (N x K, class order), after checking classes and columns.

    >>> pred_probs_from_saved(load_model(Path("model.skops")), dataset).shape  # doctest: +SKIP
    (250, 4)
    """
    from cleanaudit.models.fit import predict_pred_probs

    if list(saved.class_names) != list(dataset.class_names):
        only_model = [c for c in saved.class_names if c not in dataset.class_names]
        only_data = [c for c in dataset.class_names if c not in saved.class_names]
        raise InputError(
            f"--from-model {path} was trained on other classes than the data "
            f"(only in the model: {_names(only_model)}; only in the data: {_names(only_data)})",
            hint=f"score data labelled with the model's classes ({_names(saved.class_names)}) in --label",
        )
    columns = [str(c) for c in dataset.frame.columns]
    missing = [c for c in saved.feature_columns if c not in columns]
    if missing:
        raise InputError(
            f"the data lacks feature column(s) {_names(missing)} that --from-model {path} needs",
            hint=f"the model was trained on: {_names(saved.feature_columns)}",
        )
    # The loaded features (dates parsed, roles decided) when they hold every column the model needs;
    # else the raw columns: the fitted pipeline parses text dates and reads vectors itself.
    wanted = list(saved.feature_columns)
    loaded = [str(c) for c in dataset.features.columns]
    features = dataset.features[wanted] if all(c in loaded for c in wanted) else dataset.frame[wanted]
    return predict_pred_probs(saved.model, features, len(saved.class_names))


def require_skops() -> None:
    """Raise ``ConfigError`` (with the install command) when the optional package skops is missing."""
    _skops()


def _skops() -> Any:
    try:
        import skops.io as sio
    except ImportError:
        raise ConfigError("saving and loading models needs the optional package skops", hint=_INSTALL_HINT) from None
    return sio

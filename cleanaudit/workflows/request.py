"""What every data command is asked: which data, which columns, where pred_probs come from, gates.

:class:`DataRequest` carries what the CLI's shared options carry (``cli/options.py``), as plain
Python values: the data as a path, several paths or a pandas DataFrame; ``pred_probs`` as a file
or an array (several make an ensemble where the command takes one). Each command's request
adds its own options (``FindIssuesRequest``, ``AuditRequest``, ...).

>>> r = DataRequest("sample_data/tutorial/train.csv", label="y", pred_probs="p.npy", model_params={"C": 0.5})
>>> r.paths, r.models, r.model_given, r.pred_probs_list, r.model_param_dict()
([PosixPath('sample_data/tutorial/train.csv')], ['auto'], False, [PosixPath('p.npy')], {'C': 0.5})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    PredProbsSource: TypeAlias = str | Path | np.ndarray
    DataSource: TypeAlias = str | Path | Sequence[str | Path] | pd.DataFrame

DEFAULT_MODEL = "auto"
DEFAULT_CV = 5
DEFAULT_SEED = 0
TASKS = ("multiclass", "multilabel")  # one label per row; a set of labels per row


@dataclass
class DataRequest:
    """The data of a command and how to get its pred_probs (the CLI's shared options).

    ``model`` is what was asked for (``None``: ``default_model``, e.g. a config file's, which
    is silently unused when pred_probs are given); several models make an ensemble.
    ``model_params`` is a dict or ``key=value`` strings as ``--model-param`` takes them.
    """

    data: DataSource
    label: str | None = None
    task: str = "multiclass"  # "multilabel": the label column holds a set of labels per row
    label_sep: str = ","  # multilabel: the separator in a text label column
    annotators: str | Sequence[str] | None = None  # annotator columns (comma list, glob, or names)
    features: Sequence[str] | None = None
    ignore: Sequence[str] | None = None
    id_column: str | None = None
    model: str | Sequence[str] | None = None
    default_model: str | Sequence[str] = DEFAULT_MODEL
    model_params: Mapping[str, Any] | Sequence[str] | None = None
    trusted_modules: Sequence[str] = ()
    cv: int = DEFAULT_CV
    seed: int = DEFAULT_SEED
    jobs: int | None = None
    scheduler: str | None = None  # a Dask scheduler address or "local" (cleanaudit.distributed); None: this process
    pred_probs: PredProbsSource | Sequence[PredProbsSource] | None = None
    from_model: str | Path | None = None
    fail_on: Sequence[str] = ()
    fail_under: float | None = None
    severity: Mapping[str, str] = field(default_factory=dict)  # per-check gate severity (error, warn, off)
    on_missing_label: str = "skip"  # rows without a label: "skip" them (with a note) or "error"
    on_rare_class: str = "skip"  # classes too small for the folds: "skip" their rows (with a note) or "error"
    use_cache: bool = False  # reuse out-of-fold pred_probs cached by an earlier run (the CLI turns it on)
    cache_dir: str | Path | None = None  # None: the user cache folder (CLEANAUDIT_CACHE_DIR, else the platform's)
    save_pred_probs: str | Path | None = None  # also write the pred_probs used here, columns named by class

    @property
    def frame(self) -> pd.DataFrame | None:
        """The data when it was given as a DataFrame."""
        return None if isinstance(self.data, (str, Path, list, tuple)) else self.data

    @property
    def paths(self) -> list[Path]:
        """The data's files (or folders, globs, ``-``) as given; empty for a DataFrame."""
        if isinstance(self.data, (str, Path)):
            return [Path(self.data)]
        if isinstance(self.data, (list, tuple)):
            return [Path(str(p)) for p in self.data]
        return []

    @property
    def sources(self) -> list[str | Path]:
        """The data as given, URLs (``s3://b/k.parquet``) kept as text: a ``Path`` would fold ``//`` to ``/``."""
        given = [self.data] if isinstance(self.data, (str, Path)) else self.data
        if not isinstance(given, (list, tuple)):
            return []
        return [str(p) if "://" in str(p) else Path(str(p)) for p in given]

    @property
    def model_given(self) -> bool:
        return self.model is not None

    @property
    def models(self) -> list[str]:
        chosen = self.model if self.model is not None else self.default_model
        return [chosen] if isinstance(chosen, str) else list(chosen) or [DEFAULT_MODEL]

    @property
    def pred_probs_list(self) -> list[Any]:
        """Each given pred_probs source: a path, or an array."""
        given = self.pred_probs
        if given is None:
            return []
        if isinstance(given, (str, Path)):
            return [Path(given)]
        if isinstance(given, (list, tuple)):
            return [Path(p) if isinstance(p, str) else p for p in given]
        return [given]  # one array

    @property
    def from_model_path(self) -> Path | None:
        return Path(self.from_model) if self.from_model is not None else None

    def model_param_dict(self) -> dict[str, Any]:
        """``model_params`` as a dict (``key=value`` strings parsed as ``--model-param`` does)."""
        if not self.model_params:
            return {}
        if isinstance(self.model_params, Mapping):
            return dict(self.model_params)
        from cleanaudit.models.specs import parse_model_params

        return parse_model_params(list(self.model_params))

    def describe_data(self) -> str:
        """The data in a message: its file names, or ``the DataFrame``."""
        return ", ".join(str(p) for p in self.paths) or "the DataFrame"

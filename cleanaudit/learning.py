"""CleanLearning: fit any scikit-learn classifier on the examples whose labels look right (spec §5).

``CleanLearning(clf)`` gets out-of-sample ``pred_probs`` by K-fold cross-validation (or takes
yours), finds label issues with the engine's confident learning, and fits a fresh copy of
``clf`` on the remaining examples, weighting each class by the inverse of its estimated
label-noise diagonal. Issues found are in :meth:`CleanLearning.get_label_issues`.

For the same labels, ``pred_probs``/folds and classifier, masks, quality scores, sample weights
and predictions equal the reference's (cleanlab 2.9 ``CleanLearning``). Deliberate differences:

* No global RNG side effects: the reference calls ``np.random.seed(seed)`` when constructed;
  here ``seed`` only reaches ``StratifiedKFold``. (``seed=None`` shuffles folds from NumPy's global
  RNG, as ``random_state=None`` does everywhere in scikit-learn.)
* scikit-learn rules: ``__init__`` stores parameters only (``clf=None`` stays None; the default
  ``LogisticRegression(solver="lbfgs")`` is built in ``fit``), ``clf`` is never fitted in place
  (a clone is fitted into ``clf_``), fitted state has a trailing underscore, mutable defaults
  are None, and every ``fit`` starts afresh (the reference carries the first call's confident
  joint into later calls through its kwargs).
* Labels may be any sortable values (strings included): ``classes_`` is their sorted order,
  the engine works on codes 0..K-1, the wrapped classifier is trained on the original values,
  and ``given_label``/``predicted_label`` hold original values (int16 codes, as in the
  reference, when the classes are 0..K-1). ``pred_probs`` columns follow ``classes_``.
* ``predict_proba`` always has one column per class of ``classes_`` (zeros for a class that
  pruning removed entirely from the final fit).
* ``fit(label_issues=..., noise_matrix=...)`` uses the given matrix for the sample weights (the
  reference ignores it there); without one, an estimate left by an earlier
  ``find_label_issues``/``fit`` on this estimator is used, as in the reference.
* A ``confident_joint`` in ``find_label_issues_kwargs`` gives all of ``py_``, ``noise_matrix_``
  and ``inverse_noise_matrix_`` from ``estimate_latent`` (the reference recomputes ``py`` and
  the inverse from the noise matrix); explicit ``noise_matrix``/``inverse_noise_matrix`` win over it.
* ``clf`` may be any object with ``fit``/``predict``/``predict_proba`` (``fit``'s return value is
  unused); one without ``get_params`` is deep-copied, so it cross-validates too (the reference refuses).
* ``fit``'s second positional argument is ``y`` (scikit-learn's rule) and ``labels`` is keyword-only;
  ``fit(X, labels, y=labels)`` and ``fit(X, labels, labels=labels)`` both raise ``ValueError`` (the
  reference raises ValueError for the first and Python's TypeError for the second).
* Never prints: ``verbose=True`` logs to the ``cleanaudit.learning`` logger. Invalid input
  raises ``ValueError`` (``pulearning`` with K != 2 too, where the reference ignores it), and
  ``get_label_issues`` before any fit raises ``NotFittedError`` instead of returning None.
"""

from __future__ import annotations

import inspect
import logging
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, has_fit_parameter

from cleanaudit import engine
from cleanaudit.engine._scan import label_beaten
from cleanaudit.engine._util import CONFIDENT_THRESHOLDS_LOWER_BOUND, FLOATING_POINT_COMPARISON
from cleanaudit.engine.count import _compute_py, _inverse_from_noise, _noise_from_inverse

__all__ = ["CleanLearning"]

_log = logging.getLogger(__name__)

DEFAULT_FIND_LABEL_ISSUES_KWARGS = {"min_examples_per_class": 10}
_UNSUPPORTED_FIND_KWARGS = ("return_indices_ranked_by", "multi_label")
MIN_NOISE_RATE_FOR_WEIGHTS = 1e-3  # caps a class weight at 1000 when its estimated noise-rate diagonal is ~0
LOW_MEMORY_BATCH_SIZE = 10_000


class CleanLearning(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """A classifier that learns only from the examples whose labels look right.

    Parameters
    ----------
    clf : classifier, default None
        Any object with ``fit``, ``predict`` and ``predict_proba`` (a scikit-learn estimator or not);
        copies are made with ``sklearn.base.clone``, or ``copy.deepcopy`` without ``get_params``.
        None means ``LogisticRegression(solver="lbfgs")``, with ``X`` reshaped to 2-D.
    seed : int or None
        ``random_state`` of the ``StratifiedKFold(shuffle=True)`` cross-validation.
    cv_n_folds : int
        Number of folds for the out-of-sample ``pred_probs``.
    converge_latent_estimates : bool
        Iterate the latent estimates (py, noise matrices) towards agreement (spec §1.5).
    pulearning : {0, 1} or None
        Binary labels only: the index in ``classes_`` of the class whose labels are known to be
        right (positive-unlabelled learning); its noise rates are forced to zero.
    find_label_issues_kwargs : dict or None
        Passed to the engine's ``find_label_issues``; defaults to ``{"min_examples_per_class": 10}``.
    label_quality_scores_kwargs : dict or None
        Passed to the engine's ``get_label_quality_scores`` (default: self-confidence).
    verbose : bool
        Log progress to the ``cleanaudit.learning`` logger (never prints).
    low_memory : bool
        Find issues with the streaming approximation of ``filter_by="low_self_confidence"``
        (thresholds and count a batch at a time); ``find_label_issues_kwargs``, thresholds and
        noise matrices are then unused.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> X, y = make_blobs(n_samples=120, centers=3, random_state=0)
    >>> y[:6] = (y[:6] + 1) % 3  # flip a few labels
    >>> cl = CleanLearning(seed=0).fit(X, y)
    >>> cl.predict(X[:3]).tolist() == cl.clf_.predict(X[:3]).tolist()
    True
    >>> issues = cl.get_label_issues()
    >>> sorted(issues.columns)
    ['given_label', 'is_label_issue', 'label_quality', 'predicted_label', 'sample_weight']
    """

    def __init__(
        self,
        clf: Any = None,
        *,
        seed: int | None = None,
        cv_n_folds: int = 5,
        converge_latent_estimates: bool = False,
        pulearning: int | None = None,
        find_label_issues_kwargs: dict | None = None,
        label_quality_scores_kwargs: dict | None = None,
        verbose: bool = False,
        low_memory: bool = False,
    ) -> None:
        # scikit-learn rule: store the parameters as given; validation happens in fit.
        self.clf = clf
        self.seed = seed
        self.cv_n_folds = cv_n_folds
        self.converge_latent_estimates = converge_latent_estimates
        self.pulearning = pulearning
        self.find_label_issues_kwargs = find_label_issues_kwargs
        self.label_quality_scores_kwargs = label_quality_scores_kwargs
        self.verbose = verbose
        self.low_memory = low_memory

    # --- scikit-learn plumbing -----------------------------------------------------------

    def _base_clf(self) -> Any:
        return LogisticRegression(solver="lbfgs") if self.clf is None else self.clf

    def __sklearn_tags__(self):  # scikit-learn >= 1.6
        from sklearn.utils import get_tags

        tags = super().__sklearn_tags__()
        try:
            inner = get_tags(self._base_clf())
        except AttributeError:  # a duck-typed clf (not a BaseEstimator) declares no tags: keep the defaults
            return tags
        # What X may hold is the wrapped classifier's business.
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        tags.input_tags.string = inner.input_tags.string
        tags.input_tags.categorical = inner.input_tags.categorical
        return tags

    def _more_tags(self) -> dict:  # scikit-learn < 1.6
        inner = getattr(self._base_clf(), "_get_tags", dict)()
        return {key: inner[key] for key in ("allow_nan", "X_types") if key in inner}

    def __sklearn_is_fitted__(self) -> bool:
        # find_label_issues alone leaves estimates behind but no model to predict with.
        return hasattr(self, "clf_")

    @property
    def n_features_in_(self) -> int:
        """Number of features seen by the final fit (when the wrapped classifier records it)."""
        check_is_fitted(self)
        return self.clf_.n_features_in_

    @property
    def feature_names_in_(self) -> np.ndarray:
        """Feature names seen by the final fit (when ``X`` was a DataFrame with string columns)."""
        check_is_fitted(self)
        return self.clf_.feature_names_in_

    def _as_2d(self, X: Any) -> Any:
        # Only the default LogisticRegression needs flat rows; a user's clf gets X untouched.
        if self.clf is None and X is not None and len(getattr(X, "shape", ())) > 2:
            return X.reshape((len(X), -1))
        return X

    def _info(self, message: str) -> None:
        if self.verbose:
            _log.info(message)

    # --- fitting -------------------------------------------------------------------------

    def fit(
        self,
        X: Any,
        *args: Any,
        y: Any = None,
        labels: Any = None,
        pred_probs: np.ndarray | None = None,
        thresholds: np.ndarray | list | None = None,
        noise_matrix: np.ndarray | None = None,
        inverse_noise_matrix: np.ndarray | None = None,
        label_issues: pd.DataFrame | np.ndarray | None = None,
        sample_weight: np.ndarray | None = None,
        clf_kwargs: dict | None = None,
        clf_final_kwargs: dict | None = None,
        validation_func: Callable[[Any, np.ndarray], dict] | None = None,
    ) -> CleanLearning:
        """Find label issues (unless ``label_issues`` is given), then fit ``clf_`` on the rest.

        ``y`` and ``labels`` are synonyms; give one. ``pred_probs`` (N x K, columns in
        ``classes_`` order, out-of-sample) skips the cross-validation. ``label_issues`` may be a
        DataFrame with an ``is_label_issue`` column (e.g. from :meth:`find_label_issues`), a
        boolean mask or an array of row indices. ``clf_kwargs`` go to every ``clf.fit`` (folds
        and final), ``clf_final_kwargs`` to the final one only; ``validation_func(X_holdout,
        y_holdout)`` returns extra fit kwargs per fold. Without ``sample_weight``, the final fit
        weights class k by ``1 / max(noise_matrix_[k, k], 1e-3)`` when ``clf.fit`` takes
        ``sample_weight``; a given ``sample_weight`` is restricted to the kept rows instead.

        >>> import numpy as np
        >>> X = np.r_[np.zeros((20, 1)), np.ones((20, 1))] + np.linspace(0, .3, 40)[:, None]
        >>> y = np.array(["a"] * 20 + ["b"] * 20); y[0] = "b"
        >>> cl = CleanLearning(seed=0).fit(X, y)
        >>> cl.classes_.tolist(), cl.predict([[0.1], [1.2]]).tolist()
        (['a', 'b'], ['a', 'b'])
        """
        # The public signature is fit(self, X, y=None, *, labels=None, ...) (``__signature__`` below;
        # scikit-learn's check_fit_score_takes_y reads it). The positional y comes in through *args
        # so that fit(X, labels, y=labels) reaches the ValueError below, as in the reference,
        # instead of Python's TypeError ("multiple values for argument 'y'").
        if len(args) > 1:
            raise TypeError(f"CleanLearning.fit() takes from 2 to 3 positional arguments but {2 + len(args)} "
                            "were given")
        given = {name: value for name, value in (("positional y", args[0] if args else None), ("y=", y),
                                                 ("labels=", labels)) if value is not None}
        if len(given) > 1:
            raise ValueError(f"give the labels once: either y or labels, not both (got {' and '.join(given)})")
        y = next(iter(given.values()), None)
        if y is None:
            raise ValueError("CleanLearning requires y to be passed, but the target y is None")
        if X is None:
            raise ValueError("fit needs X to train clf on (pred_probs alone suffice for find_label_issues)")
        clf = _checked_clf(self._base_clf())
        clf_kwargs = dict(clf_kwargs or {})
        final_kwargs = {**clf_kwargs, **(clf_final_kwargs or {})}
        if "sample_weight" in clf_kwargs:
            raise ValueError("pass sample_weight to fit() or in clf_final_kwargs, not in clf_kwargs "
                             "(it would be applied to the cross-validation folds)")
        takes_weights = has_fit_parameter(clf, "sample_weight")
        if sample_weight is not None:
            if not takes_weights:
                raise ValueError(f"sample_weight was given but {type(clf).__name__}.fit has no sample_weight parameter")
            if "sample_weight" in final_kwargs:
                raise ValueError("sample_weight is given twice: in fit() and in clf_final_kwargs")
        X = self._as_2d(X)

        if label_issues is None:
            frame, y_values, codes = self._find_label_issues(
                X, y, pred_probs=pred_probs, thresholds=thresholds, noise_matrix=noise_matrix,
                inverse_noise_matrix=inverse_noise_matrix, clf_kwargs=clf_kwargs, validation_func=validation_func)
        else:
            self._info("Using the given label_issues instead of finding label issues.")
            y_values, classes, codes, pred_probs, noise_matrix, inverse_noise_matrix = self._inputs(
                X, y, pred_probs, noise_matrix, inverse_noise_matrix, need_X=True)
            frame = _label_issues_frame(label_issues, y_values)
            self._reuse_or_set_estimates(classes, codes, noise_matrix, inverse_noise_matrix)
            self.classes_ = classes
        if "label_quality" not in frame.columns and pred_probs is not None:
            frame["label_quality"] = engine.get_label_quality_scores(
                codes, pred_probs, **(self.label_quality_scores_kwargs or {}))

        keep = ~frame["is_label_issue"].to_numpy(dtype=bool)
        kept = np.flatnonzero(keep)
        self._info(f"Pruning {len(codes) - len(kept)} examples with label issues; {len(kept)} remain.")
        if sample_weight is not None:
            weights = _sample_weights(sample_weight, len(codes))
            final_kwargs["sample_weight"] = weights[kept]
        elif takes_weights and "sample_weight" not in final_kwargs and self.noise_matrix_ is not None:
            # Pruning removes more from noisier classes; weighting by 1/P(given=k|true=k) restores
            # the class balance of the true labels in the final fit.
            per_class = 1.0 / np.maximum(np.diagonal(self.noise_matrix_), MIN_NOISE_RATE_FOR_WEIGHTS)
            expanded = np.zeros(len(codes))
            expanded[kept] = per_class[codes[kept]]
            frame["sample_weight"] = expanded
            final_kwargs["sample_weight"] = expanded[kept]
        self.label_issues_df_ = frame
        self._info("Fitting the final model on the kept examples.")
        model = _unfitted_copy(clf)
        model.fit(_take(X, kept), y_values[kept], **final_kwargs)  # the return value is unused: it may be None
        self.clf_ = model
        return self

    # What inspect, scikit-learn and documentation tools see: (self, X, y=None, *, labels=None, ...).
    _self, _X, _args, _y, *_rest = inspect.signature(fit).parameters.values()
    fit.__signature__ = inspect.signature(fit).replace(
        parameters=[_self, _X, _y.replace(kind=inspect.Parameter.POSITIONAL_OR_KEYWORD), *_rest])
    del _self, _X, _args, _y, _rest

    def find_label_issues(
        self,
        X: Any = None,
        labels: Any = None,
        *,
        pred_probs: np.ndarray | None = None,
        thresholds: np.ndarray | list | None = None,
        noise_matrix: np.ndarray | None = None,
        inverse_noise_matrix: np.ndarray | None = None,
        save_space: bool = False,
        clf_kwargs: dict | None = None,
        validation_func: Callable[[Any, np.ndarray], dict] | None = None,
    ) -> pd.DataFrame:
        """One row per example: ``is_label_issue``, ``label_quality``, ``given_label``, ``predicted_label``.

        Cross-validates ``clf`` for ``pred_probs`` unless they are given (``X`` may then be None).
        A known ``noise_matrix`` (``P(given=i | true=j)``, columns summing to 1) or
        ``inverse_noise_matrix`` (``P(true=i | given=j)``) replaces the estimated one as prior
        for ``py_`` and the sample weights. Stores the estimates (``noise_matrix_``,
        ``inverse_noise_matrix_``, ``py_``, ``confident_joint_``, ``classes_``) and, unless
        ``save_space``, the frame as ``label_issues_df_``. Does not fit ``clf_``.

        >>> import numpy as np
        >>> labels = np.array([0, 0, 0, 1, 1, 1])
        >>> P = np.array([[.9, .1], [.8, .2], [.3, .7], [.2, .8], [.1, .9], [.7, .3]])
        >>> cl = CleanLearning(find_label_issues_kwargs={"min_examples_per_class": 0})
        >>> cl.find_label_issues(None, labels, pred_probs=P)["is_label_issue"].tolist()
        [False, False, True, False, False, True]
        """
        if labels is None:
            raise ValueError("find_label_issues needs labels: the given label of each example")
        frame, _, _ = self._find_label_issues(
            X, labels, pred_probs=pred_probs, thresholds=thresholds, noise_matrix=noise_matrix,
            inverse_noise_matrix=inverse_noise_matrix, clf_kwargs=clf_kwargs, validation_func=validation_func)
        if not save_space:
            self.label_issues_df_ = frame
        return frame

    def _find_label_issues(self, X, labels, *, pred_probs, thresholds, noise_matrix, inverse_noise_matrix,
                           clf_kwargs, validation_func) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        """find_label_issues without storing the frame; also returns the label values and codes."""
        clf_kwargs = dict(clf_kwargs or {})
        X = self._as_2d(X)
        y_values, classes, codes, pred_probs, noise_matrix, inverse_noise_matrix = self._inputs(
            X, labels, pred_probs, noise_matrix, inverse_noise_matrix, need_X=pred_probs is None)
        n, k = len(codes), len(classes)
        if pred_probs is None and n / k < self.cv_n_folds:
            raise ValueError(f"{n} examples of {k} classes are too few for {self.cv_n_folds}-fold cross-validation; "
                             "lower cv_n_folds (e.g. to 2 or 3) or pass pred_probs")
        self.classes_ = classes
        self.py_ = self.noise_matrix_ = self.inverse_noise_matrix_ = self.confident_joint_ = None

        def cross_validate() -> np.ndarray:
            self._info(f"Computing out-of-sample pred_probs with {self.cv_n_folds}-fold cross-validation.")
            return _cross_val_pred_probs(_checked_clf(self._base_clf()), X, y_values, codes, classes,
                                         n_folds=self.cv_n_folds, seed=self.seed, clf_kwargs=clf_kwargs,
                                         validation_func=validation_func)

        if self.low_memory:
            unused = {"find_label_issues_kwargs": self.find_label_issues_kwargs, "thresholds": thresholds,
                      "noise_matrix": noise_matrix, "inverse_noise_matrix": inverse_noise_matrix}
            for name, value in unused.items():
                if value is not None and (not isinstance(value, dict) or value):
                    warnings.warn(f"{name} is not used when low_memory=True", stacklevel=2)
            if pred_probs is None:
                pred_probs = cross_validate()
            mask = _low_memory_label_issues(codes, pred_probs)
        else:
            mask, pred_probs = self._confident_learning(codes, pred_probs, thresholds, noise_matrix,
                                                        inverse_noise_matrix, cross_validate)
        quality = engine.get_label_quality_scores(codes, pred_probs, **(self.label_quality_scores_kwargs or {}))
        frame = pd.DataFrame({"is_label_issue": mask, "label_quality": quality,
                              "given_label": _decode(codes, classes),
                              "predicted_label": _decode(pred_probs.argmax(axis=1), classes)})
        self._info(f"Found {int(mask.sum())} examples with label issues.")
        return frame, y_values, codes

    def _confident_learning(self, codes, pred_probs, thresholds, noise_matrix, inverse_noise_matrix,
                            cross_validate) -> tuple[np.ndarray, np.ndarray]:
        """Latent estimates (stored on self) and the label-issue mask, as spec §5 step 3."""
        kwargs = {**DEFAULT_FIND_LABEL_ISSUES_KWARGS, **(self.find_label_issues_kwargs or {})}
        for name in _UNSUPPORTED_FIND_KWARGS:
            if name in kwargs:
                raise ValueError(f"find_label_issues_kwargs cannot contain {name!r} in CleanLearning "
                                 f"(unsupported: {', '.join(_UNSUPPORTED_FIND_KWARGS)})")
        k = len(self.classes_)
        ps = np.bincount(codes, minlength=k) / float(len(codes))
        user_cj = kwargs.pop("confident_joint", None)
        cj = None if user_cj is None else np.array(user_cj, copy=True)  # never modify the caller's array

        if noise_matrix is not None or inverse_noise_matrix is not None:
            py, nm, inv = _latent_from_matrices(ps, noise_matrix, inverse_noise_matrix)
        elif cj is not None:
            py, nm, inv = engine.estimate_latent(cj, codes, converge_latent_estimates=self.converge_latent_estimates)
        else:
            if pred_probs is None:
                pred_probs = cross_validate()
            py, nm, inv, cj = engine.estimate_py_and_noise_matrices_from_probabilities(
                codes, pred_probs, thresholds=thresholds, converge_latent_estimates=self.converge_latent_estimates)
        if pred_probs is None:
            pred_probs = cross_validate()
        if cj is None:
            cj = engine.compute_confident_joint(codes, pred_probs, thresholds=thresholds)
        if self.pulearning is not None:
            nm, inv, cj = _pulearning(self.pulearning, k, nm, inv, cj)
        self.py_, self.noise_matrix_, self.inverse_noise_matrix_, self.confident_joint_ = py, nm, inv, cj
        # The pruning methods size their cuts by this joint; "confident_learning" recounts its own.
        if user_cj is not None or kwargs.get("filter_by") != "confident_learning":
            kwargs["confident_joint"] = cj
        self._info("Finding label issues from pred_probs.")
        return engine.find_label_issues(codes, pred_probs, **kwargs), pred_probs

    def _inputs(self, X, labels, pred_probs, noise_matrix, inverse_noise_matrix, *, need_X: bool):
        """Validate and encode: (label values, classes, codes, pred_probs, noise_matrix, inverse)."""
        y_values = _label_values(labels)
        pred_probs = None if pred_probs is None else np.asarray(pred_probs)
        if pred_probs is not None and (pred_probs.ndim != 2 or len(pred_probs) != len(y_values)):
            raise ValueError(f"pred_probs must have shape (N, K) with N={len(y_values)} rows like the labels, "
                             f"got {pred_probs.shape}")
        matrices = [m for m in (noise_matrix, inverse_noise_matrix) if m is not None]
        width = pred_probs.shape[1] if pred_probs is not None else (np.shape(matrices[0])[0] if matrices else None)
        classes = _classes(y_values, width)
        codes = _codes(y_values, classes)
        noise_matrix = _checked_matrix(noise_matrix, "noise_matrix", len(classes))
        inverse_noise_matrix = _checked_matrix(inverse_noise_matrix, "inverse_noise_matrix", len(classes))
        if X is None:
            if need_X:
                raise ValueError("X is needed to cross-validate clf; pass X, or pred_probs (then X may be None)")
        elif _num_rows(X) != len(y_values):
            raise ValueError(f"X has {_num_rows(X)} rows but labels have {len(y_values)}")
        return y_values, classes, codes, pred_probs, noise_matrix, inverse_noise_matrix

    def _reuse_or_set_estimates(self, classes, codes, noise_matrix, inverse_noise_matrix) -> None:
        """Estimates for ``fit(label_issues=...)``: given matrices, else those of an earlier call."""
        k = len(classes)
        if noise_matrix is not None or inverse_noise_matrix is not None:
            ps = np.bincount(codes, minlength=k) / float(len(codes))
            self.py_, self.noise_matrix_, self.inverse_noise_matrix_ = _latent_from_matrices(
                ps, noise_matrix, inverse_noise_matrix)
            self.confident_joint_ = None
            return
        previous = getattr(self, "noise_matrix_", None)
        same_classes = np.array_equal(getattr(self, "classes_", None), classes) if previous is not None else False
        if not same_classes:
            self.py_ = self.noise_matrix_ = self.inverse_noise_matrix_ = self.confident_joint_ = None

    # --- using the fitted model ----------------------------------------------------------

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels (original label values) from the classifier fitted on the kept examples.

        >>> import numpy as np
        >>> X = np.arange(40, dtype=float)[:, None]
        >>> CleanLearning(seed=0).fit(X, X[:, 0] >= 20).predict([[3.0], [35.0]]).tolist()
        [False, True]
        """
        check_is_fitted(self)
        return self.clf_.predict(self._as_2d(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, one column per class of ``classes_``.

        >>> import numpy as np
        >>> X = np.arange(40, dtype=float)[:, None]
        >>> CleanLearning(seed=0).fit(X, X[:, 0] >= 20).predict_proba([[3.0]]).shape
        (1, 2)
        """
        check_is_fitted(self)
        return _align_columns(self.clf_, self.clf_.predict_proba(self._as_2d(X)), self.classes_)

    def score(self, X: Any, y: Any, sample_weight: np.ndarray | None = None) -> float:
        """``clf_.score`` (with ``sample_weight`` when it takes one), else accuracy.

        >>> import numpy as np
        >>> X = np.arange(40, dtype=float)[:, None]
        >>> CleanLearning(seed=0).fit(X, X[:, 0] >= 20).score(X, X[:, 0] >= 20)
        1.0
        """
        check_is_fitted(self)
        X = self._as_2d(X)
        scorer = getattr(self.clf_, "score", None)
        if scorer is None:
            return float(accuracy_score(y, self.clf_.predict(X), sample_weight=sample_weight))
        if "sample_weight" in inspect.signature(scorer).parameters:
            return scorer(X, y, sample_weight=sample_weight)
        return scorer(X, y)

    def get_label_issues(self) -> pd.DataFrame:
        """The label-issue frame of the last ``fit``/``find_label_issues`` (with ``sample_weight`` after fit).

        >>> import numpy as np
        >>> X = np.arange(40, dtype=float)[:, None]
        >>> issues = CleanLearning(seed=0).fit(X, X[:, 0] >= 20).get_label_issues()
        >>> int(issues["is_label_issue"].sum()), float(issues["sample_weight"].iloc[0])
        (0, 1.0)
        """
        frame = getattr(self, "label_issues_df_", None)
        if frame is None:
            raise NotFittedError("no label issues stored: call fit() or find_label_issues() first "
                                 "(save_space() and find_label_issues(save_space=True) do not keep them)")
        return frame

    def save_space(self) -> None:
        """Drop the stored label-issue frame and estimates; the fitted ``clf_`` stays usable.

        >>> import numpy as np
        >>> X = np.arange(40, dtype=float)[:, None]
        >>> cl = CleanLearning(seed=0).fit(X, X[:, 0] >= 20)
        >>> cl.save_space(); cl.predict([[1.0]]).tolist()
        [False]
        """
        self.label_issues_df_ = None
        self.py_ = self.noise_matrix_ = self.inverse_noise_matrix_ = self.confident_joint_ = None


# --- helpers ---------------------------------------------------------------------------------


def _checked_clf(clf: Any) -> Any:
    missing = [name for name in ("fit", "predict", "predict_proba") if not hasattr(clf, name)]
    if missing:
        raise TypeError(f"clf must define fit(), predict() and predict_proba(); {type(clf).__name__} lacks "
                        + ", ".join(f"{name}()" for name in missing))
    return clf


def _unfitted_copy(clf: Any) -> Any:
    """A fresh copy of clf to fit (the user's object is never fitted in place)."""
    try:
        # clone rebuilds anything with get_params from its parameters, BaseEstimator or not; safe=False
        # deep-copies an object without get_params instead, as sklearn documents for non-estimators.
        return clone(clf, safe=False)
    except Exception as err:
        raise TypeError(f"clf could not be copied for fitting ({err}); give it a get_params() that returns "
                        "its constructor's arguments, or make it deep-copyable") from err


def _label_values(labels: Any) -> np.ndarray:
    """Labels as a 1-D array of class values (a column vector is raveled with a warning, like sklearn)."""
    values = column_or_1d(labels, warn=True)
    if len(values) == 0:
        raise ValueError("labels are empty: at least 2 examples of 2 classes are needed")
    check_classification_targets(values)  # rejects continuous targets, NaN and inf
    return values


def _classes(values: np.ndarray, width: int | None) -> np.ndarray:
    """Sorted class values; integer labels 0..K-1 may leave classes of a K-column pred_probs unseen."""
    classes = np.unique(values)
    if width is not None and width != len(classes):
        fits_codes = values.dtype.kind in "iu" and classes[0] >= 0 and classes[-1] < width
        if not (width > len(classes) and fits_codes):
            raise ValueError(f"pred_probs/noise matrices have {width} classes but the labels have {len(classes)} "
                             f"distinct values ({_preview(classes)}); give one column per class, in sorted order")
        classes = np.arange(width)
    if len(classes) < 2:
        raise ValueError(f"labels must have at least 2 classes; only one class is present: {classes[0]!r}")
    return classes


def _codes(values: np.ndarray, classes: np.ndarray) -> np.ndarray:
    return np.searchsorted(classes, values).astype(np.intp)


def _decode(codes: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Class values for codes; int16 codes when the classes are 0..K-1 (as the reference returns)."""
    k = len(classes)
    if classes.dtype.kind in "iu" and np.array_equal(classes, np.arange(k)):
        return codes.astype(np.int16 if k < np.iinfo(np.int16).max else np.int32)
    return classes[codes]


def _preview(values: np.ndarray, limit: int = 5) -> str:
    shown = ", ".join(repr(v) for v in values[:limit].tolist())
    return shown + (", ..." if len(values) > limit else "")


def _num_rows(X: Any) -> int:
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape):
        return int(shape[0])
    return len(X) if hasattr(X, "__len__") else len(np.asarray(X))


def _take(X: Any, rows: np.ndarray) -> Any:
    """Rows of X by position, keeping its type where possible (DataFrame, sparse, array, list)."""
    if hasattr(X, "iloc"):
        return X.iloc[rows]
    if hasattr(X, "tocsr") and hasattr(X, "format"):  # scipy sparse: only CSR/CSC index rows
        return (X if X.format in ("csr", "csc") else X.tocsr())[rows]
    if isinstance(X, np.ndarray):
        return X[rows]
    if isinstance(X, (list, tuple)):
        return [X[i] for i in rows]
    return np.asarray(X)[rows]


def _label_issues_frame(label_issues: Any, values: np.ndarray) -> pd.DataFrame:
    """``fit(label_issues=...)`` as a frame: a DataFrame with ``is_label_issue``, a bool mask, or row indices."""
    n = len(values)
    if isinstance(label_issues, pd.DataFrame):
        if "is_label_issue" not in label_issues.columns:
            raise ValueError("a label_issues DataFrame must have an 'is_label_issue' column "
                             "(as returned by CleanLearning.find_label_issues)")
        if len(label_issues) != n:
            raise ValueError(f"label_issues has {len(label_issues)} rows but labels have {n}")
        if "given_label" in label_issues.columns and np.any(label_issues["given_label"].to_numpy() != values):
            raise ValueError("label_issues['given_label'] does not match the labels: were they found on other data?")
        # fit adds columns to a copy (the caller's frame stays as it was); a sample_weight column
        # from an earlier fit would be stale.
        return label_issues.drop(columns="sample_weight", errors="ignore").copy()
    issues = np.asarray(label_issues)
    if issues.dtype == bool:
        if issues.shape != (n,):
            raise ValueError(f"a boolean label_issues mask must have one entry per example ({n}), "
                             f"got shape {issues.shape}")
        return pd.DataFrame({"is_label_issue": issues})
    if issues.size == 0 or issues.dtype.kind in "iu":
        rows = issues.astype(np.intp).ravel()
        if len(np.unique(rows)) != len(rows):
            raise ValueError("label_issues given as row indices must not repeat an index")
        if len(rows) and (rows.min() < 0 or rows.max() >= n):
            raise ValueError(f"label_issues holds row indices outside 0..{n - 1}")
        mask = np.zeros(n, dtype=bool)
        mask[rows] = True
        return pd.DataFrame({"is_label_issue": mask})
    raise ValueError("label_issues must be a DataFrame with an 'is_label_issue' column, "
                     f"a boolean mask or integer row indices, got dtype {issues.dtype}")


def _checked_matrix(matrix: Any, name: str, k: int) -> np.ndarray | None:
    if matrix is None:
        return None
    m = np.asarray(matrix, dtype=float)
    if m.shape != (k, k):
        raise ValueError(f"{name} must be {k} x {k} (one row and column per class), got shape {m.shape}")
    if np.trace(m) <= 1:
        # A trace of at most 1 means no class is more often right than wrong: nothing to learn from.
        raise ValueError(f"trace({name}) is {np.round(np.trace(m), 2)}, but it must exceed 1")
    return m


def _latent_from_matrices(ps, noise_matrix, inverse_noise_matrix):
    """(py, noise_matrix, inverse_noise_matrix) from a known matrix and the given-label prior ps."""
    if noise_matrix is not None:
        py = _compute_py(ps, noise_matrix, None, "eqn")  # P(true) = inv(noise_matrix) · P(given)
        inv = inverse_noise_matrix if inverse_noise_matrix is not None else _inverse_from_noise(py, noise_matrix, ps)
        return py, noise_matrix, inv
    py = (inverse_noise_matrix * ps).T.sum(axis=0)  # P(true=j) = sum_i P(true=j | given=i) P(given=i)
    return py, _noise_from_inverse(ps, inverse_noise_matrix, py), inverse_noise_matrix


def _pulearning(positive: Any, k: int, nm, inv, cj):
    """Positive-unlabelled learning: class ``positive`` is never mislabelled as the other class."""
    if k != 2 or positive not in (0, 1) or isinstance(positive, bool):
        raise ValueError(f"pulearning must be 0 or 1 (an index of classes_) with exactly 2 classes; "
                         f"got pulearning={positive!r} with {k} classes")
    other = 1 - positive
    nm, inv, cj = np.array(nm, dtype=float), np.array(inv, dtype=float), np.array(cj, copy=True)
    nm[positive, other], nm[other, other] = 0, 1
    inv[other, positive], inv[positive, positive] = 0, 1
    cj[positive, other], cj[other, other] = 0, 1
    return nm, inv, cj


def _align_columns(model: Any, probs: Any, classes: np.ndarray) -> np.ndarray:
    """predict_proba columns in ``classes`` order, zeros for classes the model never saw."""
    probs = np.asarray(probs)
    seen = getattr(model, "classes_", None)
    if seen is None or (len(seen) == len(classes) and np.array_equal(seen, classes)):
        if probs.ndim != 2 or probs.shape[1] != len(classes):
            raise ValueError(f"{type(model).__name__}.predict_proba returned shape {probs.shape}, "
                             f"expected one column per class ({len(classes)})")
        return probs
    seen = np.asarray(seen)
    where = np.searchsorted(classes, seen).clip(0, len(classes) - 1)
    if not np.array_equal(classes[where], seen):
        raise ValueError(f"{type(model).__name__} predicts classes {_preview(seen)} that are not in "
                         f"classes_ ({_preview(classes)})")
    out = np.zeros((len(probs), len(classes)), dtype=probs.dtype)
    out[:, where] = probs
    return out


def _sample_weights(sample_weight: Any, n: int) -> np.ndarray:
    weights = np.asarray(sample_weight, dtype=float)
    if weights.ndim != 1 or len(weights) != n:
        raise ValueError(f"sample_weight must be 1-D with one weight per example ({n}), got shape {weights.shape}")
    return weights


def _cross_val_pred_probs(
    clf: Any,
    X: Any,
    y_values: np.ndarray,
    codes: np.ndarray,
    classes: np.ndarray,
    *,
    n_folds: int,
    seed: int | None,
    clf_kwargs: dict,
    validation_func: Callable[[Any, np.ndarray], dict] | None,
) -> np.ndarray:
    """Out-of-fold ``predict_proba`` (spec §1.7): stratified shuffled folds, a clone of clf per fold."""
    if validation_func is not None and not callable(validation_func):
        raise TypeError("validation_func must be a callable taking (X_holdout, y_holdout) and returning fit kwargs")
    k = len(classes)
    counts = np.bincount(codes, minlength=k)
    if counts.min() == 0:
        raise ValueError(f"class {_preview(classes[counts == 0])} has no examples, so it cannot be "
                         "cross-validated; pass pred_probs instead")
    pred_probs = np.zeros((len(codes), k))
    folds = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for train, holdout in folds.split(np.zeros((len(codes), 1)), codes):
        model = _unfitted_copy(clf)
        # A class missing from the training fold would leave the fold's model unable to predict it:
        # borrow that class's first holdout example, and give that example its given label outright.
        present = np.zeros(k, dtype=bool)
        present[codes[train]] = True
        borrowed = [(c, int(np.flatnonzero(codes[holdout] == c)[0])) for c in np.flatnonzero(~present)]
        if borrowed:
            warnings.warn(f"classes {[classes[c] for c, _ in borrowed]} have too few examples for "
                          f"{n_folds}-fold cross-validation: one example each was also put in the training fold",
                          stacklevel=4)
            train = np.concatenate([train, holdout[[pos for _, pos in borrowed]]])
        X_holdout = _take(X, holdout)
        extra = validation_func(X_holdout, y_values[holdout]) if validation_func is not None else {}
        model.fit(_take(X, train), y_values[train], **clf_kwargs, **extra)
        probs = np.array(_align_columns(model, model.predict_proba(X_holdout), classes), dtype=float)
        for c, pos in borrowed:
            probs[pos] = 0.0
            probs[pos, c] = 1.0
        pred_probs[holdout] = probs
    return pred_probs


def _low_memory_label_issues(codes: np.ndarray, pred_probs: np.ndarray,
                             batch_size: int = LOW_MEMORY_BATCH_SIZE) -> np.ndarray:
    """Streaming ``low_self_confidence``: per-class thresholds and the issue count are accumulated a
    batch at a time, then the lowest self-confidences are flagged (spec §5 step 2)."""
    n, k = pred_probs.shape
    thresholds, seen = np.zeros(k), np.zeros(k)
    for start in range(0, n, batch_size):
        y_b, p_b = codes[start:start + batch_size], pred_probs[start:start + batch_size]
        counts = np.bincount(y_b, minlength=k)
        # Running mean of the per-class mean self-confidence, weighted by the batch's class counts.
        thresholds = (seen * thresholds + counts * engine.get_confident_thresholds(y_b, p_b)) / np.clip(
            seen + counts, 1, None)
        thresholds = np.clip(thresholds, CONFIDENT_THRESHOLDS_LOWER_BOUND, None)
        seen += counts
    adjusted = thresholds - FLOATING_POINT_COMPARISON
    count = 0
    for start in range(0, n, batch_size):
        y_b, p_b = codes[start:start + batch_size], pred_probs[start:start + batch_size]
        top = p_b.argmax(axis=1)
        count += int(np.sum((p_b[np.arange(len(y_b)), top] >= adjusted[top]) & (top != y_b)))
    self_confidence = pred_probs[np.arange(n), codes]
    flagged = np.argsort(self_confidence)[:count]
    # As everywhere in confident learning: never flag an example whose label is (within 1e-6) the top guess.
    flagged = flagged[label_beaten(pred_probs[flagged], codes[flagged])]
    mask = np.zeros(n, dtype=bool)
    mask[flagged] = True
    return mask

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
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.utils.validation import check_is_fitted

from cleanaudit.models.estimator import (
    align_columns,
    checked_clf,
    take_rows,
    unfitted_copy,
    with_input_tags_of,
)
from cleanaudit.models.noisy_labels import (
    find_label_issues_for,
    fit_kwargs,
    given_label_issues,
    the_labels,
    weigh_final_fit,
    with_y_second,
)

__all__ = ["CleanLearning"]

_log = logging.getLogger(__name__)


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
        return with_input_tags_of(self._base_clf(), super().__sklearn_tags__())

    def _more_tags(self) -> dict:  # scikit-learn < 1.6
        inner: dict = getattr(self._base_clf(), "_get_tags", dict)()
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
        # so that fit(X, labels, y=labels) reaches the_labels' ValueError, as in the reference,
        # instead of Python's TypeError ("multiple values for argument 'y'").
        y = the_labels(args, y, labels)
        if X is None:
            raise ValueError("fit needs X to train clf on (pred_probs alone suffice for find_label_issues)")
        clf = checked_clf(self._base_clf())
        clf_kwargs, final_kwargs, takes_weights = fit_kwargs(clf, clf_kwargs, clf_final_kwargs, sample_weight)
        X = self._as_2d(X)

        if label_issues is None:
            frame, y_values, codes = find_label_issues_for(
                self,
                X,
                y,
                pred_probs=pred_probs,
                thresholds=thresholds,
                noise_matrix=noise_matrix,
                inverse_noise_matrix=inverse_noise_matrix,
                clf_kwargs=clf_kwargs,
                validation_func=validation_func,
            )
        else:
            frame, y_values, codes = given_label_issues(
                self, X, y, label_issues, pred_probs, noise_matrix, inverse_noise_matrix
            )
        keep = ~frame["is_label_issue"].to_numpy(dtype=bool)
        kept = np.flatnonzero(keep)
        self._info(f"Pruning {len(codes) - len(kept)} examples with label issues; {len(kept)} remain.")
        weigh_final_fit(self, frame, final_kwargs, codes, kept, sample_weight, takes_weights)
        self.label_issues_df_ = frame
        self._info("Fitting the final model on the kept examples.")
        model = unfitted_copy(clf)
        model.fit(take_rows(X, kept), y_values[kept], **final_kwargs)  # the return value is unused: it may be None
        self.clf_ = model
        return self

    fit.__signature__ = with_y_second(fit)  # type: ignore[attr-defined]  # what inspect and scikit-learn see: (self, X, y=None, *, labels=None, ...)

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
        frame, _, _ = find_label_issues_for(
            self,
            X,
            labels,
            pred_probs=pred_probs,
            thresholds=thresholds,
            noise_matrix=noise_matrix,
            inverse_noise_matrix=inverse_noise_matrix,
            clf_kwargs=clf_kwargs,
            validation_func=validation_func,
        )
        if not save_space:
            self.label_issues_df_ = frame
        return frame

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
        return align_columns(self.clf_, self.clf_.predict_proba(self._as_2d(X)), self.classes_)

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
            raise NotFittedError(
                "no label issues stored: call fit() or find_label_issues() first "
                "(save_space() and find_label_issues(save_space=True) do not keep them)"
            )
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

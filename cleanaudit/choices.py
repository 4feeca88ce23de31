"""The values the CLI offers as choices, in the order --help lists them (pure Python, no imports).

The CLI builds its option Enums from these tuples; importing the engine or the models for them
would pull in NumPy and double the time ``cleanaudit --help`` takes. ``tests/test_choices.py``
asserts that each equals the core's own constant, so they cannot drift apart:

=====================  ==========================================================
``FILTER_BY``          ``cleanaudit.engine.filter.FILTER_BY`` (``--filter-by``)
``RANK_BY``            ``cleanaudit.engine.rank.METHODS`` (``--rank-by``)
``PY_METHODS``         ``cleanaudit.engine.count.PY_METHODS`` (``--py-method``)
``ENSEMBLE_WEIGHTING`` ``cleanaudit.models.ensemble.WEIGHTINGS`` (``--ensemble-weighting``)
``CLEAN_STRATEGIES``   ``cleanaudit.workflows.clean.STRATEGIES`` (``clean --strategy``)
``ON_BAD_LABELS``      ``cleanaudit.data.labels.ON_BAD_LABELS`` (``--on-missing-label``, ``--on-rare-class``)
``TASKS``              ``cleanaudit.workflows.request.TASKS`` (``--task``)
=====================  ==========================================================
"""

FILTER_BY = (
    "prune_by_noise_rate",
    "prune_by_class",
    "both",
    "confident_learning",
    "predicted_neq_given",
    "low_normalized_margin",
    "low_self_confidence",
)
RANK_BY = ("self_confidence", "normalized_margin", "confidence_weighted_entropy")
PY_METHODS = ("cnt", "eqn", "marginal", "marginal_ps")
ENSEMBLE_WEIGHTING = ("accuracy", "uniform", "log_loss_search")
CLEAN_STRATEGIES = ("drop", "relabel", "weight", "consensus")
ON_BAD_LABELS = ("skip", "error")
TASKS = ("multiclass", "multilabel")

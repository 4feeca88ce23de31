"""Options shared by every command that reads data, defined once.

Commands declare only their own options; :func:`data_command` appends the shared ones to the
signature Typer reads (declared in :mod:`cleanaudit.cli.shared_options`) and hands them to the
command as one :class:`DataOptions` object.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from cleanaudit import choices
from cleanaudit.cli.shared_options import DATA_ARGUMENT, SHARED_OPTIONS, OutputFormat
from cleanaudit.cli.shared_options import DATA_PANEL as DATA_PANEL  # these four and MAX_SEED: re-exported
from cleanaudit.cli.shared_options import GATES_PANEL as GATES_PANEL
from cleanaudit.cli.shared_options import MAX_SEED as MAX_SEED
from cleanaudit.cli.shared_options import MODEL_PANEL as MODEL_PANEL
from cleanaudit.cli.shared_options import OUTPUT_PANEL as OUTPUT_PANEL
from cleanaudit.workflows.request import DEFAULT_CV, DEFAULT_MODEL, DEFAULT_SEED


def choice_enum(name: str, values: tuple[str, ...]) -> Any:
    """An option's choices as the str Enum Typer wants, from the core's values (:mod:`cleanaudit.choices`)."""
    return Enum(name, {v: v for v in values}, type=str)


EnsembleWeighting = choice_enum("EnsembleWeighting", choices.ENSEMBLE_WEIGHTING)


@dataclass
class DataOptions:
    """The shared options, as parsed from the command line.

    ``model`` and ``pred_probs`` are lists: several of either make an ensemble (commands that
    take one say so); ``model`` is ``["auto"]`` when ``--model`` is not given.
    """

    data: list[Path | str]  # Paths, and fsspec URLs as text (s3://bucket/key.parquet)
    label: str | None = None
    task: str = "multiclass"  # or "multilabel" (--task)
    label_sep: str = ","
    annotators: str | None = None  # --annotators: comma list or glob of annotator columns
    features: str | None = None
    ignore: str | None = None
    id_column: str | None = None
    model: list[str] = field(default_factory=lambda: [DEFAULT_MODEL])
    model_param: list[str] | None = None
    # --trust-module names plus trusted_modules of an explicit --config file (the defaults are not listed).
    trust_module: list[str] = field(default_factory=list)
    cv: int = DEFAULT_CV
    seed: int = DEFAULT_SEED
    jobs: int | None = None
    scheduler: str | None = None  # a Dask scheduler address, or "local"; None: run in this process
    train_rows: int | None = None  # --scheduler on one table: training rows of a model without partial_fit
    pred_probs: list[Path] = field(default_factory=list)
    from_model: Path | None = None
    format: OutputFormat = OutputFormat.table
    out: Path | None = None
    fail_on: list[str] = field(default_factory=list)
    fail_under: float | None = None
    exit_zero: bool = False  # --exit-zero: a failed gate is reported, the exit status stays 0
    quiet: bool = False
    debug: bool = False
    config: Path | None = None
    on_missing_label: str = "skip"
    on_rare_class: str = "skip"
    cache_dir: Path | None = None
    no_cache: bool = False
    save_pred_probs: Path | None = None
    # Set from the config file only (no shared flag): per-check gate severity, audit's checks and parameters.
    severity: dict[str, str] = field(default_factory=dict)
    checks: list[str] | None = None
    check_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Derived: whether --model was given on the command line (a config's model is a default, a flag a request).
    model_given: bool = False


_CONFIG_ONLY = {"severity", "checks", "check_params"}

_DERIVED = {"model_given"}

assert set(SHARED_OPTIONS) | {"data"} | _CONFIG_ONLY | _DERIVED == {f.name for f in fields(DataOptions)}


SelfCheckOption = Annotated[
    str | None,
    typer.Option(
        "--self-check",
        metavar="auto|RATE",
        help="Estimate this run's precision and recall: correct the flagged labels, plant errors as the run "
        "estimates them ('auto') or flip RATE of the rows (e.g. 0.05), cross-validate and detect again, and "
        "score what is found (one more cross-validation).",
        show_default=False,
    ),
]


def data_command(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command the DATA argument and the shared options, passed to it as ``opts``.

    The command is written as ``def cmd(opts: DataOptions, *, own_option: ... = ...)``.
    """
    own = [p for p in inspect.signature(func, eval_str=True).parameters.values() if p.name != "opts"]
    kw = inspect.Parameter.KEYWORD_ONLY
    params = [inspect.Parameter("data", kw, annotation=DATA_ARGUMENT)]
    params += [p.replace(kind=kw) for p in own]
    params += [
        inspect.Parameter(name, kw, annotation=ann, default=default) for name, (ann, default) in SHARED_OPTIONS.items()
    ]

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        shared = {name: kwargs.pop(name) for name in ["data", *SHARED_OPTIONS]}
        shared["pred_probs"] = list(shared["pred_probs"] or [])
        shared["data"] = [p if "://" in p else Path(p) for p in shared["data"] or []]
        return func(apply_config(shared), **kwargs)

    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    del wrapper.__wrapped__  # Typer must read our signature, not the wrapped one
    return wrapper


def apply_config(flags: dict[str, Any]) -> DataOptions:
    """Merge flags over the config file over defaults (flags left unset are ``None``)."""
    from cleanaudit.config import load_config

    config = load_config(flags["config"])
    merged = dict(flags)
    for name in ("label", "id_column", "cv", "seed", "fail_under", "scheduler"):
        if merged[name] is None:
            merged[name] = getattr(config, name)
    for name in ("features", "ignore"):  # the config holds lists; the flags are comma-separated text
        if merged[name] is None and getattr(config, name) is not None:
            merged[name] = ",".join(getattr(config, name))
    merged["model_given"] = bool(merged["model"])
    merged["model"] = list(merged["model"] or config.model or [DEFAULT_MODEL])
    # load_config refuses trusted_modules from a file it found itself, so these come from --config FILE.
    merged["trust_module"] = [*(merged["trust_module"] or []), *(config.trusted_modules or [])]
    merged["fail_on"] = list(merged["fail_on"] or config.fail_on or [])
    merged["cv"] = DEFAULT_CV if merged["cv"] is None else merged["cv"]
    merged["seed"] = DEFAULT_SEED if merged["seed"] is None else merged["seed"]
    if merged["jobs"] is not None and merged["jobs"] < 1 and merged["jobs"] != -1:
        from cleanaudit.errors import ConfigError

        raise ConfigError(
            f"--jobs {merged['jobs']} is not a number of parallel jobs", hint="give 1 or more, or -1 for all cores"
        )
    return DataOptions(
        **merged, severity=dict(config.severity), checks=config.checks, check_params=dict(config.check_params)
    )


def data_request(opts: DataOptions, request_class: Any, **own: Any) -> Any:
    """The workflow request (``request_class``, a :class:`~cleanaudit.workflows.request.DataRequest`) the
    shared options and the command's ``own`` options ask for."""
    return request_class(
        data=list(opts.data),
        label=opts.label,
        task=str(getattr(opts.task, "value", opts.task)),
        label_sep=opts.label_sep,
        annotators=opts.annotators,
        features=split_columns(opts.features),
        ignore=split_columns(opts.ignore),
        id_column=opts.id_column,
        model=list(opts.model) if opts.model_given else None,
        default_model=list(opts.model),
        model_params=list(opts.model_param or []),
        trusted_modules=list(opts.trust_module),
        cv=opts.cv,
        seed=opts.seed,
        jobs=opts.jobs,
        scheduler=opts.scheduler,
        pred_probs=list(opts.pred_probs),
        from_model=opts.from_model,
        fail_on=list(opts.fail_on),
        fail_under=opts.fail_under,
        severity=dict(opts.severity),
        on_missing_label=str(getattr(opts.on_missing_label, "value", opts.on_missing_label)),
        on_rare_class=str(getattr(opts.on_rare_class, "value", opts.on_rare_class)),
        use_cache=not opts.no_cache,
        cache_dir=opts.cache_dir,
        save_pred_probs=opts.save_pred_probs,
        **own,
    )


def examples(*commands: str) -> str:
    """A command's ``--help`` epilog: its example command lines.

    >>> examples("cleanaudit health d.csv -l y")
    'Examples:\\n\\n  cleanaudit health d.csv -l y'
    """
    return "Examples:\n\n" + "\n\n".join(f"  {c}" for c in commands)


def split_columns(value: str | None) -> list[str] | None:
    """Parse a comma-separated column list; ``None`` stays ``None``.

    >>> split_columns("x1, x2")
    ['x1', 'x2']
    """
    if value is None:
        return None
    return [name.strip() for name in value.split(",") if name.strip()]

"""Project configuration: ``[tool.cleanaudit]`` in pyproject.toml or a cleanaudit.toml.

Precedence is defaults < this file < command-line flags; the CLI does the merging (``scheduler``
also comes from the environment, ``CLEANAUDIT_SCHEDULER``, which wins over the file). The file is
found from the working directory upward (the first ``cleanaudit.toml``, or ``pyproject.toml``
holding a ``[tool.cleanaudit]`` table), or named with ``--config FILE``. Every unknown key and
bad value is reported, field by field, in one :class:`ConfigError`.

``trusted_modules`` widens the packages a ``model = "package.module:Class"`` may come from
(like ``--trust-module``), so only a file the user names with ``--config`` may set it: a file
found from the working folder up could have been put there by anyone (a cloned repository, a
downloaded folder), and one that tries is refused (naming only the default packages is allowed).

Example ``cleanaudit.toml``::

    label = "y"
    features = ["x1", "x2"]
    model = "logreg"
    cv = 5
    checks = ["label", "outlier", "near_duplicate"]
    scheduler = "tcp://scheduler:8786"   # batches on a Dask cluster (or "local")

    [check_params.outlier]
    k = 20

    [gates]
    fail_on = ["label>0.05", "near_duplicate>0"]
    fail_under = 0.8

    [severity]
    near_duplicate = "warn"

>>> parse_config({"label": "y", "cv": 3, "gates": {"fail_on": ["label>0.1"]}}, "cleanaudit.toml").cv
3
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleanaudit.errors import ConfigError

FILE_NAME = "cleanaudit.toml"
SEVERITIES = ("error", "warn", "off")


@dataclass
class Config:
    """The settings a config file gives; ``None`` (or empty) means "not set here"."""

    path: Path | None = None
    label: str | None = None
    features: list[str] | None = None
    ignore: list[str] | None = None
    id_column: str | None = None
    model: list[str] | None = None
    trusted_modules: list[str] | None = None
    cv: int | None = None
    seed: int | None = None
    checks: list[str] | None = None
    check_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_on: list[str] | None = None
    fail_under: float | None = None
    severity: dict[str, str] = field(default_factory=dict)
    scheduler: str | None = None  # a Dask scheduler address or "local" (CLEANAUDIT_SCHEDULER and --scheduler win)


def find_config(start: Path) -> Path | None:
    """The nearest ``cleanaudit.toml``, or ``pyproject.toml`` with ``[tool.cleanaudit]``, from ``start`` up."""
    for folder in [start, *start.parents]:
        candidate = folder / FILE_NAME
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "tool" in _read(pyproject) and "cleanaudit" in _read(pyproject)["tool"]:
            return pyproject
    return None


def load_config(path: Path | None = None, *, cwd: Path | None = None) -> Config:
    """Read the config named by ``--config`` or found upward from ``cwd``; an empty Config if none."""
    if path is not None and not path.is_file():
        raise ConfigError(f"--config {path} not found", hint="give the path of a cleanaudit.toml or pyproject.toml")
    found = path if path is not None else find_config((cwd or Path.cwd()).resolve())
    if found is None:
        return Config()
    table = _read(found)
    if found.name == "pyproject.toml":
        table = table.get("tool", {}).get("cleanaudit", {})
        where = f"{found} [tool.cleanaudit]"
    else:
        where = str(found)
    config = parse_config(table, where)
    config.path = found
    if path is None and config.trusted_modules:
        _refuse_found_trust(config.trusted_modules, where)
    return config


def _refuse_found_trust(names: list[str], where: str) -> None:
    from cleanaudit.models.specs import DEFAULT_TRUSTED_MODULES

    wider = [name for name in names if name not in DEFAULT_TRUSTED_MODULES]
    if wider:
        raise ConfigError(
            f"{where} sets trusted_modules = {wider!r}, but it was found from the working folder, and only a "
            "config file passed with --config may trust more modules",
            hint=f"move trusted_modules to a file you pass with --config FILE, or pass --trust-module {wider[0]}",
        )


def parse_config(table: dict[str, Any], where: str) -> Config:
    """Validate a config table into a :class:`Config`; all problems are reported at once."""
    from cleanaudit.checks import all_checks

    checks = set(all_checks())
    problems: list[str] = []
    config = Config()
    for key, value in table.items():
        if key in ("label", "id_column"):
            _set(config, key, value, str, "a string", problems)
        elif key == "scheduler":
            if _set(config, key, value, str, 'an address ("local", tcp://host:8786 or a scheduler file)', problems):
                if not value.strip():
                    problems.append('scheduler: empty; give "local", tcp://host:8786 or a scheduler JSON file')
        elif key in ("features", "ignore", "model"):
            if isinstance(value, str):  # "x1,x2" as on the command line; model = "logreg"
                value = [value] if key == "model" else [c.strip() for c in value.split(",") if c.strip()]
            _set(config, key, value, list, "a list of strings", problems, items=str)
        elif key == "trusted_modules":
            value = [value] if isinstance(value, str) else value
            if _set(config, key, value, list, "a list of package names", problems, items=str):
                problems += [
                    f"trusted_modules: {name!r} is not the import name of a top-level package"
                    for name in value
                    if not name.isidentifier()
                ]
        elif key == "cv":
            if _set(config, key, value, int, "an integer", problems) and value < 2:
                problems.append("cv: must be at least 2")
        elif key == "seed":
            if _set(config, key, value, int, "an integer", problems) and not 0 <= value <= 2**32 - 1:
                problems.append(f"seed: must be between 0 and 2**32-1 (what NumPy's RandomState takes), got {value}")
        elif key == "checks":
            if _set(config, key, value, list, "a list of check names", problems, items=str):
                problems += [f"checks: unknown check {c!r}" for c in value if c not in checks]
        elif key in ("check_params", "params"):
            _check_params(config, value, checks, problems)
        elif key == "gates":
            _gates(config, value, problems)
        elif key == "severity":
            _severity(config, value, checks, problems)
        else:
            problems.append(f"{key}: unknown key")
    if problems:
        raise ConfigError(
            f"bad config in {where}: " + "; ".join(problems),
            hint="keys: label, features, ignore, id_column, model, trusted_modules, cv, seed, checks, "
            "check_params, gates (fail_on, fail_under), severity, scheduler",
        )
    return config


def _set(
    config: Config, key: str, value: Any, kind: type, what: str, problems: list[str], items: type | None = None
) -> bool:
    # bool is an int in Python; a config saying cv = true is a mistake, not 1.
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if ok and items is not None:
        ok = all(isinstance(v, items) for v in value)
    if not ok:
        problems.append(f"{key}: expected {what}, got {value!r}")
        return False
    setattr(config, key, value)
    return True


def _check_params(config: Config, value: Any, checks: set[str], problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append(f"check_params: expected a table of tables, got {value!r}")
        return
    for check, params in value.items():
        if check not in checks:
            problems.append(f"check_params.{check}: unknown check")
        elif not isinstance(params, dict):
            problems.append(f"check_params.{check}: expected a table of parameters, got {params!r}")
        else:
            config.check_params[check] = dict(params)


def _gates(config: Config, value: Any, problems: list[str]) -> None:
    from cleanaudit.checks import all_checks
    from cleanaudit.workflows.gates import parse_gate

    if not isinstance(value, dict):
        problems.append(f"gates: expected a table, got {value!r}")
        return
    for key, item in value.items():
        if key == "fail_on":
            item = [item] if isinstance(item, str) else item
            if not isinstance(item, list) or not all(isinstance(e, str) for e in item):
                problems.append(f"gates.fail_on: expected a list of expressions, got {item!r}")
                continue
            for expr in item:
                try:
                    parse_gate(expr, known=all_checks())
                except ConfigError as exc:
                    problems.append(f"gates.fail_on: {exc.message}")
            config.fail_on = list(item)
        elif key == "fail_under":
            if isinstance(item, bool) or not isinstance(item, (int, float)) or not 0 <= item <= 1:
                problems.append(f"gates.fail_under: expected a number in [0, 1], got {item!r}")
            else:
                config.fail_under = float(item)
        else:
            problems.append(f"gates.{key}: unknown key (fail_on, fail_under)")


def _severity(config: Config, value: Any, checks: set[str], problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append(f'severity: expected a table of check = "error"|"warn"|"off", got {value!r}')
        return
    for check, level in value.items():
        if check not in checks:
            problems.append(f"severity.{check}: unknown check")
        elif level not in SEVERITIES:
            problems.append(f"severity.{check}: {level!r} is not one of {', '.join(SEVERITIES)}")
        else:
            config.severity[check] = level


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}", hint="fix the file or pass --config") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}", hint="check the path and its permissions") from None

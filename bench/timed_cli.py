"""Run the cleanaudit CLI, then write the CPU seconds it used after start-up to ``$CLEANAUDIT_BENCH_CPU_FILE``.

``python bench/timed_cli.py find-issues data.csv -l y`` is ``cleanaudit find-issues data.csv -l y``,
except that the modules a run imports (pandas, scikit-learn's estimators, pyarrow, the CLI itself)
are imported first and the clock starts after them: the detection benchmark compares the pipeline's
CPU seconds with the reference pipeline's, whose imports are not timed either. One process, one BLAS
thread (the benchmark sets the thread variables), so ``time.process_time`` sees all the work.
"""

from __future__ import annotations

import atexit
import os
import sys
import time
from pathlib import Path

import numpy  # noqa: F401
import pandas  # noqa: F401
import pyarrow  # noqa: F401
import pyarrow.parquet  # noqa: F401
import pydantic  # noqa: F401  (typer converts options with it)
import sklearn.compose  # noqa: F401
import sklearn.decomposition  # noqa: F401
import sklearn.ensemble  # noqa: F401
import sklearn.feature_extraction.text  # noqa: F401
import sklearn.impute  # noqa: F401
import sklearn.linear_model  # noqa: F401
import sklearn.metrics  # noqa: F401
import sklearn.model_selection  # noqa: F401
import sklearn.neighbors  # noqa: F401
import sklearn.pipeline  # noqa: F401
import sklearn.preprocessing  # noqa: F401

import cleanaudit
from cleanaudit.__main__ import main


def _import_cleanaudit() -> None:
    """Every cleanaudit module, as the reference's modules are imported before its clock starts."""
    import importlib
    import pkgutil

    for module in pkgutil.walk_packages(cleanaudit.__path__, "cleanaudit."):
        importlib.import_module(module.name)


_import_cleanaudit()

START = time.process_time()


def _write_cpu_seconds() -> None:
    target = os.environ.get("CLEANAUDIT_BENCH_CPU_FILE")
    if target:
        Path(target).write_text(f"{time.process_time() - START:.6f}\n")


if __name__ == "__main__":
    atexit.register(_write_cpu_seconds)
    sys.argv = ["cleanaudit", *sys.argv[1:]]
    main()

"""Where the multi-label engine plugs into the single-label entry points.

``multi_label=True`` in ``count`` and ``filter`` is served by :mod:`cleanaudit.engine.multilabel`,
which builds on those modules; importing it from them would tie the modules in a cycle. So the
multi-label package registers its functions here when it is imported, and the engine package
imports it (``engine/__init__.py``) before anyone can call an entry point.
"""

from __future__ import annotations

from collections.abc import Callable

_MULTI_LABEL: dict[str, Callable] = {}


def register_multi_label(**functions: Callable) -> None:
    """Record the functions that serve ``multi_label=True``, by entry-point name."""
    _MULTI_LABEL.update(functions)


def multi_label(name: str) -> Callable:
    """The function serving ``name(..., multi_label=True)``."""
    if name not in _MULTI_LABEL:  # only if cleanaudit.engine.multilabel failed to import
        raise NotImplementedError(f"{name}(multi_label=True) needs cleanaudit.engine.multilabel.")
    return _MULTI_LABEL[name]

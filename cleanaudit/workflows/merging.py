"""Merge classes before cleaning (``clean --merge "seafoam green=yellow"``): the left class becomes the right one.

A merge maps class codes, and sums the merged classes' columns of pred_probs, so everything
downstream (detection, cleaning, evaluation) sees the merged classes only.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.errors import ConfigError

if TYPE_CHECKING:
    from cleanaudit.data.dataset import Dataset

_SYNTAX_HINT = 'write FROM=TO with two class names, e.g. --merge "seafoam green=yellow" (FROM becomes TO)'


@dataclass(frozen=True)
class ClassMerge:
    """Which original classes become which; ``code_map[old_code]`` is the merged code.

    >>> m = parse_merges(["b=c"], ["a", "b", "c"])
    >>> m.class_names, m.code_map.tolist(), m.describe()
    (['a', 'c'], [0, 1, 1], ['b → c'])
    """

    original_names: list[Any]
    class_names: list[Any]
    code_map: np.ndarray
    pairs: tuple[tuple[Any, Any], ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.pairs)

    def labels(self, codes: np.ndarray) -> np.ndarray:
        """Original class codes to merged codes."""
        return self.code_map[np.asarray(codes, dtype=np.intp)]

    def pred_probs(self, pred_probs: np.ndarray) -> np.ndarray:
        """Sum the columns of merged classes (N x K -> N x K'); the dtype is kept.

        >>> parse_merges(["b=c"], ["a", "b", "c"]).pred_probs(np.array([[0.2, 0.3, 0.5]])).tolist()
        [[0.2, 0.8]]
        """
        if not self.active:
            return pred_probs
        out = np.zeros((pred_probs.shape[0], len(self.class_names)), dtype=pred_probs.dtype)
        for old, new in enumerate(self.code_map):
            out[:, new] += pred_probs[:, old]
        return out

    def apply(self, dataset: Dataset) -> Dataset:
        """The dataset with merged labels and class names (its table is left as read)."""
        if not self.active:
            return dataset
        return replace(dataset, labels=self.labels(dataset.labels), class_names=list(self.class_names))

    def describe(self) -> list[str]:
        return [f"{a} → {b}" for a, b in self.pairs]

    def restricted(self, class_names: Sequence[Any]) -> ClassMerge:
        """The same merges over fewer original classes (the others' rows were left out).

        >>> parse_merges(["b=c"], ["a", "b", "c", "d"]).restricted(["a", "b", "c"]).class_names
        ['a', 'c']
        """
        names = list(class_names)
        pairs = tuple((a, b) for a, b in self.pairs if a in names and b in names)
        final = [self.class_names[self.code_map[self.original_names.index(n)]] for n in names]
        remaining = [n for n in self.class_names if n in final]
        code_map = np.array([remaining.index(f) for f in final], dtype=np.intp)
        return ClassMerge(names, remaining, code_map, pairs)


def parse_merges(items: Sequence[str], class_names: Sequence[Any]) -> ClassMerge:
    """Parse ``--merge FROM=TO`` items against the class names (compared as text); chains resolve.

    >>> parse_merges(["a=b", "b=c"], ["a", "b", "c", "d"]).class_names
    ['c', 'd']
    >>> parse_merges(["x=b"], ["a", "b"])
    Traceback (most recent call last):
    ...
    cleanaudit.errors.ConfigError: --merge 'x=b': unknown class 'x'; the classes are: a, b
    """
    names = list(class_names)
    target: dict[int, int] = {}
    pairs = []
    for item in items:
        source, dest = _split(item, names)
        if source == dest:
            raise ConfigError(f"--merge {item!r} merges a class into itself", hint=_SYNTAX_HINT)
        if source in target and target[source] != dest:
            raise ConfigError(
                f"--merge: class {names[source]!r} is merged into two classes",
                hint="merge each class into one other class",
            )
        target[source] = dest
        pairs.append((names[source], names[dest]))
    code_of_final = [_follow(code, target, names) for code in range(len(names))]
    remaining = sorted(set(code_of_final))
    if len(remaining) < 2:
        raise ConfigError("--merge leaves a single class", hint="an audit needs at least two classes; merge fewer")
    new_code = {old: new for new, old in enumerate(remaining)}
    code_map = np.array([new_code[c] for c in code_of_final], dtype=np.intp)
    return ClassMerge(names, [names[c] for c in remaining], code_map, tuple(pairs))


def _split(item: str, names: list[Any]) -> tuple[int, int]:
    """The (from, to) class codes of one ``FROM=TO`` item; class names may themselves contain '='."""
    if "=" not in item:
        raise ConfigError(f"--merge {item!r} is not of the form FROM=TO", hint=_SYNTAX_HINT)
    texts = [str(n) for n in names]
    positions = [i for i, ch in enumerate(item) if ch == "="]
    for i in positions:
        left, right = item[:i].strip(), item[i + 1 :].strip()
        if left in texts and right in texts:
            return texts.index(left), texts.index(right)
    left, right = (part.strip() for part in item.split("=", 1))
    if not left or not right:
        raise ConfigError(f"--merge {item!r} is not of the form FROM=TO", hint=_SYNTAX_HINT)
    unknown = left if left not in texts else right
    close = difflib.get_close_matches(unknown, texts, n=1)
    suggestion = f"did you mean {close[0]!r}? " if close else ""
    raise ConfigError(
        f"--merge {item!r}: unknown class {unknown!r}", hint=f"{suggestion}the classes are: {', '.join(texts)}"
    )


def _follow(code: int, target: dict[int, int], names: list[Any]) -> int:
    seen = {code}
    while code in target:
        code = target[code]
        if code in seen:
            raise ConfigError(
                f"--merge options form a cycle through class {names[code]!r}",
                hint="merge each class into one that is not merged away",
            )
        seen.add(code)
    return code

"""Rows whose label cannot be analysed: missing labels, and classes too small for the folds."""

from __future__ import annotations

ON_BAD_LABELS = ("skip", "error")  # what --on-missing-label and --on-rare-class may say

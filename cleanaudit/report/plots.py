"""The audit report's figures, as PNG bytes (matplotlib, an optional extra).

Each ``*_plot`` function returns a :class:`Plot` or ``None`` when its inputs are absent (no
label check, no features, …). Figures are drawn with matplotlib's object-oriented API on the
Agg canvas, without ``pyplot``: no global backend is switched, no window can open, and no
figure outlives the call. matplotlib is imported only inside these functions, so importing
this module is cheap and works without it; :func:`matplotlib_missing` tells the caller.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

# P(given, true) for the heatmap comes from the workflow layer (which may call the engine), not from here.

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from cleanaudit.data.dataset import Dataset
    from cleanaudit.workflows.audit import ChecksResult
    from cleanaudit.workflows.projection import Projection

MAX_LEGEND_CLASSES = 20  # beyond this, a legend hides the data instead of explaining it
MAX_ANNOTATED_CLASSES = 15  # heatmap cells get numbers up to this many classes
MAX_HEATMAP_CLASSES = 60  # beyond this, a K x K heatmap is unreadable
MAX_BARS = 30  # per-class bar chart shows the worst classes only
ISSUE_COLOR = "#d62728"
OK_COLOR = "#4c72b0"


@dataclass
class Plot:
    """One figure of the report: a title, a caption that says how to read it, and PNG bytes."""

    title: str
    caption: str
    png: bytes


def matplotlib_missing() -> bool:
    """True when matplotlib cannot be imported (the page is then written without plots)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return True
    return False


def audit_plots(
    result: ChecksResult, dataset: Dataset, projection: Projection | None, joint: np.ndarray | None
) -> list[Plot]:
    """Every figure whose inputs are present, in reading order (requires matplotlib).

    ``projection`` (the data in 2-D) and ``joint`` (P(given, true)) are computed by the workflow
    layer (:mod:`cleanaudit.workflows.projection`, :func:`~cleanaudit.workflows.audit_payload.estimated_joint`);
    ``None`` leaves that figure out. Nothing is computed here.
    """
    candidates = [
        data_map_plot(result, dataset, projection),
        joint_plot(result, joint, dataset.class_names),
        class_quality_plot(result),
        label_quality_histogram(result),
    ]
    return [plot for plot in candidates if plot is not None]


# --- the figures -------------------------------------------------------------------------------


def data_map_plot(result: ChecksResult, dataset: Dataset, projection: Projection | None) -> Plot | None:
    """The data in 2-D (as ``projection`` gives it), coloured by given label, label issues circled."""
    if projection is None or dataset.num_examples == 0:
        return None
    xy, how, rows = projection.xy, projection.how, projection.rows
    x_label, y_label = (_short_name(label, 40) for label in projection.axis_labels)
    labels = np.asarray(dataset.labels)[rows]
    label_check = result.results.get("label")
    issues = np.asarray(label_check.is_issue, dtype=bool)[rows] if label_check is not None else None

    fig = _figure(7.5, 5.6)
    ax = fig.add_subplot()
    colors = _class_colors(len(dataset.class_names))
    size = 18 if len(rows) <= 1_000 else 6
    if len(dataset.class_names) <= MAX_LEGEND_CLASSES:
        for k, name in enumerate(dataset.class_names):
            mine = labels == k
            if mine.any():
                ax.scatter(
                    xy[mine, 0], xy[mine, 1], s=size, color=colors[k], alpha=0.8, linewidths=0, label=_short_name(name)
                )
    else:
        # No legend here, so one call draws every point (in row order): a call per class would
        # take minutes with thousands of classes.
        ax.scatter(xy[:, 0], xy[:, 1], s=size, c=np.asarray(colors)[labels], alpha=0.8, linewidths=0)
    if issues is not None and issues.any():
        ax.scatter(
            xy[issues, 0],
            xy[issues, 1],
            s=size * 5 + 30,
            facecolors="none",
            edgecolors="black",
            linewidths=1.1,
            label="label issue",
        )
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    if len(dataset.class_names) <= MAX_LEGEND_CLASSES:
        # Outside the axes, so it never covers points.
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8, title="given label")
    ax.grid(alpha=0.25)

    shown = (
        f"{len(rows):,} of {dataset.num_examples:,} rows (a fixed random sample)"
        if len(rows) < dataset.num_examples
        else f"all {dataset.num_examples:,} rows"
    )
    circled = " Circled: rows flagged as label issues." if issues is not None else ""
    if len(dataset.class_names) > MAX_LEGEND_CLASSES:
        circled += f" No legend: {len(dataset.class_names):,} classes are too many to tell apart by colour."
    return Plot(
        "The data in two dimensions",
        f"Each point is a row, coloured by its given label, plotted on {how}; {shown}.{circled}",
        _png(fig),
    )


def joint_plot(result: ChecksResult, joint: np.ndarray | None, class_names: Sequence[Any]) -> Plot | None:
    """The estimated joint distribution of given and true labels, as an annotated heatmap.

    Beyond ``MAX_HEATMAP_CLASSES`` classes a K x K heatmap is unreadable: the label check's
    ``most_confused_classes`` (the joint of the classes with the most off-diagonal mass) is
    drawn instead, and the caption says how many classes are left out.
    """
    k = len(class_names)
    if k < 2:
        return None
    caption = (
        "Share of all rows with each given label (row) whose true label is estimated to be each "
        "column. Mass off the diagonal is label noise; a large off-diagonal pair marks classes "
        "that overlap."
    )
    if k <= MAX_HEATMAP_CLASSES:
        if joint is None or joint.shape != (k, k):
            return None
        return Plot("Estimated joint of given and true labels", caption, _heatmap(joint, list(class_names)))
    label_check = result.results.get("label")
    block = label_check.info.get("most_confused_classes") if label_check is not None else None
    if not block or len(block.get("classes") or []) < 2:
        return None
    names = list(block["classes"])
    share = block.get("off_diagonal_share")
    covered = f", which hold {float(share):.0%} of the estimated label noise" if share is not None else ""
    return Plot(
        "Estimated joint of the most confused classes",
        f"{caption} Only the {len(names)} of {k:,} classes with the most mass off the diagonal are "
        f"shown{covered}; the other classes are left out.",
        _heatmap(np.asarray(block["joint"], dtype=float), names),
    )


def _heatmap(joint: np.ndarray, class_names: Sequence[Any]) -> bytes:
    """PNG of a square joint, class names on both axes, cells annotated when few."""
    return _png(heatmap_figure(joint, class_names))


def heatmap_figure(joint: np.ndarray, class_names: Sequence[Any]) -> Figure:
    """The heatmap's figure: it grows with the number of classes and its tick labels never overlap.

    Each class gets at least one line of tick text (``tick_fontsize`` fits the text to the cell),
    the x labels stand upright past three classes, and the figure is capped so the page stays
    readable (:data:`MAX_HEATMAP_CLASSES` bounds what is drawn).
    """
    k = len(class_names)
    # Inches for the cells: with the names and the colour bar at most ~10 inches, which the page
    # (1,000 px at 100 dpi) shows unscaled, so small text stays legible.
    side = min(max(2.5 + 0.3 * k, 4.0), 7.0)
    fontsize = tick_fontsize(side, k)
    names = [_short_name(c) for c in class_names]
    label_room = 0.55 * fontsize * max((len(n) for n in names), default=1) / 72 + 0.5  # inches for the names
    fig = _figure(side + label_room + 1.6, side + label_room + 0.6)  # and the colour bar
    ax = fig.add_subplot()
    # aspect="auto": square cells come from the figure size; a fixed aspect would let the
    # constrained layout squeeze the y-axis title into the class names.
    image = ax.imshow(joint, cmap="Blues", aspect="auto", vmin=0.0, vmax=max(float(joint.max()), 1e-12))
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="P(given, true)")
    # Upright names past three classes: slanted ones overlap their neighbours once names are long.
    ax.set_xticks(range(k), names, rotation=90 if k > 3 else 0, fontsize=fontsize)
    ax.set_yticks(range(k), names, fontsize=fontsize)
    ax.set_xlabel("true label (estimated)")
    ax.set_ylabel("given label")
    if k <= MAX_ANNOTATED_CLASSES:
        threshold = 0.6 * float(joint.max())
        for i in range(k):
            for j in range(k):
                value = float(joint[i, j])
                ax.text(
                    j,
                    i,
                    f"{value:.1%}" if value else "0",
                    ha="center",
                    va="center",
                    fontsize=min(8.0, fontsize),
                    color="white" if value > threshold else "black",
                )
    return fig


def tick_fontsize(side_inches: float, k: int) -> float:
    """Points of tick text so ``k`` labels fit along ``side_inches`` without touching (5 to 9 pt).

    >>> tick_fontsize(4.0, 4), round(tick_fontsize(7.0, 60), 1)
    (9.0, 5.9)
    """
    cell_points = 72.0 * side_inches / max(k, 1)
    return float(min(9.0, max(5.0, 0.7 * cell_points)))


def class_quality_plot(result: ChecksResult) -> Plot | None:
    """Per-class label quality (from the label check's ``classes_by_label_quality``), worst first."""
    label_check = result.results.get("label")
    classes = list(label_check.info.get("classes_by_label_quality") or []) if label_check is not None else []
    pairs = [(c.get("class"), c.get("label_quality_score")) for c in classes if isinstance(c, dict)]
    pairs = [(name, float(score)) for name, score in pairs if score is not None]
    if not pairs:
        return None
    pairs = sorted(pairs, key=lambda p: p[1])[:MAX_BARS]  # worst first, at the top of the chart
    names = [_short_name(name) for name, _ in pairs]
    scores = np.array([score for _, score in pairs])
    fig = _figure(7.5, 1.2 + 0.32 * len(pairs))
    ax = fig.add_subplot()
    positions = np.arange(len(pairs))
    bars = ax.barh(positions, scores, color=OK_COLOR)
    ax.bar_label(bars, labels=[f"{s:.3f}" for s in scores], padding=3, fontsize=8)
    ax.set_yticks(positions, names, fontsize=8)
    ax.invert_yaxis()
    ax.margins(y=0.02)
    ax.set_xlim(0.0, 1.12)  # room for the value labels
    ax.set_xlabel("label quality score (1 = no estimated label noise)")
    ax.grid(axis="x", alpha=0.25)
    worst = f"the {len(pairs)} worst of {len(classes)} classes" if len(pairs) < len(classes) else "every class"
    return Plot(
        "Label quality per class",
        f"1 minus the estimated share of the class's given labels that are wrong; {worst}, worst first.",
        _png(fig),
    )


def label_quality_histogram(result: ChecksResult) -> Plot | None:
    """Distribution of per-row label-quality scores, rows flagged as label issues apart."""
    label_check = result.results.get("label")
    if label_check is None:
        return None
    scores = np.asarray(label_check.columns.get("label_quality", label_check.score), dtype=float)
    issues = np.asarray(label_check.is_issue, dtype=bool)
    finite = np.isfinite(scores)
    if not finite.any():
        return None
    fig = _figure(7.5, 3.6)
    ax = fig.add_subplot()
    bins = np.linspace(0.0, 1.0, 41)
    groups = [scores[finite & ~issues], scores[finite & issues]]
    ax.hist(
        groups,
        bins=bins,
        stacked=True,
        color=[OK_COLOR, ISSUE_COLOR],
        label=[f"not flagged ({len(groups[0]):,})", f"label issue ({len(groups[1]):,})"],
    )
    ax.set_xlabel("label quality score (low = likely mislabelled)")
    ax.set_ylabel("rows")
    ax.legend(frameon=False, fontsize=8)
    ax.grid(axis="y", alpha=0.25)
    return Plot(
        "Label quality scores",
        "How confident the model is in each row's given label; flagged rows pile up on the left.",
        _png(fig),
    )


# --- drawing helpers ---------------------------------------------------------------------------


def _figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)  # the Agg canvas, explicitly: no GUI backend is ever chosen
    return fig


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    # No "Software" metadata (it holds the matplotlib version): same inputs, same bytes.
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()


def _class_colors(k: int) -> list[Any]:
    from matplotlib import colormaps

    if k <= 10:
        return [colormaps["tab10"](i) for i in range(k)]
    if k <= 20:
        return [colormaps["tab20"](i) for i in range(k)]
    cmap = colormaps["turbo"]
    return [cmap(i / max(k - 1, 1)) for i in range(k)]


def _short_name(name: Any, limit: int = 24) -> str:
    """A class or column name fit for a tick label: shortened, ``$`` escaped (else it starts mathtext)."""
    text = str(name)
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("$", r"\$")

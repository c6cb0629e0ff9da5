"""Charts of the report as PNG bytes, drawn with matplotlib's Agg canvas.

`Figure` with `FigureCanvasAgg` is used directly rather than pyplot: no global state, no GUI
backend to pick up from the environment, safe inside the daemon's threads.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

#: Longest label drawn; longer ones are cut with an ellipsis so the bars keep their room.
LABEL_LENGTH = 34
_BAR_COLOR = "#1f4e79"


def _label(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LABEL_LENGTH else text[: LABEL_LENGTH - 1] + "…"


def bar_chart(title: str, counts: Sequence[tuple[str, int]], *, horizontal: bool = True,
              width_in: float = 7.0) -> bytes:
    """A bar chart of `counts` (label, count) as PNG bytes, bars labelled with their count.

    Labels are drawn as plain text: `$` in a village name must not switch on math rendering.
    """
    labels = [_label(label) for label, _ in counts]
    values = [n for _, n in counts]
    height = max(2.2, 0.34 * len(counts) + 1.1) if horizontal else 3.2
    with matplotlib.rc_context({"text.parse_math": False, "font.family": "DejaVu Sans",
                                "font.size": 9, "svg.hashsalt": "aduan-sync"}):
        fig = Figure(figsize=(width_in, height), dpi=110)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        if horizontal:
            positions = list(range(len(values)))[::-1]  # first label on top
            bars = ax.barh(positions, values, color=_BAR_COLOR)
            ax.set_yticks(positions, labels)
            ax.set_xlim(0, max([1, *values]) * 1.15)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts are whole
        else:
            positions = list(range(len(values)))
            bars = ax.bar(positions, values, color=_BAR_COLOR)
            ax.set_xticks(positions, labels, rotation=45, ha="right")
            ax.set_ylim(0, max([1, *values]) * 1.15)
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.bar_label(bars, padding=2)
        ax.set_title(title, fontweight="bold")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()

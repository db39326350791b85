"""Figures as PNG images for notebooks, drawn once, whatever the notebook's matplotlib backend."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt


def figure_png(fig, dpi: int = 130):
    """A matplotlib figure as an IPython PNG image; the figure is closed."""
    from IPython.display import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return Image(data=buf.getvalue(), format="png")


def ggplot_png(plot, dpi: int = 110):
    """A plotnine chart (or a matplotlib figure) as a PNG image: one drawing pass (the notebook
    display path draws it twice)."""
    return figure_png(plot if hasattr(plot, "savefig") else plot.draw(), dpi=dpi)

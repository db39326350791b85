"""Figures as PNG images for notebooks, drawn once, whatever the notebook's matplotlib backend."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import matplotlib.pyplot as plt
from IPython.display import Image


def figure_png(fig, dpi: int = 130):
    """A matplotlib figure as an IPython PNG image; the figure is closed."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return Image(data=buf.getvalue(), format="png")


def ggplot_png(plot, dpi: int = 110):
    """A plotnine chart (or a matplotlib figure) as a PNG image: one drawing pass (the notebook
    display path draws it twice)."""
    return figure_png(plot if hasattr(plot, "savefig") else plot.draw(), dpi=dpi)


def figure_markdown(png: bytes, legende: str, alt: str, ident: str) -> str:
    """A PNG as a Quarto figure in markdown (data URI), with its own alt text.

    Used when a cell draws a variable number of figures: cell options (`#| fig-alt`) are
    static, a markdown figure carries the alt text of each one.
    """
    data = base64.b64encode(png).decode("ascii")
    alt = " ".join(alt.split()).replace("\\", "\\\\").replace('"', '\\"')
    return f"![{legende}](data:image/png;base64,{data}){{#{ident} fig-alt=\"{alt}\"}}\n"


# Output metadata key of a figure that also carries its interactive HTML version (batch.notebook_md: the HTML
# page shows the HTML, the printables the PNG).
CLE_INTERACTIF = "osq-interactif"


@dataclass(frozen=True)
class Rendu:
    """What a figure block shows: a PNG image (with, optionally, its interactive HTML version:
    present.interactif), or, when it cannot be drawn, a French message in markdown.

    Every map function and the evolution chart return this one type; `display(rendu)` shows whichever it
    holds, and a template puts the image in the cell that carries its caption and alt text (`est_image`).
    """

    png: bytes | None = None
    message: str | None = None
    html: str | None = None

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Both versions of an interactive figure in one output (or its HTML alone, in a build without
        printables), marked for batch.notebook_md."""
        if self.html is None:
            return None  # IPython falls back on _repr_png_ / _repr_markdown_
        data = {"text/html": self.html}
        if self.png is not None:
            data["image/png"] = base64.b64encode(self.png).decode("ascii")
        return data, {CLE_INTERACTIF: True}

    @property
    def est_image(self) -> bool:
        return self.png is not None or self.html is not None

    def _repr_png_(self) -> bytes | None:
        return self.png

    def _repr_markdown_(self) -> str | None:
        return None if self.est_image else self.message


def rendu_figure(fig, dpi: int = 110, html: str | None = None) -> Rendu:
    """A matplotlib figure as a Rendu (the figure is closed), with its interactive version if given; without a
    figure (a build without printables: Contexte.imprimables), the interactive version alone."""
    return Rendu(png=figure_png(fig, dpi=dpi).data if fig is not None else None, html=html)


def rendu_message(markdown: str) -> Rendu:
    return Rendu(message=markdown)

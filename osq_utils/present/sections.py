"""Sections a note shows in a loop, drawn from their data (present.blocs.Section)."""

from __future__ import annotations

from IPython.display import Markdown

from osq_utils.present import charts, images, tables
from osq_utils.present.blocs import Section


def elements(section: Section) -> list:
    """The display objects of a section: its text, its table of gaps, its chart (a markdown figure
    carrying its own alt text, since a loop draws a variable number of figures)."""
    out: list = [Markdown(section.texte)]
    if section.tableau is not None:
        out.append(Markdown(section.sous_titre_tableau))
        out.append(tables.tableau_ecarts(section.tableau, titre=section.titre, source_note=section.source_note))
    if section.panneaux:
        png = images.ggplot_png(charts.graphique_ecarts(section.panneaux, source_note=section.source_note)).data
        out.append(Markdown(images.figure_markdown(png, section.legende, section.texte_alternatif, section.ident)))
    return out

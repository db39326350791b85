"""Charts with a sober theme, colour-blind-safe colours and French axes (plotnine; matplotlib for the
evolution panels of every note)."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter
from plotnine import (
    aes,
    element_blank,
    element_rect,
    element_text,
    facet_wrap,
    geom_line,
    geom_point,
    ggplot,
    labs,
    scale_color_manual,
    scale_x_continuous,
    scale_y_continuous,
    theme,
    theme_minimal,
)

from osq_utils import indicateurs
from osq_utils.catalogues.glossaire import Indicateur
from osq_utils.present import fr, images, interactif
from osq_utils.present.blocs import source_note
from osq_utils.present.tables import identifiant_stable

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies (shared with the interactive chart).
OKABE_ITO = interactif.OKABE_ITO


def theme_osq():
    return theme_minimal(base_size=11) + theme(
        legend_position="bottom",
        legend_title=element_blank(),
        plot_title=element_text(weight="bold", size=12),
        plot_caption=element_text(size=8, ha="left"),
        figure_size=(7, 3.8),
    )


def french_labels(unite: str, decimales: int = 0):
    def fmt(values):
        return [fr.valeur(v, unite, decimales) for v in values]

    return fmt




def evolution_panels(panels: list[tuple[Indicateur, pd.DataFrame]], *, source_note: str):
    """Several indicators over the years, one panel each (own scale), one colour per territory.

    Returns a matplotlib figure (the most-run chart of the catalogue: drawn with matplotlib
    directly, several times faster than through plotnine, same look). Each panel title carries
    its unit; missing or secret years are not drawn, never bridged, and are listed in the
    caption, never shown as 0.
    """
    frames = []
    order = list(dict.fromkeys(t for _, evo in panels for t in evo["territoire"]))
    for ind, evo in panels:
        frames.append(evo.assign(panneau=interactif.titre_legende(ind)))
    missing = interactif.annees_sans_valeur(panels)  # the interactive chart's note says the same
    caption = source_note
    if missing:
        caption += "\nSans valeur publiée (non tracé) : " + " ; ".join(missing)
    colours = {terr: OKABE_ITO[i % len(OKABE_ITO)] for i, terr in enumerate(order)}

    fig, axes = plt.subplots(1, len(panels), figsize=(9, 4.2), squeeze=False)
    # saved to a file only; matplotlib's stubs forbid this no-op monkeypatch of a method
    fig.canvas.draw_idle = lambda *args, **kwargs: None  # type: ignore[method-assign]
    for ax, frame in zip(axes[0], frames):
        years = sorted(frame["annee"].unique())
        data = line_segments(frame)
        for terr in order:
            own = data[data["territoire"] == terr]
            for _, seg in own.groupby("segment", sort=False):
                ax.plot(seg["annee"], seg["valeur"], color=colours[terr], linewidth=1.6,
                        marker="o", markersize=4.5)
        ax.set_title(wrap_text(frame["panneau"].iloc[0], 48), fontsize=9.5, loc="center")
        ax.xaxis.set_major_locator(FixedLocator(years))
        ax.set_xticklabels([str(y) for y in years], fontsize=8)
        values = data["valeur"].dropna()
        span = float(values.max() - values.min()) if len(values) else 0.0
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos, d=(1 if span < 20 else 0): fr.nombre(v, d)))
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(True, color="#e5e5e5", linewidth=0.6)
        for side in ("top", "right", "left", "bottom"):
            ax.spines[side].set_visible(False)
        ax.tick_params(length=0)
    handles = [Line2D([0], [0], color=colours[t], marker="o", linewidth=1.6, markersize=4.5, label=t) for t in order]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(order), 4), frameon=False, fontsize=8.5,
               bbox_to_anchor=(0.5, 0.11))
    fig.text(0.01, 0.01, wrap_text(caption, 150), fontsize=7, ha="left", va="bottom")
    # A fixed layout (panels, legend, caption): no second drawing pass for a tight bounding box.
    bottom = 0.30 + 0.025 * caption.count("\n") + 0.02 * (len(caption) // 150)
    fig.subplots_adjust(left=0.07, right=0.98, top=0.88, bottom=min(bottom, 0.45), wspace=0.22)
    return fig


def line_segments(data: pd.DataFrame) -> pd.DataFrame:
    """Rows with a value ('ok'), each tagged with its segment: a run of consecutive years.

    `data` has every year of each (panneau, territoire), with statut; a year that is not
    'ok' ends the segment, so the chart never draws a line across a missing year.
    """
    data = data.sort_values(["panneau", "territoire", "annee"]).copy()
    not_ok = (data["statut"] != "ok").astype(int)
    run = not_ok.groupby([data["panneau"], data["territoire"]]).cumsum()
    data["segment"] = data["panneau"].astype(str) + "|" + data["territoire"].astype(str) + "|" + run.astype(str)
    data = data[data["statut"] == "ok"].copy()
    data["points_segment"] = data.groupby("segment")["annee"].transform("size")
    return data


def wrap_text(text: str, width: int = 110) -> str:
    return "\n".join(textwrap.fill(line, width) for line in text.split("\n"))


# --- EPCI notes: one small panel per commune ----------------------------------------------

GRIS_REFERENCE = "#7f7f7f"


def small_multiples(communes: pd.DataFrame, reference: pd.DataFrame, ind: Indicateur, *, nom_reference: str,
                    source_note: str, ncol: int = 6, communes_total: int | None = None):
    """One panel per commune (in the order of `communes`), the commune's series in blue and the
    reference territory's (the EPCI) in grey in every panel.

    communes: territoire, annee, valeur, statut (agglomeration.evolutions_communes);
    reference: annee, valeur, statut (indicateurs.evolution of the EPCI). Missing or secret
    years are not drawn and never bridged; the years with no commune value are in the caption,
    and so is the selection when `communes_total` (the EPCI's count) exceeds the panels drawn.
    """
    order = list(dict.fromkeys(communes["territoire"]))
    com = line_segments(communes.assign(panneau="communes"))
    com["serie"] = "Commune"
    com["territoire"] = pd.Categorical(com["territoire"], categories=order)
    ref = line_segments(reference.assign(panneau="reference", territoire=nom_reference))
    ref = ref.drop(columns="territoire")  # without the facet column: drawn in every panel
    ref["serie"] = nom_reference
    years = sorted(int(y) for y in pd.concat([communes["annee"], reference["annee"]]).unique())
    never = [y for y in years if not (communes.loc[communes["annee"] == y, "statut"] == "ok").any()]
    gaps = communes[(communes["statut"] != "ok") & ~communes["annee"].isin(never)]
    caption = source_note
    if communes_total and communes_total > len(order):
        caption += (f"\nLes {len(order)} communes les plus peuplées sur les {communes_total} de l'intercommunalité, "
                    "de la plus peuplée à la moins peuplée.")
    if never:
        caption += f"\nAucune valeur communale publiée en {fr.annees(never)} : année non tracée."
    if len(gaps):
        names = list(dict.fromkeys(gaps["territoire"]))
        caption += ("\nAnnées au secret ou non disponibles, non tracées : "
                    + (", ".join(names) if len(names) <= 8 else f"{len(names)} communes") + ".")
    unit = {"%": "en %", "€": "en euros"}.get(ind.unite, ind.unite)
    rows = -(-len(order) // ncol)
    colours = {"Commune": OKABE_ITO[0], nom_reference: GRIS_REFERENCE}

    def labels(values):
        return [fr.nombre(v, 0 if ind.unite != "%" else 1) for v in values]

    return (
        ggplot(com, aes("annee", "valeur", color="serie"))
        + geom_line(aes(group="segment"), data=ref[ref["points_segment"] > 1], size=0.8)
        + geom_point(data=ref, size=0.9)
        + geom_line(aes(group="segment"), data=com[com["points_segment"] > 1], size=1)
        + geom_point(size=1.3)
        + facet_wrap("territoire", ncol=ncol)
        + scale_color_manual(values=colours, breaks=["Commune", nom_reference])
        + scale_x_continuous(breaks=years[::2], labels=[str(y) for y in years[::2]])
        + scale_y_continuous(labels=labels)
        + labs(x="", y=f"{ind.libelle} ({unit})" if unit else ind.libelle, caption=wrap_text(caption, 140))
        + theme_osq()
        + theme(figure_size=(10, 1.75 * rows + 1.6), strip_text=element_text(size=7.5),
                axis_text=element_text(size=6.5), strip_background=element_rect(fill="#f0f0f0", color="none"))
    )


# --- Blocks of a note (one call each) -------------------------------------------------------------


def series_evolution(ctx, refs: list, codes: list[str]) -> list:
    """What an evolution figure draws: (indicator, its series for each territory over the glossary's years,
    indicateurs.evolution) per indicator; the figure, its commentary and its table take the same."""
    return [(ctx.glossaire[code], indicateurs.evolution(ctx.vue, refs, code)) for code in codes]


def source_evolution(ctx, refs: list, codes: list[str]) -> str:
    """The source line of an evolution figure and of its table (the subject's sources; a grouping's or a zone's
    are those its figures are summed from)."""
    return source_note(ctx.catalogue, indicateurs.territory_observations(ctx.vue, refs[0], codes))


def figure_evolution(ctx, refs: list, codes: list[str], panneaux: list | None = None, *,
                     tableau: str | None = None) -> images.Rendu:
    """The evolution block of a note: one panel per indicator, its territory and references over the
    glossary's years, its source under it; a PNG image (printables) and its interactive version (HTML page).

    tableau: the title of the note's table of the chart's figures (tables.tableau_series), which the
    interactive chart's « Données » link points to; without it, the chart carries its own table."""
    panneaux = panneaux if panneaux is not None else series_evolution(ctx, refs, codes)
    source = source_evolution(ctx, refs, codes)
    png = images.ggplot_png(evolution_panels(panneaux, source_note=source)).data if ctx.imprimables else None
    titre = f"{refs[0].libelle} et ses territoires de référence : " + fr.liste(
        [fr.minuscule(ind.libelle) for ind, _ in panneaux])
    html = interactif.courbes_svg(panneaux, titre=titre, ident=identifiant_stable(titre, "osq-courbes-"),
                                  donnees_href=f"#{identifiant_stable(tableau)}" if tableau else None, source=source)
    return images.Rendu(png=png, html=html)

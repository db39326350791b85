"""Tables and charts of the evaluation of a contrat de ville: the bilan des actions by pillar, the answers to a
questionnaire, and each gap between the quartiers and their agglomeration, year by year.

Every share is shown with its count; a figure the inputs do not give is « nd », never 0.
"""

from __future__ import annotations

import math
import textwrap

import matplotlib.pyplot as plt
import pandas as pd
from great_tables import GT
from IPython.display import Markdown
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from osq_utils.catalogues.evaluation import TOUS_QPV, Questionnaire
from osq_utils.catalogues.glossaire import Indicateur
from osq_utils.indicateurs import Territoire
from osq_utils.indicateurs.bilan import frequences
from osq_utils.present import fr, images, volets
from osq_utils.present.charts import OKABE_ITO, wrap_text
from osq_utils.present.tables import FONT, identifiant_stable, table_gt
from osq_utils.present.volets import QuestionObservation

GRIS_AGGLOMERATION = "#4d4d4d"
BLEU_BARRES = "#0072B2"


def _part(x: float) -> str:
    return fr.MARQUE_SANS_OBJET if x is None or (isinstance(x, float) and math.isnan(x)) else fr.pourcent(x, 0)


def _somme_connue(valeur: float, connus: int, actions: int, unite: str) -> str:
    """A sum over the actions whose value is known; says how many when some are not."""
    if actions == 0:
        return fr.MARQUE_SANS_OBJET
    if connus == 0 or (isinstance(valeur, float) and math.isnan(valeur)):
        return fr.MARQUE_ABSENT
    text = fr.euros(valeur) if unite == "€" else fr.nombre(valeur)
    return text if connus == actions else f"{text} (connu pour {connus} action{'s' if connus > 1 else ''} sur {actions})"


# --- Bilan des actions -------------------------------------------------------------------------


def cellules_bilan(par_pilier: pd.DataFrame) -> pd.DataFrame:
    """Formatted cells of the bilan by pillar, with a total row; the amount and public columns only when
    the bilan gives at least one of them."""
    total = int(par_pilier["actions"].sum())
    rows = []
    for r in par_pilier.itertuples(index=False):
        rows.append({"Pilier": r.libelle, "Actions": fr.nombre(r.actions), "Part des actions": _part(r.part),
                     "Montant": _somme_connue(r.montant, r.montants_connus, r.actions, "€"),
                     "Public touché": _somme_connue(r.public_touche, r.publics_connus, r.actions, "")})
    montants = int(par_pilier["montants_connus"].sum())
    publics = int(par_pilier["publics_connus"].sum())
    rows.append({"Pilier": "Total", "Actions": fr.nombre(total), "Part des actions": fr.pourcent(100, 0) if total else "-",
                 "Montant": _somme_connue(float(par_pilier["montant"].sum(min_count=1)), montants, total, "€"),
                 "Public touché": _somme_connue(float(par_pilier["public_touche"].sum(min_count=1)), publics, total, "")})
    df = pd.DataFrame(rows)
    drop = [c for c, n in (("Montant", montants), ("Public touché", publics)) if n == 0]
    return df.drop(columns=drop)


def tableau_bilan(par_pilier: pd.DataFrame, *, titre: str, source_note: str) -> GT:
    cells = cellules_bilan(par_pilier)
    notes = [source_note, "Part des actions : nombre d'actions du pilier sur le nombre total d'actions, calculée "
                          "par l'observatoire à partir des effectifs."]
    if "Montant" in cells or "Public touché" in cells:
        notes.append(f"« {fr.MARQUE_ABSENT} » : non renseigné dans le bilan (jamais compté comme zéro) ; une somme "
                     "partielle dit sur combien d'actions elle porte.")
    gt = (table_gt(cells, id=identifiant_stable(titre)).tab_header(title=titre)
          .cols_align(align="left", columns="Pilier")
          .cols_align(align="right", columns=[c for c in cells.columns if c != "Pilier"])
          .opt_table_font(font=FONT))
    for note in notes:
        gt = gt.tab_source_note(note)
    return gt


def tableau_croise(table: pd.DataFrame, *, libelles_lignes: dict[str, str], libelles_colonnes: dict[str, str],
                   premiere: str, titre: str, source_note: str) -> GT:
    """Number of actions by pillar (rows) and by year or quartier (columns), with totals."""
    cells = table.copy()
    cells.index = [libelles_lignes.get(i, i) for i in cells.index]
    cells.columns = [libelles_colonnes.get(str(c), str(c)) for c in cells.columns]
    cells = cells.map(fr.nombre).reset_index(names=premiere)
    gt = (table_gt(cells, id=identifiant_stable(titre)).tab_header(title=titre)
          .cols_align(align="left", columns=premiere)
          .cols_align(align="right", columns=[c for c in cells.columns if c != premiere])
          .opt_table_font(font=FONT))
    return gt.tab_source_note(source_note)


def libelle_qpv(code: str, noms: dict[str, str]) -> str:
    return "Tous les quartiers" if code == TOUS_QPV else noms.get(code, code)


def graphique_bilan(par_pilier: pd.DataFrame, *, source_note: str):
    """Horizontal bars: the number of actions of each pillar, labelled with its count and its share."""
    df = par_pilier.iloc[::-1]
    fig, ax = plt.subplots(figsize=(6.2, 1.1 + 0.7 * len(df)))
    ax.barh([textwrap.fill(str(x), 22) for x in df["libelle"]], df["actions"], color=BLEU_BARRES, height=0.6)
    top = float(df["actions"].max()) if len(df) else 0.0
    for y, (n, part) in enumerate(zip(df["actions"], df["part"])):
        ax.text(n + top * 0.015, y, f"{fr.nombre(n)} ({_part(part)})", va="center", fontsize=10)
    ax.set_xlim(0, top * 1.25 if top else 1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: fr.nombre(v)))
    ax.set_xlabel("Nombre d'actions", fontsize=10)
    ax.tick_params(axis="both", labelsize=10, length=0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.grid(True, axis="x", color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)
    caption = wrap_text(source_note, 100)
    fig.text(0.01, 0.01, caption, fontsize=7, ha="left", va="bottom")
    fig.tight_layout(rect=(0, (0.15 + 0.13 * (caption.count("\n") + 1)) / fig.get_figheight(), 1, 1))
    return fig


def figure_bilan(par_pilier: pd.DataFrame, *, source_note: str):
    """The bilan chart as a PNG image."""
    return images.figure_png(graphique_bilan(par_pilier, source_note=source_note), dpi=110)


# --- Questionnaires ----------------------------------------------------------------------------


def cellules_frequences(freq: pd.DataFrame) -> pd.DataFrame:
    """Réponse | Effectif | Part des réponses: the share is never shown without its count."""
    rows = [{"Réponse": r.libelle, "Effectif": fr.nombre(r.effectif),
             "Part des réponses": _part(r.part)} for r in freq.itertuples(index=False)]
    return pd.DataFrame(rows, columns=["Réponse", "Effectif", "Part des réponses"])


def tableau_frequences(freq: pd.DataFrame, *, titre: str, source_note: str, prudence: str | None = None) -> GT:
    exprimes = int(freq["exprimes"].iloc[0]) if len(freq) else 0
    cells = cellules_frequences(freq)
    gt = (table_gt(cells, id=identifiant_stable(titre)).tab_header(title=titre, subtitle=f"n = {fr.nombre(exprimes)} "
                                                                                   f"réponse{'s' if exprimes > 1 else ''}")
          .cols_align(align="left", columns="Réponse")
          .cols_align(align="right", columns=["Effectif", "Part des réponses"])
          .opt_table_font(font=FONT))
    notes = [source_note, "Part des réponses : effectif de la réponse sur le nombre de répondants ayant répondu à "
                          "la question (n) ; les non-réponses sont comptées à part."]
    if prudence:
        notes.append(prudence)
    for note in notes:
        gt = gt.tab_source_note(note)
    return gt


# --- Observation: each gap, year by year ----------------------------------------------------------


def tableau_ecarts_indicateur(cells: pd.DataFrame, *, titre: str, source_note: str, legende: str) -> GT:
    """One indicator's gaps by year (cells already formatted): Quartier, one column per year, Évolution."""
    gt = (table_gt(cells, id=identifiant_stable(titre)).tab_header(title=titre)
          .cols_align(align="left", columns=["Quartier", "Évolution"])
          .cols_align(align="right", columns=[c for c in cells.columns if c not in ("Quartier", "Évolution")])
          .opt_table_font(font=FONT))
    for note in (source_note, legende):
        gt = gt.tab_source_note(note)
    return gt


def graphique_quartiers(donnees: pd.DataFrame, ind: Indicateur, *, agglomeration: str | None, source_note: str):
    """One indicator year by year: each quartier (a colour each) and, when it is published, the agglomeration
    (dark grey, dashed). A year without a figure is not drawn and never bridged; it is listed under the chart.

    donnees: rows of notes.evaluation.ecarts (qpv, quartier, annee, valeur, statut, valeur_reference,
    statut_reference).
    """
    years = sorted(int(y) for y in donnees["annee"].unique())
    series: list[tuple[str, pd.DataFrame, dict]] = []
    for k, (_, part) in enumerate(donnees.groupby("qpv", sort=False)):
        series.append((part["quartier"].iloc[0], part[["annee", "valeur", "statut"]],
                       {"color": OKABE_ITO[k % len(OKABE_ITO)], "linestyle": "-", "marker": "o"}))
    if agglomeration:
        ref = (donnees[["annee", "valeur_reference", "statut_reference"]].drop_duplicates("annee")
               .rename(columns={"valeur_reference": "valeur", "statut_reference": "statut"}))
        series.append((agglomeration, ref, {"color": GRIS_AGGLOMERATION, "linestyle": "--", "marker": "s"}))
    caption = source_note
    manquants = []
    for nom, part, _ in series:
        absents = [int(y) for y in part.loc[part["statut"] != "ok", "annee"]]
        if absents:
            manquants.append(f"{nom} : {fr.annees(absents)}" if len(absents) < len(part) else f"{nom} : aucune année")
    if manquants:
        caption += "\nSans chiffre (non publié ou secret, non tracé) : " + " ; ".join(manquants) + "."
    caption = wrap_text(caption, 95)
    # Narrow figure, large type: still legible on a phone, where the image is scaled to the screen's width.
    # Fixed heights in inches: the plot, then the legend rows and the caption lines under it.
    plot_h, legend_h, caption_h = 2.8, 0.27 * math.ceil(len(series) / 2), 0.16 * (caption.count("\n") + 1)
    bottom_h = 0.4 + legend_h + caption_h + 0.15
    fig, ax = plt.subplots(figsize=(6.0, plot_h + bottom_h + 0.15))
    for _, part, style in series:
        part = part.sort_values("annee")
        ok = part["statut"] == "ok"
        run = (~ok).cumsum()
        for _, seg in part[ok].groupby(run[ok]):
            ax.plot(seg["annee"], seg["valeur"], linewidth=2, markersize=6, **style)
    valeurs = pd.concat([p.loc[p["statut"] == "ok", "valeur"] for _, p, _ in series])
    etendue = float(valeurs.max() - valeurs.min()) if len(valeurs) else 0.0
    decimales = 1 if ind.unite == "%" and etendue < 5 else 0
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: fr.valeur(v, ind.unite, decimales)))
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_xlim(years[0] - 0.3, years[-1] + 0.3)
    ax.tick_params(axis="both", labelsize=10, length=0)
    ax.grid(True, color="#e5e5e5", linewidth=0.6)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    height = fig.get_figheight()
    handles = [Line2D([0], [0], linewidth=2, markersize=6, **style, label=textwrap.shorten(nom, 34, placeholder="…"))
               for nom, _, style in series]
    fig.legend(handles=handles, loc="upper center", ncol=min(len(handles), 2), frameon=False, fontsize=10,
               bbox_to_anchor=(0.5, (bottom_h - 0.33) / height), handlelength=2.2, columnspacing=1.2)
    fig.text(0.01, 0.08 / height, caption, fontsize=8, ha="left", va="bottom")
    fig.subplots_adjust(left=0.14, right=0.98, top=1 - 0.15 / height, bottom=bottom_h / height)
    return fig


def elements_question(question: QuestionObservation) -> list:
    """The display objects of an observation question: its text, then for each indicator its heading, its table
    of gaps and, right after it, its chart (a markdown figure carrying its own alt text: a loop draws a variable
    number of them)."""
    out: list = [Markdown(question.texte)]
    for e in question.ecarts:
        out.append(Markdown(f"#### {e.indicateur.libelle}\n"))
        out.append(tableau_ecarts_indicateur(e.cellules, titre=e.titre, source_note=e.source_note, legende=e.legende))
        png = images.figure_png(graphique_quartiers(e.donnees, e.indicateur, agglomeration=e.agglomeration,
                                                    source_note=e.source_note), dpi=110).data
        legende = (f"{e.indicateur.libelle} de chaque quartier et de l'agglomération, par année" if e.agglomeration
                   else f"{e.indicateur.libelle} de chaque quartier, par année")
        out.append(Markdown(images.figure_markdown(png, legende, e.texte_alternatif, e.ident)))
    return out


def elements_questionnaire(q: Questionnaire, profil: str, territoire: Territoire) -> list:
    """The display objects of a questionnaire: who answered; then, when its answers are held and may be shown on
    this profile's site, one frequency table per closed question (counts first, a caveat under the threshold of
    respondents) and the open answers as pseudonymised verbatims."""
    out: list = [Markdown(volets.texte_questionnaire(q, profil))]
    if not volets.resultats_visibles(q, profil) or q.reponses is None:
        return out
    ouvertes = volets.verbatims_reponses(q, territoire.niveau, territoire.code, profil)
    note = volets.source(q.source)
    caveat = volets.prudence(q)
    if caveat:
        out.append(Markdown(f'::: {{.callout-warning title="Peu de répondants"}}\n{caveat}\n:::\n'))
    for question in q.questions:
        if question.type == "fermee":
            freq = frequences(q.reponses[question.id], question)
            out.append(tableau_frequences(freq, titre=question.texte, source_note=note, prudence=caveat))
        else:
            out.append(Markdown(f"**{volets.markdown_text(question.texte)}** (réponses libres, sans nom)\n\n"
                                + ouvertes.get(question.id, "")))
    return out

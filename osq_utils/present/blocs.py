"""Blocks of a note, as Quarto markdown that renders under Quarto and under the pandoc fallback.

Notebooks call these and display the returned markdown; they hold no data logic.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from osq_utils import indicateurs
from osq_utils.catalogues.glossaire import Glossaire, load_glossaire
from osq_utils.catalogues.sources import Source, load_catalogue
from osq_utils.indicateurs import Territoire
from osq_utils.indicateurs.commentaire import position
from osq_utils.indicateurs.ecarts import ecart
from osq_utils.present import fr
from osq_utils.present.commentaire import texte_ecart
from osq_utils.secret.vue import Vue
from osq_utils.store import DERIVED_SOURCE

DERIVED_CITATION = "calculs OSQ"


@dataclass
class Contexte:
    """What a note needs: its masked view of the store, the glossary and the sources catalogue."""

    vue: Vue
    glossaire: Glossaire
    catalogue: dict[str, Source]
    glossaire_href: str
    profil: str = "public"  # diffusion profile: public, or partenaires (restricted site)
    # Whether the figures also draw their still image (PNG), which only the PDF and Word versions show: a
    # build without printables draws only the interactive figures of the HTML pages.
    imprimables: bool = True

    def close(self) -> None:
        self.vue.close()  # the store stays open for the next note of a warm kernel


def contexte(store_path: str | os.PathLike | None = None, glossaire_href: str = "../glossaire.html",
             profil: str = "public", masques: str | os.PathLike | None = None, imprimables: bool = True) -> Contexte:
    """The note's context: the masked view of the store for this profile. `masques` is the build's
    ledger of masked figures (secret statistique): every figure the note reads goes through it.
    `imprimables`: whether figures draw their still image for the PDF and Word versions too."""
    vue = Vue.ouvrir(Path(store_path) if store_path else None, Path(masques) if masques else None, profil)
    return Contexte(vue, vue.glossaire, load_catalogue(), glossaire_href, profil, bool(imprimables))


def citation(catalogue: dict[str, Source], source_id: str | None) -> str:
    if not source_id:
        return ""
    if source_id == DERIVED_SOURCE:
        return DERIVED_CITATION
    src = catalogue.get(source_id)
    return (src.citation or f"{src.producteur}, {src.titre}") if src else source_id


def source_note(catalogue: dict[str, Source], rows: pd.DataFrame, extra: list[str] | None = None) -> str:
    """'Source : Insee, Filosofi 2016, 2018 ; CNAF, allocataires par IRIS 2019.' from observation rows."""
    parts: dict[tuple[str, bool], set[int]] = {}  # (citation, computed by OSQ) -> years
    glossaire = load_glossaire()
    inds = rows["indicateur"] if "indicateur" in rows else [None] * len(rows)
    for src, year, ind in zip(rows.get("source", []), rows.get("annee", []), inds):
        if src is None or (isinstance(src, float) and pd.isna(src)) or pd.isna(year):
            continue
        if src == DERIVED_SOURCE:
            # A figure OSQ computed (IRIS summed into communes, densities): cite what it was computed from.
            origins = [s for s in (glossaire.indicateurs[ind].sources if ind in glossaire.indicateurs else ())
                       if s in catalogue][:1]
            for origin in origins:
                parts.setdefault((citation(catalogue, origin), True), set()).add(int(year))
            continue
        parts.setdefault((citation(catalogue, src), False), set()).add(int(year))
    bits = [f"{name} {fr.annees(sorted(years))}" + (" (calcul OSQ)" if computed else "")
            for (name, computed), years in parts.items()]
    bits += extra or []
    if not bits:
        return "Source : non disponible."
    label = "Sources" if len(bits) > 1 else "Source"
    return f"{label} : {' ; '.join(bits)}."


def chiffres_cles(ctx: Contexte, refs: list[Territoire], codes: list[str]) -> str:
    """A grid of key figures for refs[0], each with its year, its gap to refs[1] and its source."""
    comp = indicateurs.comparison(ctx.vue, refs, codes, recente=True)
    blocks = []
    for code in codes:
        ind = ctx.glossaire[code]
        part = comp[comp["indicateur"] == code]
        own = part[part["niveau"] == refs[0].niveau].iloc[0]
        year = "" if pd.isna(own["annee"]) else f" ({int(own['annee'])})"
        value = fr.valeur_observation(own, ind)
        lines = [f"[{value}]{{.kpi-valeur}}", f"[[{ind.libelle}]({ctx.glossaire_href}#{ind.code}){year}]{{.kpi-libelle}}"]
        if len(refs) > 1:
            other = part[part["code"] == refs[1].code].iloc[0]
            shown = fr.valeur_observation(other, ind)
            part_totale = next((p for p in position(part, code, ctx.glossaire) if p.code == refs[1].code), None) \
                if ind.type == "compte" and own["statut"] == "ok" else None
            if part_totale is not None:  # a count: its share of the reference's total, never « × 0,14 »
                lines.append(f"[{refs[1].libelle} : {shown} ({texte_ecart(part_totale, ind)} du total)]"
                             "{.kpi-comparaison}")
            elif ind.type == "compte":
                lines.append(f"[{refs[1].libelle} : {shown}]{{.kpi-comparaison}}")
            elif own["statut"] == "ok" and other["statut"] == "ok":
                gap = ecart(own["valeur"], other["valeur"], ind)
                # A gap is no more precise than the less precise of its two figures.
                dec = min(fr.precision(own.get("decimales"), ind.decimales), fr.precision(other.get("decimales"), ind.decimales))
                lines.append(f"[{refs[1].libelle} : {shown} (écart {fr.ecart(gap, ind.unite, dec)})]{{.kpi-comparaison}}")
            else:
                lines.append(f"[{refs[1].libelle} : {shown}]{{.kpi-comparaison}}")
        if own["statut"] == "ok":
            lines.append(f"[{source_note(ctx.catalogue, part[part['niveau'] == refs[0].niveau])}]{{.kpi-source}}")
        else:  # no source to cite: say why the figure is missing
            why = fr.raison(own["statut"], ind.publie_a(refs[0].niveau))
            lines.append(f"[{why[0].upper()}{why[1:]} pour {refs[0].libelle}.]{{.kpi-source}}")
        blocks.append("::: {.kpi}\n" + "\\\n".join(lines) + "\n:::")
    return "::: {.kpi-grid}\n" + "\n\n".join(blocks) + "\n:::\n"


def sources_utilisees(ctx: Contexte, source_ids: list[str]) -> str:
    """A markdown list of the sources behind a note: producer, vintage, licence, official page."""
    lines = []
    for sid in dict.fromkeys(source_ids):
        if sid == DERIVED_SOURCE or sid not in ctx.catalogue:
            continue
        s = ctx.catalogue[sid]
        page = f" — [page officielle]({s.page_officielle})" if s.page_officielle else ""
        lines.append(f"- **{s.titre}** ({s.producteur}, millésime {s.millesimes}) — {s.licence}{page}")
    lines.append("- Calculs OSQ : regroupements des IRIS en communes, densités. Les taux sont recalculés à partir "
                 "de leurs numérateurs et dénominateurs ; les médianes et déciles ne sont jamais agrégés.")
    return "\n".join(lines) + "\n"


def manquants(ctx: Contexte, comp: pd.DataFrame, territoire: Territoire) -> str:
    """A plain-French callout saying, for each figure of this territory that is not shown, why: secret, not
    published by its producer at this level, or absent from the observatory's sources."""
    part = comp[(comp["code"] == territoire.code) & (comp["statut"] != "ok")].drop_duplicates("indicateur")
    if part.empty:
        return ""
    groups: dict[str, list[str]] = {fr.MARQUE_SECRET: [], fr.MARQUE_NON_PUBLIE: [], fr.MARQUE_ABSENT: []}
    for code, statut in zip(part["indicateur"], part["statut"]):
        ind = ctx.glossaire[code]
        groups[fr.marque(statut, ind.publie_a(territoire.niveau))].append(ind.libelle)
    nom = territoire.libelle
    lines = ['::: {.callout-note title="Données manquantes"}']
    if groups[fr.MARQUE_SECRET]:
        lines += [f"Soumis au secret statistique pour {nom} (marqué « s ») : {', '.join(groups[fr.MARQUE_SECRET])}.", ""]
    if groups[fr.MARQUE_NON_PUBLIE]:
        lines += [f"Non publié par le producteur à l'échelle de ce territoire (marqué « np ») : "
                  f"{', '.join(groups[fr.MARQUE_NON_PUBLIE])}. Une médiane, un décile ou un taux publié sans son numérateur ne "
                  "s'additionne pas : OSQ ne le recalcule pas à partir des communes.", ""]
    if groups[fr.MARQUE_ABSENT]:
        lines += [f"Absent des sources de l'observatoire pour {nom} (marqué « nd ») : {', '.join(groups[fr.MARQUE_ABSENT])}. "
                  "Le producteur publie ce chiffre à cette échelle, mais pas pour cette année ou pas dans les fichiers "
                  "réunis par l'observatoire (voir la page « État des données »).", ""]
    lines[-1] = ":::"
    return "\n".join(lines) + "\n"

"""The automatic commentary of a note (issue 16), as every kind of note calls it: what the note's grid does not
hold (the peers of its territory, for ranks and for the spread that standardises salience; the count behind a
fragile figure) is read here through the masked view, then indicateurs.commentaire computes the facts and
present.commentaire writes them. Templates call one function per section:

- `synthese`: « L'essentiel », the three to five most notable facts, at the top of the note;
- `lecture`: after the comparison table, a paragraph per indicator, themes ordered by salience, the reasons of
  the silences and the caveats said once.

The analyst switches commentary off for a kind of note, or one section of it, in the params file (`commentaire:`
of a note entry: false, or the list of sections kept); the template receives it as its `commentaire` parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from osq_utils import territoires
from osq_utils.indicateurs import Territoire, lignes_du_territoire
from osq_utils.indicateurs.commentaire import Fragilite, Rang, fragile, rang
from osq_utils.notes.base import SECTIONS_COMMENTAIRE
from osq_utils.present import commentaire as redaction
from osq_utils.present import fr

TOUTES = ",".join(SECTIONS_COMMENTAIRE)
# References the commentary compares with: the nearest intercommunality, the département, France, the stratum.
NIVEAUX_COMMENTES = ("commune", "arm", "qpv", "epci", "ept", "departement", "france", "strate")


def _bloc(titre: str, texte: str) -> str:
    """A section of commentary under its title, in a div of class osq-commentaire (the page's style, the
    commentary's snapshots); '' without text."""
    return f"::: {{.osq-commentaire}}\n### {titre}\n\n{texte}\n:::\n" if texte else ""


def sections(valeur) -> set[str]:
    """The sections a template writes, from its `commentaire` parameter: 'synthese,lecture' (default), '' or
    'non' for none; True / False as the params file may give them."""
    if valeur is True:
        return set(SECTIONS_COMMENTAIRE)
    if valeur is False or valeur is None:
        return set()
    text = str(valeur).strip().lower()
    if text in ("", "non", "false", "aucun"):
        return set()
    return {s.strip() for s in text.split(",") if s.strip() in SECTIONS_COMMENTAIRE}


@dataclass
class Faits:
    """What the commentary needs beyond the grid."""

    grille: pd.DataFrame  # the comparison rows that compare something, references the commentary names
    dispersion: dict[str, float] = field(default_factory=dict)
    rangs: dict[str, list[tuple[Rang, str]]] = field(default_factory=dict)
    fragilites: dict[str, Fragilite] = field(default_factory=dict)  # figures published rounded or estimated
    petit_effectif: float | None = None  # the territory's population, when below the glossary's effectif_faible


def _pairs(vue, refs: list[Territoire]) -> list[tuple[Territoire, tuple[str, ...]]]:
    """The peer groups of a commune's note: the communes of its intercommunality (its EPT within the Grand Paris,
    else its EPCI) and of its département."""
    sujet = refs[0]
    if sujet.niveau not in ("commune", "arm"):
        return []
    by_level = {t.niveau: t for t in refs[1:]}
    groups = [t for t in (by_level.get("ept") or by_level.get("epci"), by_level.get("departement")) if t is not None]
    out = []
    for t in groups:
        communes = territoires.communes_of(vue, t.niveau, t.code)
        if sujet.code in communes and len(communes) > 1:
            out.append((t, communes))
    return out


# The peers' published figures, per (store version, profile, masks, group, indicator, year): a warm kernel builds
# every commune note of a département, and reads its communes' figures once (a few MB per département).
_PAIRS: dict[tuple, pd.Series] = {}
_PAIRS_MAX = 20_000


def valeurs_pairs(vue, groupe: Territoire, communes: tuple[str, ...], annees: dict[str, int]) -> dict[str, pd.Series]:
    """indicator -> the figure of each commune of the group at that indicator's year (NaN when secret or missing:
    never ranked), read through the masked view once per kernel and store version."""
    base = (vue.cle_version, vue.profil, vue.masques, groupe.niveau, groupe.code)
    manquants = {c: a for c, a in annees.items() if base + (c, a) not in _PAIRS}
    if manquants:
        if len(_PAIRS) > _PAIRS_MAX:
            _PAIRS.clear()
        obs = vue.observations("commune", list(communes), list(manquants), annees=manquants)
        parts = dict(tuple(obs.groupby("indicateur", sort=False))) if not obs.empty else {}
        for c, a in manquants.items():
            part = parts.get(c)
            valeurs = pd.Series(dtype=float) if part is None else pd.Series(
                part["valeur"].where(part["statut"] == "ok").to_numpy(dtype=float), index=part["code"].to_numpy())
            _PAIRS[base + (c, a)] = valeurs.reindex(list(communes))
    return {c: _PAIRS[base + (c, a)] for c, a in annees.items()}


def faits(vue, comp: pd.DataFrame, refs: list[Territoire]) -> Faits:
    """Ranks among the communes of the intercommunality and of the département, the spread of the département's
    communes (salience), and the population behind each figure (fragility), read through the masked view."""
    grille = lignes_du_territoire(comp)
    # Python strings: the commentary takes rows one by one, which Arrow strings pay in copies (×3 slower).
    grille = grille[grille["niveau"].isin(NIVEAUX_COMMENTES)].astype(
        {c: object for c in ("indicateur", "niveau", "code", "territoire", "source")})
    out = Faits(grille)
    if grille.empty:
        return out
    sujet = refs[0]
    own = grille[(grille["niveau"] == sujet.niveau) & (grille["code"] == sujet.code) & (grille["statut"] == "ok")]
    own = own[[vue.glossaire[c].type != "compte" for c in own["indicateur"]]]  # a count is not ranked
    annees = own.set_index("indicateur")["annee"].astype(int).to_dict()
    for t, communes in _pairs(vue, refs):
        groupe = f"communes {fr.de_nom(fr.nom_territoire(t.libelle, t.niveau, t.article))}"
        for code, valeurs in valeurs_pairs(vue, t, communes, annees).items():
            ind = vue.glossaire[code]
            r = rang(valeurs, sujet.code, decimales=ind.decimales)
            if r is not None:
                out.rangs.setdefault(code, []).append((r, groupe))
            if t.niveau == "departement":
                sd = valeurs.dropna().std()
                if pd.notna(sd) and sd > 0:
                    out.dispersion[code] = float(sd)
    population = grille[(grille["indicateur"] == "population") & (grille["code"] == sujet.code)]
    effectif = float(population["valeur"].iloc[0]) if len(population) and population["statut"].iloc[0] == "ok" else None
    if effectif is not None and effectif < vue.glossaire.seuils.effectif_faible:
        out.petit_effectif = effectif
    first = grille[(grille["niveau"] == sujet.niveau) & (grille["code"] == sujet.code)]
    for _, r in first.iterrows():
        ind = vue.glossaire[r["indicateur"]]
        if ind.type == "compte":
            continue
        f = fragile(r, ind)  # rounded or estimated; a small population is said once for the note
        if f is not None:
            out.fragilites[r["indicateur"]] = f
    return out


def synthese(ctx, comp: pd.DataFrame, refs: list[Territoire], commentaire=TOUTES,
             faits_note: Faits | None = None) -> str:
    """« L'essentiel »: the note's most notable facts, as a callout; '' when switched off or nothing stands out."""
    if "synthese" not in sections(commentaire):
        return ""
    f = faits_note or faits(ctx.vue, comp, refs)
    puces = _faits_marquants(ctx, comp, refs, f)
    if not puces:
        return ""
    prudence = ""
    if f.petit_effectif is not None:
        prudence = redaction.phrase_petit_effectif(
            fr.nom_territoire(refs[0].libelle, refs[0].niveau, refs[0].article), f.petit_effectif) + " "
    return ('::: {.callout-tip .osq-commentaire title="L\'essentiel"}\n' + puces + "\n\n" + prudence
            + redaction.AVERTISSEMENTS["description"] + "\n:::\n")


def brouillon_enjeux(ctx, comp: pd.DataFrame, refs: list[Territoire], commentaire=TOUTES,
                     faits_note: Faits | None = None) -> str:
    """A draft of an ABS theme's « enjeux »: the theme's most notable facts, one bullet each (the analyst's own
    text, when written, replaces it: notes.abs_ccas.enjeux_markdown); '' when the commentary is switched off."""
    return _faits_marquants(ctx, comp, refs, faits_note) if sections(commentaire) else ""


def _faits_marquants(ctx, comp: pd.DataFrame, refs: list[Territoire], faits_note: Faits | None) -> str:
    f = faits_note or faits(ctx.vue, comp, refs)
    return redaction.faits_marquants(f.grille, ctx.glossaire, f.dispersion) if not f.grille.empty else ""


def lecture(ctx, comp: pd.DataFrame, refs: list[Territoire], commentaire=TOUTES,
            faits_note: Faits | None = None, cles: tuple[str, ...] | list[str] = ()) -> str:
    """« Ce que disent ces chiffres »: per theme, from the most notable, the note's key figures (cles) and the
    glossary's indicateurs_par_theme most salient indicators against the nearest reference and those on the other
    side, the others named when close to their references or counted (the table holds them all), then why some
    figures are not commented and the caveats, each once; '' when switched off."""
    if "lecture" not in sections(commentaire):
        return ""
    f = faits_note or faits(ctx.vue, comp, refs)
    if f.grille.empty:
        return ""
    texte = redaction.commentaire(f.grille, ctx.glossaire, dispersion=f.dispersion, rangs=f.rangs,
                                  fragilites=f.fragilites, avec_synthese=False, par_theme=True, concis=True,
                                  cles=cles, petit_effectif=f.petit_effectif)
    return _bloc("Ce que disent ces chiffres", texte)


def evolution(ctx, refs: list[Territoire], panneaux: list, commentaire=TOUTES) -> str:
    """« Ce que montre le graphique »: after an evolution figure (panneaux: present.charts.series_evolution), how
    the territory's figures moved and whether each gap with its references narrowed or widened; '' when switched
    off or when no figure has two published years."""
    if "evolution" not in sections(commentaire):
        return ""
    noms = {t.libelle: fr.nom_territoire(t.libelle, t.niveau, t.article) for t in refs}
    texte = redaction.commentaire_evolution(panneaux, noms[refs[0].libelle], noms)
    return _bloc("Ce que montre le graphique", texte)


def communes(ctx, epci: Territoire, cote: pd.DataFrame, commentaire=TOUTES) -> str:
    """« Les communes qui se distinguent » of an intercommunality's note, after its side-by-side table (cote:
    notes.epci.communes_cote_a_cote); '' when switched off."""
    if "communes" not in sections(commentaire):
        return ""
    nom = fr.nom_territoire(epci.libelle, epci.niveau, epci.article)
    return _bloc("Les communes qui se distinguent", redaction.commentaire_communes(cote, ctx.glossaire, nom))

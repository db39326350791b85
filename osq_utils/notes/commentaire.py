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
from osq_utils.indicateurs import Territoire
from osq_utils.indicateurs.commentaire import Fragilite, Rang, fragile, rang
from osq_utils.notes.base import SECTIONS_COMMENTAIRE
from osq_utils.present import commentaire as redaction
from osq_utils.present import fr
from osq_utils.present.tables import lignes_du_territoire

TOUTES = ",".join(SECTIONS_COMMENTAIRE)
# References the commentary compares with: the nearest intercommunality, the département, France, the stratum.
NIVEAUX_COMMENTES = ("commune", "arm", "qpv", "epci", "ept", "departement", "france", "strate")


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
    fragilites: dict[str, Fragilite] = field(default_factory=dict)


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
    annees = own.set_index("indicateur")["annee"]
    for t, communes in _pairs(vue, refs):
        obs = vue.observations("commune", list(communes), list(annees.index), annees=annees.astype(int).to_dict())
        groupe = f"communes {fr.de_nom(fr.nom_territoire(t.libelle, t.niveau, t.article))}"
        for code, part in obs.groupby("indicateur", sort=False):
            ind = vue.glossaire[code]
            valeurs = pd.Series(part["valeur"].where(part["statut"] == "ok").to_numpy(), index=part["code"].to_numpy())
            valeurs = valeurs.reindex(list(communes))  # a commune without the figure is never ranked
            r = rang(valeurs, sujet.code, decimales=ind.decimales)
            if r is not None:
                out.rangs.setdefault(code, []).append((r, groupe))
            if t.niveau == "departement":
                sd = valeurs.dropna().std()
                if pd.notna(sd) and sd > 0:
                    out.dispersion[code] = float(sd)
    population = grille[(grille["indicateur"] == "population") & (grille["code"] == sujet.code)]
    effectif = float(population["valeur"].iloc[0]) if len(population) and population["statut"].iloc[0] == "ok" else None
    first = grille[(grille["niveau"] == sujet.niveau) & (grille["code"] == sujet.code)]
    for _, r in first.iterrows():
        ind = vue.glossaire[r["indicateur"]]
        if ind.type == "compte":
            continue
        f = fragile(r, ind, effectif)
        if f is not None:
            out.fragilites[r["indicateur"]] = f
    return out


def synthese(ctx, comp: pd.DataFrame, refs: list[Territoire], commentaire=TOUTES,
             faits_note: Faits | None = None) -> str:
    """« L'essentiel »: the note's most notable facts, as a callout; '' when switched off or nothing stands out."""
    if "synthese" not in sections(commentaire):
        return ""
    puces = _faits_marquants(ctx, comp, refs, faits_note)
    if not puces:
        return ""
    return ('::: {.callout-tip title="L\'essentiel"}\n' + puces + "\n\n" + redaction.AVERTISSEMENTS["description"]
            + "\n:::\n")


def brouillon_enjeux(ctx, comp: pd.DataFrame, refs: list[Territoire], commentaire=TOUTES,
                     faits_note: Faits | None = None) -> str:
    """A draft of an ABS theme's « enjeux »: the theme's most notable facts, one bullet each (the analyst's own
    text, when written, replaces it: notes.abs_ccas.enjeux_markdown); '' when the commentary is switched off."""
    return _faits_marquants(ctx, comp, refs, faits_note) if sections(commentaire) else ""


def _faits_marquants(ctx, comp: pd.DataFrame, refs: list[Territoire], faits_note: Faits | None) -> str:
    f = faits_note or faits(ctx.vue, comp, refs)
    return redaction.faits_marquants(f.grille, ctx.glossaire, f.dispersion) if not f.grille.empty else ""


def lecture(ctx, comp: pd.DataFrame, refs: list[Territoire], commentaire=TOUTES,
            faits_note: Faits | None = None) -> str:
    """« Ce que disent ces chiffres »: every compared indicator, themes from the most notable, the nearest reference
    and those on the other side (the table holds the rest), then why some figures are not commented and the
    caveats, each once; '' when switched off."""
    if "lecture" not in sections(commentaire):
        return ""
    f = faits_note or faits(ctx.vue, comp, refs)
    if f.grille.empty:
        return ""
    texte = redaction.commentaire(f.grille, ctx.glossaire, dispersion=f.dispersion, rangs=f.rangs,
                                  fragilites=f.fragilites, avec_synthese=False, par_theme=True, concis=True)
    return "### Ce que disent ces chiffres\n\n" + texte + "\n" if texte else ""

"""The automatic commentary in French (issue 16): the facts of indicateurs.commentaire in a few sober sentences.

- Every figure in a sentence is the string the note's table prints (fr.valeur_observation), every gap one the
  printed figures give (points, a percentage of the reference's level, a share of its total).
- No sentence for a secret, missing or not comparable figure: the reasons are said once per note (`raisons`).
- A caveat is said once per note (`Redaction.avertissements`), a fragile figure's hedge once per indicator.
- Varied but sober wording: each kind of sentence has three equivalent frames, taken in turn by one counter per
  note (`Redaction`), so that no frame comes twice in a row and identical reruns give identical text.
- Words describe: no cause, no judgement of a policy (MOTS_CAUSAUX never appear).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from osq_utils.catalogues.glossaire import Glossaire, Indicateur
from osq_utils.indicateurs.commentaire import (
    SEUIL_EFFECTIF_FAIBLE,
    Fragilite,
    Position,
    Rang,
    faits_saillants,
    par_indicateur,
    position,
    saillance,
    silences,
)
from osq_utils.indicateurs.ecarts import EvolutionEcart
from osq_utils.present import fr
from osq_utils.present.ecarts import phrase_evolution, points_sans_signe, seuils_texte

# Words no sentence may hold: the commentary describes figures, it never explains them.
MOTS_CAUSAUX = ("à cause", "en raison", "grâce", "explique", "effet")

# A gap against one reference: three frames, each worded for each direction ('egal': a printed gap of zero).
CADRES_POSITION = (
    {"superieur": "la valeur {de_sujet} ({v}) dépasse de {g} celle {de_ref} ({vr})",
     "inferieur": "la valeur {de_sujet} ({v}) est inférieure de {g} à celle {de_ref} ({vr})",
     "proche": "la valeur {de_sujet} ({v}) est proche de celle {de_ref} ({vr}), à {g} près",
     "egal": "la valeur {de_sujet} ({v}) est égale à celle {de_ref} ({vr})"},
    {"superieur": "{a_sujet}, la valeur ({v}) se situe {g} au-dessus de celle {de_ref} ({vr})",
     "inferieur": "{a_sujet}, la valeur ({v}) se situe {g} en dessous de celle {de_ref} ({vr})",
     "proche": "{a_sujet}, la valeur ({v}) est proche de celle {de_ref} ({vr}), à {g} près",
     "egal": "{a_sujet}, la valeur ({v}) est la même que celle {de_ref} ({vr})"},
    {"superieur": "face {a_ref} ({vr}), {sujet} ({v}) se place {g} au-dessus",
     "inferieur": "face {a_ref} ({vr}), {sujet} ({v}) se place {g} en dessous",
     "proche": "face {a_ref} ({vr}), {sujet} ({v}) se place à un niveau proche, à {g} près",
     "egal": "face {a_ref} ({vr}), {sujet} ({v}) se place au même niveau"},
)
# A count: the subject's share of the reference's total.
CADRES_PART = (
    "{sujet} en compte {v}, soit {p} du total {de_ref} ({vr})",
    "avec {v}, {sujet} représente {p} du total {de_ref} ({vr})",
    "{sujet} ({v}) pèse {p} du total {de_ref} ({vr})",
)
# A rank among peers; {n_e}: the ordinal (« 3e »), empty for the first.
CADRES_RANG = (
    "{sujet} a la {n_e}valeur la plus {bout} des {classes} {groupe}",
    "parmi les {classes} {groupe}, la valeur {de_sujet} est la {n_e}plus {bout}",
    "sur les {classes} {groupe}, {sujet} présente la {n_e}valeur la plus {bout}",
)
# How a gap moved (the rest of the sentence is present.ecarts.phrase_evolution).
CADRES_EVOLUTION = ("face {a_ref_court}, {phrase}", "par rapport {a_ref_court}, {phrase}", "vis-à-vis {de_ref}, {phrase}")

AVERTISSEMENTS = {
    "description": "Ces phrases décrivent les chiffres des tableaux, sans en chercher l'origine ; elles ne jugent "
                   "aucune politique.",
    "proche": f"Un écart est dit « proche » s'il est de {seuils_texte()} : la même règle dit un écart « resté "
              "stable » d'une année à l'autre.",
    "fragile": f"Un chiffre est dit fragile lorsqu'il repose sur moins de {fr.nombre(SEUIL_EFFECTIF_FAIBLE)} ménages "
               "ou personnes, qu'il est publié arrondi ou qu'il est estimé : de petits écarts n'y sont pas lisibles.",
}
RAISONS_SILENCE = {
    "secret": fr.RAISONS[fr.MARQUE_SECRET],
    "absent": fr.RAISONS[fr.MARQUE_ABSENT],
    "non_publie": fr.RAISONS[fr.MARQUE_NON_PUBLIE],
    "sans_objet": "sans objet (un effectif ne se compare qu'au total d'un territoire qui le contient)",
}


@dataclass
class Redaction:
    """One note's commentary state: the frame counter and the caveats to say once, at the end."""

    tour: int = 0
    dits: list[str] = field(default_factory=list)  # keys of AVERTISSEMENTS, in the order first needed

    def cadre(self, n: int = 3) -> int:
        i = self.tour % n
        self.tour += 1
        return i

    def signale(self, cle: str) -> None:
        if cle not in self.dits:
            self.dits.append(cle)

    def avertissements(self) -> str:
        """The caveats the sentences needed, each once."""
        return " ".join(AVERTISSEMENTS[k] for k in self.dits)


def _phrase(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _nom(r) -> str:
    article = r.get("article") if hasattr(r, "get") else None
    return fr.nom_territoire(r["territoire"], r["niveau"], article if isinstance(article, str) else None)


def _ligne(comp: pd.DataFrame, indicateur: str, niveau: str, code: str) -> dict:
    for r in comp.to_dict("records"):
        if r["indicateur"] == indicateur and r["niveau"] == niveau and str(r["code"]) == code:
            return r
    raise KeyError((indicateur, niveau, code))


def texte_ecart(p: Position, ind: Indicateur) -> str:
    """The gap of a position as a sentence writes it: '3,3 points', '12 %', a share '12 %' (or 'moins de 0,1 %')."""
    if p.mesure == "points":
        return points_sans_signe(p.ecart, p.decimales)
    if p.mesure == "rapport":
        return fr.pourcent(abs(p.pourcentage or 0.0), 0)
    if p.ecart == 0:
        return f"moins de {fr.pourcent(0.1, 1)}"
    return fr.pourcent(p.ecart, p.decimales)


def _est_nul(p: Position) -> bool:
    return p.ecart == 0 if p.mesure == "points" else p.pourcentage == 0


def phrase_position(comp: pd.DataFrame, p: Position, ind: Indicateur, redaction: Redaction) -> str:
    """One sentence (without its final point) of the subject against one reference."""
    first = comp.iloc[0]
    sujet = _ligne(comp, p.indicateur, first["niveau"], str(first["code"]))
    ref = _ligne(comp, p.indicateur, p.niveau, p.code)
    nom, nom_ref = _nom(sujet), _nom(ref)
    mots = dict(sujet=nom, de_sujet=fr.de_nom(nom), a_sujet=fr.a_nom(nom), ref=nom_ref, de_ref=fr.de_nom(nom_ref),
                a_ref=fr.a_nom(nom_ref),
                v=fr.valeur_observation(sujet, ind), vr=fr.valeur_observation(ref, ind), g=texte_ecart(p, ind),
                p=texte_ecart(p, ind))
    i = redaction.cadre()
    if p.mesure == "part":
        return CADRES_PART[i].format(**mots)
    if p.direction == "proche":
        redaction.signale("proche")
    cle = "egal" if p.direction == "proche" and _est_nul(p) else (p.direction or "proche")
    return CADRES_POSITION[i][cle].format(**mots)


def _ordinal(n: int) -> str:
    return "" if n == 1 else f"{n}e "


def phrase_rang(comp: pd.DataFrame, r: Rang, groupe: str, redaction: Redaction) -> str:
    """'Arques a la 3e valeur la plus élevée des 53 communes de la CA du Pays de Saint-Omer' (groupe: the peers,
    plural, as the sentence names them)."""
    nom = _nom(comp.iloc[0])
    groupe = f"{groupe} dont la valeur est publiée" if r.non_classes else groupe
    text = CADRES_RANG[redaction.cadre()].format(
        sujet=nom, de_sujet=fr.de_nom(nom), n_e=_ordinal(r.rang), bout="élevée" if r.depuis == "haut" else "faible",
        classes=fr.nombre(r.classes), groupe=groupe)
    if r.ex_aequo:
        autres = "une autre" if r.ex_aequo == 1 else f"{fr.nombre(r.ex_aequo)} autres"
        text += f" (à égalité avec {autres})"
    return text


def phrase_evolution_reference(nom_reference: str, niveau: str, evo: EvolutionEcart, ind: Indicateur,
                               sujet: str, redaction: Redaction) -> str:
    """'Face à la CA du Pays de Saint-Omer, l'écart s'est réduit de 1,2 point entre 2016 et 2019 (…)'."""
    nom = fr.nom_territoire(nom_reference, niveau)
    phrase = phrase_evolution(evo, ind, de_reference=fr.de_nom(nom), territoire=fr.de_nom(sujet))
    return CADRES_EVOLUTION[redaction.cadre()].format(ref=nom, a_ref_court=fr.a_nom(nom), de_ref=fr.de_nom(nom),
                                                      phrase=phrase)


def phrase_fragile(f: Fragilite) -> str:
    """The hedge of a fragile figure, said once for its indicator."""
    parts = []
    if "effectif_faible" in f.motifs:
        parts.append(f"repose sur un petit effectif ({fr.nombre(f.effectif)})")
    if "arrondi" in f.motifs:
        parts.append("est publié arrondi")
    if "estime" in f.motifs:
        parts.append("est estimé")
    return f"Chiffre fragile, à lire avec prudence : il {fr.liste(parts)}."


def phrases_indicateur(comp: pd.DataFrame, indicateur: str, glossaire: Glossaire, *,
                       rangs: list[tuple[Rang, str]] | None = None, fragilite: Fragilite | None = None,
                       evolutions: dict[str, EvolutionEcart] | None = None,
                       redaction: Redaction | None = None, concis: bool = False) -> list[str]:
    """The sentences on one indicator of the grid: the subject against each reference with a figure, its rank
    among peers when remarkable (rangs: (Rang, peers as the sentence names them)), how each gap moved
    (evolutions: reference name -> evolution_ecart), and the hedge of a fragile figure, once.

    [] when the subject's figure is secret or missing, or when no reference can be compared: `raisons` says why,
    once per note. The first sentence names the indicator and its year. With `concis`, the nearest reference only,
    and those the territory stands on the other side of (the table holds every figure).
    """
    redaction = redaction if redaction is not None else Redaction()
    ind = glossaire[indicateur]
    positions = position(comp, indicateur, glossaire)
    if not positions:
        return []
    if concis:  # the nearest reference, then only those on the other side of the territory (the table has the rest)
        positions = positions[:1] + [p for p in positions[1:] if p.mesure != "part" and p.direction != positions[0].direction]
    textes = [phrase_position(comp, p, ind, redaction) for p in positions]
    annee = positions[0].annee
    out = [f"{ind.libelle}{f', en {annee}' if annee else ''} : {textes[0]}."] + [_phrase(t) for t in textes[1:]]
    for r, groupe in rangs or []:
        if r is not None and r.remarquable:
            out.append(_phrase(phrase_rang(comp, r, groupe, redaction)))
    first = comp.iloc[0]
    niveaux = dict(zip(comp["territoire"], comp["niveau"]))
    for name, evo in (evolutions or {}).items():
        if evo.tendance in ("aucune", "une_annee"):
            continue
        out.append(_phrase(phrase_evolution_reference(name, niveaux.get(name, ""), evo, ind, _nom(first), redaction)))
        if evo.tendance == "stable":
            redaction.signale("proche")
    if fragilite is not None:
        out.append(phrase_fragile(fragilite))
        redaction.signale("fragile")
    redaction.signale("description")
    return out


def faits_marquants(comp: pd.DataFrame, glossaire: Glossaire, dispersion: dict[str, float] | None = None, *,
                    n: int = 5, redaction: Redaction | None = None) -> str:
    """Markdown bullets: the note's most salient facts (up to n, from 3 to 5 in a full note); '' when no gap reads
    as one (« L'essentiel » of a note, the draft of an ABS theme's enjeux)."""
    redaction = redaction if redaction is not None else Redaction()
    faits = faits_saillants(comp, glossaire, dispersion, n)
    if not faits:
        return ""
    lignes = []
    parts = par_indicateur(comp)
    for p in faits:
        ind = glossaire[p.indicateur]
        text = phrase_position(parts[p.indicateur], p, ind, redaction)
        lignes.append(f"- {ind.libelle} : {text}.")
    redaction.signale("description")
    return "\n".join(lignes)


def synthese(comp: pd.DataFrame, glossaire: Glossaire, dispersion: dict[str, float] | None = None, *,
             n: int = 5, redaction: Redaction | None = None) -> str:
    """« L'essentiel » titled in bold, over faits_marquants; '' when no gap reads as one."""
    puces = faits_marquants(comp, glossaire, dispersion, n=n, redaction=redaction)
    return "**L'essentiel**\n\n" + puces if puces else ""


def raisons(comp: pd.DataFrame, glossaire: Glossaire) -> str:
    """Why some figures are not commented, one sentence per reason and set of territories, each said once per
    note: '' when every figure is."""
    articles = dict(zip(comp["territoire"], comp["article"])) if "article" in comp else {}
    territoires: dict[tuple[str, str], list[str]] = {}  # (motif, indicator) -> territories
    for s in silences(comp, glossaire):
        article = articles.get(s.territoire)
        nom = fr.nom_territoire(s.territoire, s.niveau, article if isinstance(article, str) else None)
        territoires.setdefault((s.motif, s.indicateur), []).append(nom)
    groups: dict[str, dict[tuple[str, ...], list[str]]] = {}  # motif -> territories -> indicators
    for (motif, code), noms in territoires.items():
        groups.setdefault(motif, {}).setdefault(tuple(noms), []).append(fr.minuscule(glossaire[code].libelle))
    phrases = [f"Non commentés ({RAISONS_SILENCE[motif]}) : "
               + " ; ".join(f"{fr.liste(libelles)} pour {fr.liste(list(noms))}" for noms, libelles in by.items()) + "."
               for motif, by in groups.items()]
    return " ".join(phrases)


def commentaire(comp: pd.DataFrame, glossaire: Glossaire, *, dispersion: dict[str, float] | None = None,
                rangs: dict[str, list[tuple[Rang, str]]] | None = None,
                fragilites: dict[str, Fragilite] | None = None,
                evolutions: dict[str, dict[str, EvolutionEcart]] | None = None,
                avec_synthese: bool = True, par_theme: bool = False, concis: bool = False) -> str:
    """Markdown of a note's whole commentary: its summary (avec_synthese), a paragraph per indicator (most salient
    first, then the others in the grid's order; par_theme: under their theme, in bold, the theme of the most
    salient first), the reasons of its silences and its caveats (in italics), each once."""
    redaction = Redaction()
    blocs = [synthese(comp, glossaire, dispersion, redaction=redaction)] if avec_synthese else []
    scores = saillance(comp, glossaire, dispersion)
    parts = par_indicateur(comp)
    ordre = list(scores.index) + [c for c in parts if c not in scores.index]
    themes: dict[str | None, list[str]] = {}
    for code in ordre:
        themes.setdefault(glossaire[code].theme if par_theme else None, []).append(code)
    for theme, codes in themes.items():
        paragraphes = [" ".join(p) for p in (
            phrases_indicateur(parts[code], code, glossaire, rangs=(rangs or {}).get(code),
                               fragilite=(fragilites or {}).get(code), evolutions=(evolutions or {}).get(code),
                               redaction=redaction, concis=concis) for code in codes) if p]
        if paragraphes and theme is not None:
            blocs.append(f"**{glossaire.themes.get(theme, theme)}**")
        blocs += paragraphes
    avertissements = redaction.avertissements()
    blocs += [raisons(comp, glossaire), f"*{avertissements}*" if avertissements else ""]
    return "\n\n".join(b for b in blocs if b)

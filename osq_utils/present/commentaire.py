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

from osq_utils.catalogues.glossaire import Glossaire, Indicateur, SeuilsCommentaire
from osq_utils.indicateurs.commentaire import (
    Fragilite,
    Position,
    Rang,
    Selection,
    communes_distinctes,
    decimales_affichees,
    evolution_sujet,
    evolutions,
    faits_saillants,
    lignes,
    par_indicateur,
    position,
    saillance,
    selection_theme,
    silences,
)
from osq_utils.indicateurs.ecarts import (
    SEUIL_STABILITE_POINTS,
    SEUIL_STABILITE_RELATIF,
    EvolutionEcart,
    arrondi,
    en_points,
)
from osq_utils.present import fr
from osq_utils.present.ecarts import phrase_evolution, points_sans_signe, seuils_texte

# A ratio from which a gap reads « 2,3 fois » (a multiple) rather than a percentage.
SEUIL_MULTIPLE = 2.0
# Words no sentence may hold: the commentary describes figures, it never explains them.
MOTS_CAUSAUX = ("à cause", "en raison", "grâce", "explique", "effet")

# A gap against one reference: three frames, each worded for each direction ('egal': both figures print the same;
# 'multiple': a ratio of 2 or more, read « 2,3 fois » rather than « +130 % »; 'nul': a figure other than a rate at
# zero, read « nulle » rather than « 100 % en dessous »).
CADRES_POSITION = (
    {"superieur": "la valeur {de_sujet} ({v}) dépasse de {g} celle {de_ref} ({vr})",
     "inferieur": "la valeur {de_sujet} ({v}) est inférieure de {g} à celle {de_ref} ({vr})",
     "proche": "la valeur {de_sujet} ({v}) est proche de celle {de_ref} ({vr}), à {g} près",
     "egal": "la valeur {de_sujet} ({v}) est égale à celle {de_ref} ({vr})",
     "multiple": "la valeur {de_sujet} ({v}) vaut {k} fois celle {de_ref} ({vr})",
     "nul": "la valeur {de_sujet} est nulle ({v}), en dessous de celle {de_ref} ({vr})"},
    {"superieur": "{a_sujet}, la valeur ({v}) se situe {g} au-dessus de celle {de_ref} ({vr})",
     "inferieur": "{a_sujet}, la valeur ({v}) se situe {g} en dessous de celle {de_ref} ({vr})",
     "proche": "{a_sujet}, la valeur ({v}) est proche de celle {de_ref} ({vr}), à {g} près",
     "egal": "{a_sujet}, la valeur ({v}) est la même que celle {de_ref} ({vr})",
     "multiple": "{a_sujet}, la valeur ({v}) atteint {k} fois celle {de_ref} ({vr})",
     "nul": "{a_sujet}, la valeur est nulle ({v}), en dessous de celle {de_ref} ({vr})"},
    {"superieur": "face {a_ref} ({vr}), {sujet} ({v}) se place {g} au-dessus",
     "inferieur": "face {a_ref} ({vr}), {sujet} ({v}) se place {g} en dessous",
     "proche": "face {a_ref} ({vr}), {sujet} ({v}) se place à un niveau proche, à {g} près",
     "egal": "face {a_ref} ({vr}), {sujet} ({v}) se place au même niveau",
     "multiple": "face {a_ref} ({vr}), {sujet} ({v}) atteint {k} fois ce niveau",
     "nul": "face {a_ref} ({vr}), {sujet} est à zéro ({v})"},
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
    "fragile": "Un chiffre est dit fragile lorsque son territoire compte moins de {effectif_faible} habitants, qu'il est "
               "publié arrondi ou qu'il est estimé : de petits écarts n'y sont pas lisibles.",
}
RAISONS_SILENCE = {
    "secret": fr.RAISONS[fr.MARQUE_SECRET],
    "absent": fr.RAISONS[fr.MARQUE_ABSENT],
    "non_publie": fr.RAISONS[fr.MARQUE_NON_PUBLIE],
    "sans_objet": "sans objet : un effectif ne se compare qu'au total d'un territoire qui le contient",
}


@dataclass
class Redaction:
    """One note's commentary state: the frame counter and the caveats to say once, at the end."""

    seuils: SeuilsCommentaire | None = None  # the glossary's, for the caveats that state them
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
        seuils = {"effectif_faible": fr.nombre(self.seuils.effectif_faible)} if self.seuils is not None else {}
        return " ".join(AVERTISSEMENTS[k].format(**seuils) for k in self.dits)


def _phrase(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _nom(r) -> str:
    article = r.get("article") if hasattr(r, "get") else None
    return fr.nom_territoire(r["territoire"], r["niveau"], article if isinstance(article, str) else None)


def _ligne(comp: pd.DataFrame, indicateur: str, niveau: str, code: str) -> dict:
    for r in lignes(comp):
        if r["indicateur"] == indicateur and r["niveau"] == niveau and str(r["code"]) == code:
            return r
    raise KeyError((indicateur, niveau, code))


def texte_ecart(p: Position, ind: Indicateur) -> str:
    """The gap of a position as a sentence writes it: '3,3 points', '12 %', a share '12 %' (or 'moins de 0,1 %')."""
    if p.mesure == "points":
        if p.ecart == 0 and not _est_nul(p):  # 22 % and 21,6 %: a gap below what the coarser figure shows
            return "moins d'un point" if p.decimales == 0 else f"moins de {points_sans_signe(10 ** -p.decimales, p.decimales)}"
        return points_sans_signe(p.ecart, p.decimales)
    if p.mesure == "rapport":
        if p.pourcentage == 0 and not _est_nul(p):
            return f"moins de {fr.pourcent(1, 0)}"
        return fr.pourcent(abs(p.pourcentage or 0.0), 0)
    if p.ecart == 0:
        return f"moins de {fr.pourcent(0.1, 1)}"
    return fr.pourcent(p.ecart, p.decimales)


def _est_nul(p: Position) -> bool:
    """Both figures print the same: « égale », « la même », « au même niveau »."""
    return p.valeur == p.valeur_reference


def phrase_position(comp: pd.DataFrame, p: Position, ind: Indicateur, redaction: Redaction) -> str:
    """One sentence (without its final point) of the subject against one reference."""
    first = lignes(comp)[0]
    sujet = _ligne(comp, p.indicateur, first["niveau"], str(first["code"]))
    ref = _ligne(comp, p.indicateur, p.niveau, p.code)
    nom, nom_ref = _nom(sujet), _nom(ref)
    mots = dict(sujet=nom, de_sujet=fr.de_nom(nom), a_sujet=fr.a_nom(nom), ref=nom_ref, de_ref=fr.de_nom(nom_ref),
                a_ref=fr.a_nom(nom_ref),
                v=fr.valeur_observation(sujet, ind), vr=fr.valeur_observation(ref, ind), g=texte_ecart(p, ind),
                p=texte_ecart(p, ind), k=fr.nombre(arrondi(p.ecart, 1), 1))
    i = redaction.cadre()
    if p.mesure == "part":
        return CADRES_PART[i].format(**mots)
    if p.direction == "proche":
        redaction.signale("proche")
    cle = "egal" if p.direction == "proche" and _est_nul(p) else (p.direction or "proche")
    if p.mesure == "rapport" and p.valeur == 0:
        cle = "nul"
    elif p.mesure == "rapport" and p.ecart >= SEUIL_MULTIPLE:
        cle = "multiple"
    return CADRES_POSITION[i][cle].format(**mots)


def _ordinal(n: int) -> str:
    return "" if n == 1 else f"{n}e "


def phrase_rang(comp: pd.DataFrame, r: Rang, groupe: str, redaction: Redaction) -> str:
    """'Arques a la 3e valeur la plus élevée des 53 communes de la CA du Pays de Saint-Omer' (groupe: the peers,
    plural, as the sentence names them)."""
    nom = _nom(lignes(comp)[0])
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


def phrase_petit_effectif(nom: str, population: float) -> str:
    """The caveat of a small territory, said once per note (not once per figure)."""
    return (f"{nom[:1].upper()}{nom[1:]} compte {fr.nombre(population)}{fr.NBSP}habitants : ses chiffres reposent sur un "
            "petit effectif, où quelques ménages suffisent à déplacer un taux ; ses écarts aux références sont à "
            "lire avec prudence.")


def phrase_fragile(f: Fragilite) -> str:
    """The hedge of a fragile figure, said once for its indicator: « Chiffre fragile, à lire avec prudence :
    territoire de 850 habitants, valeur publiée arrondie. »"""
    parts = []
    if "effectif_faible" in f.motifs:
        parts.append(f"territoire de {fr.nombre(f.effectif)}{fr.NBSP}habitants")
    if "arrondi" in f.motifs:
        parts.append("valeur publiée arrondie")
    if "estime" in f.motifs:
        parts.append("valeur estimée")
    return f"Chiffre fragile, à lire avec prudence : {', '.join(parts)}."


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
    redaction = redaction if redaction is not None else Redaction(glossaire.seuils)
    ind = glossaire[indicateur]
    positions = position(comp, indicateur, glossaire)
    if not positions:
        return []
    if concis:  # the nearest reference, then only those on the other side of the territory (the table has the rest)
        positions = positions[:1] + [p for p in positions[1:] if p.mesure != "part" and p.direction != positions[0].direction]
    textes = [phrase_position(comp, p, ind, redaction) for p in positions]
    annee = positions[0].annee
    out = [f"{ind.libelle}{f', en {annee}' if annee else ''} : {textes[0]}."] + [_phrase(t) for t in textes[1:]]
    dits = set()
    for r, groupe in rangs or []:
        # the same rank among the same number of peers (the département's published figures are the
        # intercommunality's) is said once
        if r is not None and r.remarquable(glossaire.seuils) and (r.rang, r.classes, r.depuis) not in dits:
            out.append(_phrase(phrase_rang(comp, r, groupe, redaction)))
            dits.add((r.rang, r.classes, r.depuis))
    first = lignes(comp)[0]
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
                    n: int | None = None, redaction: Redaction | None = None) -> str:
    """Markdown bullets: the note's most salient facts (up to n, the glossary's faits_max by default); '' when no
    gap reads as one (« L'essentiel » of a note, the draft of an ABS theme's enjeux)."""
    redaction = redaction if redaction is not None else Redaction(glossaire.seuils)
    faits = faits_saillants(comp, glossaire, dispersion, n)
    if not faits:
        return ""
    puces = []
    parts = par_indicateur(comp)
    for p in faits:
        ind = glossaire[p.indicateur]
        text = phrase_position(parts[p.indicateur], p, ind, redaction)
        puces.append(f"- {ind.libelle} : {text}.")
    redaction.signale("description")
    return "\n".join(puces)


def synthese(comp: pd.DataFrame, glossaire: Glossaire, dispersion: dict[str, float] | None = None, *,
             n: int | None = None, redaction: Redaction | None = None) -> str:
    """« L'essentiel » titled in bold, over faits_marquants; '' when no gap reads as one."""
    puces = faits_marquants(comp, glossaire, dispersion, n=n, redaction=redaction)
    return "**L'essentiel**\n\n" + puces if puces else ""


LISTE_MAX = 8  # beyond, the indicators a reason silences are counted, the table's marks naming them


def _indicateurs(libelles: list[str], motif: str) -> str:
    if len(libelles) <= LISTE_MAX:
        return fr.liste(libelles)
    marque = {"secret": fr.MARQUE_SECRET, "absent": fr.MARQUE_ABSENT, "non_publie": fr.MARQUE_NON_PUBLIE}.get(motif)
    return f"{fr.nombre(len(libelles))} indicateurs" + (f" (marqués « {marque} » dans le tableau)" if marque else "")


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
               + " ; ".join(f"{_indicateurs(libelles, motif)} pour {fr.liste(list(noms))}" for noms, libelles in by.items())
               + "." for motif, by in groups.items()]
    return " ".join(phrases)


def phrase_reste(choix: Selection, glossaire: Glossaire, redaction: Redaction) -> str:
    """What a concise reading of a theme does not detail: the indicators close to every reference, named; how many
    others the table holds. '' when none."""
    out = []
    if choix.proches:
        redaction.signale("proche")
        libelles = [fr.minuscule(glossaire[c].libelle) for c in choix.proches]
        out.append(("Proche de ses références : " if len(libelles) == 1 else "Proches de leurs références : ")
                   + f"{fr.liste(libelles)}.")
    if choix.autres:
        n = len(choix.autres)
        out.append("L'autre indicateur du thème est dans le tableau." if n == 1
                   else f"Les {fr.nombre(n)} autres indicateurs du thème sont dans le tableau.")
    return " ".join(out)


def commentaire(comp: pd.DataFrame, glossaire: Glossaire, *, dispersion: dict[str, float] | None = None,
                rangs: dict[str, list[tuple[Rang, str]]] | None = None,
                fragilites: dict[str, Fragilite] | None = None,
                evolutions: dict[str, dict[str, EvolutionEcart]] | None = None,
                avec_synthese: bool = True, par_theme: bool = False, concis: bool = False,
                cles: tuple[str, ...] | list[str] = (), petit_effectif: float | None = None) -> str:
    """Markdown of a note's whole commentary: its summary (avec_synthese), a paragraph per indicator (most salient
    first, then the others in the grid's order; par_theme: under their theme, in bold, the theme of the most
    salient first), the reasons of its silences and its caveats (in italics), each once. With `concis`, per theme
    the note's key figures (cles) and the most salient (indicateurs.commentaire.selection_theme). petit_effectif:
    the territory's population when below the glossary's effectif_faible, said once before the paragraphs."""
    redaction = Redaction(glossaire.seuils)
    blocs = [synthese(comp, glossaire, dispersion, redaction=redaction)] if avec_synthese else []
    if petit_effectif is not None and not comp.empty:
        blocs.append(phrase_petit_effectif(_nom(lignes(comp)[0]), petit_effectif))
        redaction.signale("fragile")
    scores = saillance(comp, glossaire, dispersion)
    parts = par_indicateur(comp)
    ordre = list(scores.index) + [c for c in parts if c not in scores.index]
    themes: dict[str | None, list[str]] = {}
    for code in ordre:
        themes.setdefault(glossaire[code].theme if par_theme else None, []).append(code)
    for theme, codes in themes.items():
        choix = selection_theme(comp, codes, scores, glossaire, cles) if concis else None
        paragraphes = [" ".join(p) for p in (
            phrases_indicateur(parts[code], code, glossaire, rangs=(rangs or {}).get(code),
                               fragilite=(fragilites or {}).get(code), evolutions=(evolutions or {}).get(code),
                               redaction=redaction, concis=concis)
            for code in (choix.gardes if choix is not None else codes)) if p]
        if choix is not None:
            paragraphes += [phrase_reste(choix, glossaire, redaction)]
        if any(paragraphes) and theme is not None:
            blocs.append(f"**{glossaire.themes.get(theme, theme)}**")
        blocs += [p for p in paragraphes if p]
    avertissements = redaction.avertissements()
    blocs += [raisons(comp, glossaire), f"*{avertissements}*" if avertissements else ""]
    return "\n\n".join(b for b in blocs if b)


# --- Evolution over the years (the note's evolution figure) ----------------------------------------

# How the subject's own figure moved: three frames, in turn ({mot}: 'en hausse', 'en baisse', 'quasi stable').
CADRES_PROPRE = (
    "{libelle} {de_sujet} : {v0} en {y0}, {v1} en {y1} ({delta}), {mot}",
    "{libelle} : {a_sujet}, de {v0} en {y0} à {v1} en {y1} ({delta}), {mot}",
    "{libelle} : {mot} {a_sujet} entre {y0} et {y1}, de {v0} à {v1} ({delta})",
)
# How the gaps with the references moved, grouped by tendance (indicateurs.ecarts.evolution_ecart).
VERBES_ECART = {"reduit": "s'est réduit", "creuse": "s'est creusé", "inverse": "s'est inversé",
                "stable": "est resté stable"}


def _ligne_annee(series: pd.DataFrame, territoire: str, annee: int | None) -> dict | None:
    return next((r for r in lignes(series) if r["territoire"] == territoire and r["annee"] == annee), None)


def _decimales(rows: list, ind: Indicateur) -> int:
    """Decimals of a difference of printed figures: the coarser of theirs (never a decimal one lacks)."""
    return min((decimales_affichees(r, ind) for r in rows if r is not None), default=ind.decimales)


def phrase_propre(series: pd.DataFrame, ind: Indicateur, sujet: str, redaction: Redaction) -> str:
    """'Taux de pauvreté d'Arques : 23 % en 2015, 20,0 % en 2021 (-3 points), en baisse' (without its final point),
    each figure as the series table prints it; '' when fewer than two years are published."""
    evo = evolution_sujet(series, ind)
    if evo.tendance in ("aucune", "une_annee") or evo.valeur_debut is None or evo.valeur_fin is None:
        return ""
    nom = series["territoire"].iat[0]
    r0, r1 = _ligne_annee(series, nom, evo.annee_debut), _ligne_annee(series, nom, evo.annee_fin)
    d = _decimales([r0, r1], ind)
    delta_brut = evo.valeur_fin - evo.valeur_debut
    if en_points(ind):
        delta = fr.points(delta_brut, d)
        seuil = points_sans_signe(SEUIL_STABILITE_POINTS)
    else:
        delta = fr.nombre(delta_brut, d, signe=True) + (f"{fr.NBSP}{ind.unite}" if ind.unite else "")
        seuil = fr.pourcent(SEUIL_STABILITE_RELATIF * 100, 0)
    if arrondi(delta_brut, d) == 0:  # 21 % and 21,0 %: no « +0 point »
        delta = "même niveau"
    i = redaction.cadre()
    mot = {"hausse": "en hausse", "baisse": "en baisse",
           "stable": "quasi stable" if i == 2 else f"quasi stable (moins de {seuil} de variation)"}[evo.tendance]
    texte = CADRES_PROPRE[i].format(
        libelle=ind.libelle, de_sujet=fr.de_nom(sujet), a_sujet=fr.a_nom(sujet), v0=fr.valeur_observation(r0, ind),
        v1=fr.valeur_observation(r1, ind), y0=evo.annee_debut, y1=evo.annee_fin, delta=delta, mot=mot)
    trous = []
    if evo.annees_secret:
        trous.append(f"secret en {fr.liste([str(a) for a in evo.annees_secret])}")
    if evo.annees_manquantes:
        trous.append(f"sans chiffre en {fr.liste([str(a) for a in evo.annees_manquantes])}")
    return texte + (f" ; {', '.join(trous)}" if trous else "")


def _ecart_annee(evo_gap: float, ind: Indicateur, d: int) -> str:
    """A gap of one year as the evolution sentence writes it: '+3,0 points', or the subject's level as a
    percentage of the reference's ('94 %', the printed ratio × 0,94)."""
    if en_points(ind):
        return fr.points(evo_gap, d)
    return fr.pourcent(evo_gap * 100, 0)


def detail_ecart(series: pd.DataFrame, reference: str, evo: EvolutionEcart, ind: Indicateur,
                 sujet: str | None = None) -> str:
    """'+3,0 points en 2014, +1,8 point en 2019'; for a ratio '94 % en 2016 comme en 2019', preceded by
    « Arques à … de son niveau » when `sujet` is given (the first reference of a sentence)."""
    nom = series["territoire"].iat[0]
    rows = [_ligne_annee(series, t, a) for t in (nom, reference) for a in (evo.annee_debut, evo.annee_fin)]
    d = _decimales(rows, ind)
    assert evo.ecart_debut is not None and evo.ecart_fin is not None  # a followed gap has both
    a, b = _ecart_annee(evo.ecart_debut, ind, d), _ecart_annee(evo.ecart_fin, ind, d)
    if not en_points(ind) and sujet is not None:
        a = f"{sujet} à {a} de son niveau"
    if _ecart_annee(evo.ecart_debut, ind, d) == b:
        return f"{a} en {evo.annee_debut} comme en {evo.annee_fin}"
    return f"{a} en {evo.annee_debut}, {b} en {evo.annee_fin}"


def phrases_ecarts(series: pd.DataFrame, ind: Indicateur, noms: dict[str, str]) -> tuple[list[str], list[str]]:
    """Sentences on how the subject's gap with each reference moved, the references grouped by tendance; and the
    references whose gap cannot be followed (fewer than two years with both figures)."""
    evos = evolutions(series, ind)
    sujet = noms.get(series["territoire"].iat[0], series["territoire"].iat[0])
    groupes: dict[str, list[tuple[str, EvolutionEcart]]] = {}
    sans_suivi = []
    for name, evo in evos.items():
        if evo.tendance in ("aucune", "une_annee"):
            sans_suivi.append(noms.get(name, name))
        else:
            groupes.setdefault(evo.tendance, []).append((name, evo))
    out: list[str] = []
    for tendance in ("reduit", "creuse", "inverse", "stable"):
        items = [f"{fr.a_nom(noms.get(name, name))} ({detail_ecart(series, name, evo, ind, sujet if j == 0 else None)})"
                 for j, (name, evo) in enumerate(groupes.get(tendance, []))]
        if items:
            debut = "Il" if out else "L'écart"
            out.append(f"{debut} {VERBES_ECART[tendance]} face {fr.liste(items)}.")
    return out, sans_suivi


def commentaire_evolution(panneaux: list[tuple[Indicateur, pd.DataFrame]], sujet: str,
                          noms: dict[str, str] | None = None) -> str:
    """Markdown of what an evolution figure shows: per indicator (panneaux: its series, the subject's rows first,
    as indicateurs.evolution gives them), how the subject's figure moved, then whether its gap with each reference
    narrowed, widened or stayed stable (the evaluation note's rule, indicateurs.ecarts), from the figures as the
    series table prints them; the gaps that cannot be followed named once; the caveats once.
    noms: a territory's name in the series -> as a sentence writes it (« le Pas-de-Calais »)."""
    redaction = Redaction()
    paragraphes = []
    sans_suivi: dict[tuple[str, ...], list[str]] = {}  # references lost -> indicators
    references: set[str] = set()
    for ind, series in panneaux:
        propre = phrase_propre(series, ind, sujet, redaction) if not series.empty else ""
        if not propre:
            continue
        ecarts, perdus = phrases_ecarts(series, ind, noms or {})
        references |= set(list(dict.fromkeys(series["territoire"]))[1:])
        paragraphes.append(" ".join([_phrase(propre), *ecarts]))
        if ecarts:
            redaction.signale("proche")
        if perdus:
            sans_suivi.setdefault(tuple(perdus), []).append(fr.minuscule(ind.libelle))
    if not paragraphes:
        return ""
    if sans_suivi:
        tous = len(references)
        groupes = [f"{fr.liste(libelles)} face "
                   + ("à chacune des références" if len(perdus) == tous and tous > 1 else fr.liste([fr.a_nom(n) for n in perdus]))
                   for perdus, libelles in sans_suivi.items()]
        paragraphes.append("Écart non suivi, faute de deux années où les deux chiffres sont publiés : "
                           f"{' ; '.join(groupes)}.")
    redaction.signale("description")
    return "\n\n".join([*paragraphes, f"*{redaction.avertissements()}*"])


# --- Communes that stand out (an intercommunality's note) ------------------------------------------


def commentaire_communes(cote: pd.DataFrame, glossaire: Glossaire, nom_epci: str) -> str:
    """Markdown: the communes of an intercommunality that stand out of it (indicateurs.commentaire.
    communes_distinctes), one bullet each with its most distant figure against the intercommunality's, as the
    side-by-side table prints them, and its rank when remarkable; the rule said once."""
    distinctes = communes_distinctes(cote, glossaire)
    seuils = glossaire.seuils
    seuil = fr.nombre(seuils.ecart_type_distinction, 1)
    regle = (f"Une commune est citée lorsqu'un de ses chiffres s'écarte de celui {fr.de_nom(nom_epci)} d'au moins "
             f"{seuil} fois l'écart type des chiffres des communes ; au plus {fr.nombre(seuils.faits_max)}, les plus "
             f"éloignées d'abord. Les communes de moins de {fr.nombre(seuils.effectif_faible)}{fr.NBSP}habitants, aux "
             "chiffres fragiles, ne sont pas citées : le tableau des communes les donne toutes.")
    if not distinctes:
        return f"Aucune commune ne s'écarte nettement de l'ensemble {fr.de_nom(nom_epci)} sur ces indicateurs. *{regle}*"
    redaction = Redaction(seuils)
    puces = []
    # each commune's population as the side-by-side table prints it
    pop_ind = glossaire["population"] if "population" in glossaire else None
    populations = {str(r["code"]): fr.valeur_observation(r, pop_ind)
                   for r in cote[(cote["indicateur"] == "population") & (cote["niveau"] == "commune")
                                 & (cote["statut"] == "ok")].to_dict("records")} if pop_ind is not None else {}
    for d in distinctes:
        ind = glossaire[d.position.indicateur]
        grille = cote[(cote["indicateur"] == ind.code) & ((cote["code"].astype(str) == d.code) | (cote["niveau"] != "commune"))]
        grille = pd.concat([grille[grille["niveau"] == "commune"], grille[grille["niveau"] != "commune"]])
        qui = f"**{d.territoire}**"
        if d.code in populations:  # never under effectif_faible: communes_distinctes leaves those out
            qui += f" ({populations[d.code]}{fr.NBSP}habitants)"
        texte = f"- {qui}, {fr.minuscule(ind.libelle)} : {phrase_position(grille, d.position, ind, redaction)}"
        if d.rang is not None and d.rang.remarquable(glossaire.seuils):
            texte += " ; " + phrase_rang(grille, d.rang, "communes de l'intercommunalité", redaction)
        puces.append(texte + ".")
    redaction.signale("description")
    return "\n".join(puces) + f"\n\n*{regle} {redaction.avertissements()}*"


# --- The rules, for the glossary page --------------------------------------------------------------


def regles(seuils: SeuilsCommentaire) -> str:
    """Markdown of the commentary's rules and thresholds (the glossary's `commentaire:` and the stability rule of
    indicateurs.ecarts), for the glossary page."""
    return "\n".join([
        "## Règles du commentaire automatique {#commentaire-automatique}", "",
        "Les phrases des notes (« L'essentiel », « Ce que disent ces chiffres », « Ce que montre le graphique », "
        "« Les communes qui se distinguent ») sont écrites à partir des chiffres tels que les tableaux les "
        "affichent, avec ces règles :", "",
        f"- **Écart proche, écart stable** : un écart est dit « proche », et son évolution « restée stable », s'il "
        f"est de {seuils_texte()}. La même règle sert aux notes d'évaluation.",
        f"- **Chiffre fragile** : un chiffre est signalé fragile lorsque son territoire compte moins de "
        f"{fr.nombre(seuils.effectif_faible)} habitants, qu'il est publié arrondi ou qu'il est estimé.",
        f"- **Rang** : un rang n'est dit que parmi au moins {fr.nombre(seuils.pairs_min)} territoires dont le chiffre "
        f"est publié, et seulement dans les {fr.nombre(seuils.rang_remarquable)} premières ou dernières places ; un "
        "territoire au secret statistique ou sans chiffre n'est jamais classé.",
        f"- **L'essentiel** : au plus {fr.nombre(seuils.faits_max)} faits, ceux où le territoire s'écarte le plus de "
        "ses références (écart rapporté à la dispersion des communes du département).",
        f"- **Communes qui se distinguent** : une commune est citée dans la note de son intercommunalité lorsqu'un de "
        f"ses chiffres s'en écarte d'au moins {fr.nombre(seuils.ecart_type_distinction, 1)} fois l'écart type des "
        f"chiffres des communes ; au plus {fr.nombre(seuils.faits_max)}.",
        "- **Silences** : aucune phrase sur un chiffre au secret statistique, absent ou non comparable ; la raison "
        "est dite une fois par note.",
        "- **Prudence** : les phrases décrivent les chiffres, sans en chercher l'origine ni juger une politique.",
        "",
        "Ces seuils sont déclarés dans le glossaire de l'observatoire (data/glossaire.yml, rubrique "
        "« commentaire: »).",
    ])

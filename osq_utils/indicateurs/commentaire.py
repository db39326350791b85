"""Facts of the automatic commentary (issue 16): what a note can say about each indicator of its comparison
grid, computed here once, without a word of French (present.commentaire writes the sentences).

Every fact is computed from the figures **as the note's table prints them** (the precision their producer
published, else the glossary's; half-up rounding), so that a sentence never holds a figure the reader cannot
find in the table, nor a gap the table's figures do not give.

- **Position** (`position`): the subject (the grid's first territory) against each reference with a figure.
  A rate (unit %): the gap in points; another figure (amount, index, density, rate per 1 000): the ratio
  subject / reference, rounded to 2 decimals; a count: never a ratio of two populations, but the subject's share
  of the reference's total, and only when the reference holds the subject (a higher level, not a stratum).
  Direction: 'superieur', 'inferieur', or 'proche' when the printed gap is below the stability threshold of
  `indicateurs.ecarts` (the one rule shared with the evaluation note); a share has no direction.
- **Rank** (`rang`): a territory's rank among peers with a published value, ties sharing the best rank.
- **Salience** (`saillance`): how far the subject stands from its references, standardised by the spread of
  comparable territories; it orders the topics and picks the facts of the summary.
- **Fragility** (`fragile`): a figure resting on few households or persons, published rounded, or estimated.
- **Evolution** (`evolutions`): whether each gap narrowed, widened or stayed stable (`ecarts.evolution_ecart`).
- **Silences** (`silences`): the figures nothing is said about (secret, missing, not comparable), with why.

Thresholds are the glossary's (`commentaire:` of data/glossaire.yml, Glossaire.seuils, shown on the glossary
page): the population under which a figure is fragile, the peers and places that make a rank worth saying, the
facts of a summary, and the standard deviations by which a commune stands out of its intercommunality.

Facts describe figures; none of them measures a cause.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from osq_utils.catalogues.glossaire import Glossaire, Indicateur, SeuilsCommentaire, precision
from osq_utils.indicateurs.ecarts import (
    EvolutionEcart,
    EvolutionPropre,
    arrondi,
    decimales_ecart,
    ecart,
    ecarts_annuels,
    en_points,
    evolution_ecart,
    evolution_propre,
    seuil_stabilite,
    taille,
)

DIRECTIONS = ("superieur", "inferieur", "proche")
MESURES = ("points", "rapport", "part")
MOTIFS_FRAGILITE = ("effectif_faible", "arrondi", "estime")
MOTIFS_SILENCE = ("secret", "absent", "non_publie", "sans_objet")
# Levels from the smallest to the largest: a reference holds the subject when it stands higher (never a stratum).
ORDRE_NIVEAUX = ("iris", "qpv", "arm", "commune", "groupement", "ept", "epci", "departement", "region", "france")


def _missing(x) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x))


def decimales_affichees(r, ind: Indicateur) -> int:
    """The decimals a figure is printed with (catalogues.glossaire.precision, the rule the tables print with)."""
    return precision(r.get("decimales") if hasattr(r, "get") else None, ind.decimales)


def valeur_affichee(r, ind: Indicateur) -> float | None:
    """A row's figure rounded as the table prints it; None when secret or missing."""
    if r["statut"] != "ok" or _missing(r["valeur"]):
        return None
    return arrondi(float(r["valeur"]), decimales_affichees(r, ind))


def contient(niveau_reference: str, niveau_sujet: str) -> bool:
    """Whether a reference of this level holds the subject (its share of the reference's total means something)."""
    if niveau_reference not in ORDRE_NIVEAUX or niveau_sujet not in ORDRE_NIVEAUX:
        return False
    return ORDRE_NIVEAUX.index(niveau_reference) > ORDRE_NIVEAUX.index(niveau_sujet)


_PARTS: dict[int, dict[str, pd.DataFrame]] = {}


def par_indicateur(comp: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The grid split by indicator, once per grid object, the subject's row first in each part (the grid's order):
    every function here accepts such a part in place of the whole grid, at a fraction of the cost."""
    key = id(comp)
    if key not in _PARTS:
        parts = {code: part for code, part in comp.groupby("indicateur", sort=False)} if not comp.empty else {}
        # Each part's rows as dicts, from one to_dict of the whole grid (not one per part).
        by_indicator: dict[str, list[dict]] = {}
        for r in (lignes(comp) if parts else []):
            by_indicator.setdefault(r["indicateur"], []).append(r)
        for code, part in parts.items():
            _RECORDS[id(part)] = by_indicator[code]
            weakref.finalize(part, _RECORDS.pop, id(part), None)
        _PARTS[key] = parts
        weakref.finalize(comp, _PARTS.pop, key, None)
    return _PARTS[key]


# A grid's rows as dicts, computed once per grid object (every fact reads them one by one, many times).
_RECORDS: dict[int, list[dict]] = {}


def lignes(comp: pd.DataFrame) -> list[dict]:
    """comp.to_dict('records'), once per grid object (forgotten with it). A grid is never changed in place."""
    key = id(comp)
    if key not in _RECORDS:
        _RECORDS[key] = comp.to_dict("records")
        weakref.finalize(comp, _RECORDS.pop, key, None)
    return _RECORDS[key]


def _lignes(comp: pd.DataFrame, indicateur: str) -> tuple[dict | None, list[dict]]:
    """The subject's row (the grid's first territory) and the references' rows of one indicator, in order, as
    dicts (rows are read one by one: plain dicts, not pandas rows)."""
    if comp.empty:
        return None, []
    records = lignes(comp)
    niveau, code = records[0]["niveau"], records[0]["code"]
    rows = [r for r in records if r["indicateur"] == indicateur]
    sujet = [r for r in rows if r["niveau"] == niveau and r["code"] == code]
    return (sujet[0] if sujet else None), [r for r in rows if not (r["niveau"] == niveau and r["code"] == code)]


# --- Position ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """The subject against one reference, from the figures as printed."""

    indicateur: str
    niveau: str  # the reference's
    code: str
    territoire: str
    annee: int | None
    mesure: str  # 'points', 'rapport' or 'part' (MESURES)
    valeur: float  # the subject's figure, as printed
    valeur_reference: float  # the reference's, as printed
    ecart: float  # points; ratio subject / reference; or the subject's share of the reference, in %
    decimales: int  # of `ecart` as written (points: the coarser of both figures; ratio 2; share 0 or 1)
    direction: str | None  # 'superieur', 'inferieur', 'proche'; None for a share

    @property
    def pourcentage(self) -> float | None:
        """A ratio as a percentage gap, from the printed ratio: × 1,12 -> 12 (%), × 0,88 -> -12."""
        return arrondi((self.ecart - 1) * 100, 0) if self.mesure == "rapport" else None


def _position(sujet: dict, ref: dict, ind: Indicateur) -> Position | None:
    v, vr = valeur_affichee(sujet, ind), valeur_affichee(ref, ind)
    if v is None or vr is None:
        return None
    annee = None if _missing(ref["annee"]) else int(ref["annee"])
    common = dict(indicateur=ind.code, niveau=ref["niveau"], code=str(ref["code"]), territoire=ref["territoire"],
                  annee=annee, valeur=v, valeur_reference=vr)
    if ind.type == "compte":
        if not contient(ref["niveau"], sujet["niveau"]) or vr <= 0 or v > vr or v == 0:
            return None  # a count of zero is no share of anything: the table says 0
        share = 100 * v / vr
        d = 0 if share >= 10 else 1
        return Position(mesure="part", ecart=arrondi(share, d), decimales=d, direction=None, **common)
    gap = ecart(v, vr, ind)
    if gap is None:
        return None
    if en_points(ind):
        d = min(decimales_affichees(sujet, ind), decimales_affichees(ref, ind))  # no decimal one lacks
        mesure = "points"
    else:
        d = decimales_ecart(ind)
        mesure = "rapport"
    gap = arrondi(gap, d)
    size = taille(gap, ind)
    if size < seuil_stabilite(ind) - 1e-9:
        direction = "proche"
    else:
        direction = "superieur" if (gap > 0 if en_points(ind) else gap > 1) else "inferieur"
    return Position(mesure=mesure, ecart=gap, decimales=d, direction=direction, **common)


def position(comp: pd.DataFrame, indicateur: str, glossaire: Glossaire) -> list[Position]:
    """The subject against each reference with a figure, in the grid's order; [] when the subject's is secret or
    missing. A count is compared only with a reference that holds the subject (its share of that total)."""
    ind = glossaire[indicateur]
    sujet, refs = _lignes(comp, indicateur)
    if sujet is None or valeur_affichee(sujet, ind) is None:
        return []
    return [p for p in (_position(sujet, r, ind) for r in refs) if p is not None]


# --- Silences ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Silence:
    """A figure the commentary says nothing about, and why (MOTIFS_SILENCE)."""

    indicateur: str
    niveau: str
    code: str
    territoire: str
    motif: str  # 'secret', 'absent' (from the observatory's sources), 'non_publie' (at that level), 'sans_objet'
    sujet: bool  # the note's own territory (nothing is said on the indicator), else one reference


def _motif(r: dict, ind: Indicateur) -> str:
    if r["statut"] == "secret":
        return "secret"
    return "absent" if ind.publie_a(r["niveau"]) else "non_publie"


def silences(comp: pd.DataFrame, glossaire: Glossaire) -> list[Silence]:
    """Every figure of the grid the commentary leaves out: the subject's own when secret or missing (then nothing
    is said on that indicator), else each reference's that is, or that cannot be compared (a count beside a
    territory that does not hold the subject)."""
    out = []
    for code, part in par_indicateur(comp).items():
        ind = glossaire[code]
        sujet, refs = _lignes(part, code)
        if sujet is None:
            continue
        if valeur_affichee(sujet, ind) is None:
            out.append(Silence(code, sujet["niveau"], str(sujet["code"]), sujet["territoire"], _motif(sujet, ind), True))
            continue
        for r in refs:
            if ind.type == "compte" and not contient(r["niveau"], sujet["niveau"]):
                motif = "sans_objet"
            elif valeur_affichee(r, ind) is None:
                motif = _motif(r, ind)
            else:
                continue
            out.append(Silence(code, r["niveau"], str(r["code"]), r["territoire"], motif, False))
    return out


# --- Rank ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rang:
    """A territory's rank among its peers with a published value."""

    rang: int  # 1 = the end named by `depuis`
    classes: int  # peers ranked (with a published value), the territory included
    ex_aequo: int  # other peers sharing that rank
    depuis: str  # 'haut' (1 = highest value) or 'bas' (1 = lowest)
    non_classes: int = 0  # peers without a published value (secret or missing): never ranked

    def remarquable(self, seuils: SeuilsCommentaire) -> bool:
        """Worth saying: enough peers, and near one end with its ties (the glossary's pairs_min and
        rang_remarquable): « la plus faible, à égalité avec 691 autres » says nothing."""
        return self.classes >= seuils.pairs_min and self.rang + self.ex_aequo <= seuils.rang_remarquable


def rang(valeurs: Mapping | pd.Series, code: str, sens: str = "auto", decimales: int | None = None) -> Rang | None:
    """Rank of `code` among peers (code -> value; None or NaN for a secret or missing one, never ranked).

    sens: 'decroissant' (1 = highest), 'croissant' (1 = lowest), or 'auto' (the nearer end, from the top on a
    tie). Ties share the best rank. With `decimales`, values are first rounded as printed, so that figures the
    table shows equal are tied. None when the territory has no published value.
    """
    if sens not in ("auto", "decroissant", "croissant"):
        raise ValueError(f"sens inconnu : {sens}")
    ok, others = _classables(valeurs, decimales)
    if code not in ok:
        return None
    v = ok[code]
    haut = 1 + int((others > v).sum())  # ties share the best rank
    bas = 1 + int((others < v).sum())
    if sens == "decroissant" or (sens == "auto" and haut <= bas):
        r, depuis = haut, "haut"
    else:
        r, depuis = bas, "bas"
    return Rang(r, len(ok), int((others == v).sum()) - 1, depuis, len(valeurs) - len(ok))


_CLASSABLES: dict[tuple[int, int | None], tuple[dict, np.ndarray]] = {}


def _classables(valeurs: Mapping | pd.Series, decimales: int | None) -> tuple[dict, np.ndarray]:
    """The published values (rounded as printed with `decimales`) by code, and as an array; once per peers' Series
    object (a note ranks its commune among the same peers for every indicator, and the next note too)."""
    key = (id(valeurs), decimales)
    if key in _CLASSABLES:
        return _CLASSABLES[key]
    items = valeurs.items() if isinstance(valeurs, (pd.Series, Mapping)) else ()
    ok = {k: float(x) for k, x in items if not _missing(x)}
    if decimales is not None:
        ok = {k: arrondi(x, decimales) for k, x in ok.items()}
    out = ok, np.fromiter(ok.values(), dtype=float, count=len(ok))
    if isinstance(valeurs, pd.Series):  # a dict cannot say when it is gone: not kept
        _CLASSABLES[key] = out
        weakref.finalize(valeurs, _CLASSABLES.pop, key, None)
    return out


# --- Salience -----------------------------------------------------------------------------------


def _scores(comp: pd.DataFrame, indicateur: str, glossaire: Glossaire,
            dispersion: Mapping[str, float] | None) -> list[tuple[float, Position]]:
    ind = glossaire[indicateur]
    if ind.type == "compte":
        return []
    sd = (dispersion or {}).get(indicateur)
    out = []
    for p in position(comp, indicateur, glossaire):
        if p.direction == "proche":
            out.append((0.0, p))
            continue
        gap = abs(p.valeur - p.valeur_reference)
        scale = sd if sd is not None and not _missing(sd) and sd > 0 else abs(p.valeur_reference)
        out.append((gap / scale if scale else 0.0, p))
    return out


def saillance(comp: pd.DataFrame, glossaire: Glossaire, dispersion: Mapping[str, float] | None = None) -> pd.Series:
    """Per indicator, how far the subject stands from its references: the largest |subject − reference| over the
    standard deviation of comparable territories (dispersion: indicator -> standard deviation across peers, as
    the caller computes it); without one, over the reference's own level (a relative gap).

    Figures as printed; a gap read « proche » scores 0; counts, and a secret or missing subject, get no score.
    Sorted from the most salient, the grid's order on a tie.
    """
    scores = {}
    for code, part in par_indicateur(comp).items():
        pairs = _scores(part, code, glossaire, dispersion)
        if pairs:
            scores[code] = max(s for s, _ in pairs)
    out = pd.Series(scores, dtype=float)
    return out.iloc[sorted(range(len(out)), key=lambda i: -scores[out.index[i]])] if len(out) else out


def position_saillante(comp: pd.DataFrame, indicateur: str, glossaire: Glossaire,
                       dispersion: Mapping[str, float] | None = None) -> Position | None:
    """The position behind an indicator's salience (the reference it stands furthest from); None when none
    reads as a gap."""
    pairs = [(s, p) for s, p in _scores(comp, indicateur, glossaire, dispersion) if s > 0]
    return max(pairs, key=lambda sp: sp[0])[1] if pairs else None


def faits_saillants(comp: pd.DataFrame, glossaire: Glossaire, dispersion: Mapping[str, float] | None = None,
                    n: int | None = None) -> list[Position]:
    """The n most salient facts of a note (one per indicator, a readable gap only), most salient first; n: the
    glossary's faits_max by default."""
    n = glossaire.seuils.faits_max if n is None else n
    out = []
    parts = par_indicateur(comp)
    for code, score in saillance(comp, glossaire, dispersion).items():
        p = position_saillante(parts[code], code, glossaire, dispersion) if score > 0 else None
        if p is not None:
            out.append(p)
        if len(out) >= n:
            break
    return out


def ordre_themes(scores: pd.Series, glossaire: Glossaire) -> list[str]:
    """Themes of the glossary from the one holding the most salient indicator; themes without a score keep the
    glossary's order, after."""
    best: dict[str, float] = {}
    for code, s in scores.items():
        theme = glossaire[code].theme
        best[theme] = max(best.get(theme, 0.0), float(s))
    ordered = sorted(best, key=lambda t: -best[t])
    return ordered + [t for t in glossaire.themes if t not in best]


# --- Fragility ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fragilite:
    motifs: tuple[str, ...]  # MOTIFS_FRAGILITE
    effectif: float | None = None


def fragile(r, ind: Indicateur, effectif: float | None = None, seuil: float = 0) -> Fragilite | None:
    """Whether a published figure is fragile: its territory has fewer than `seuil` inhabitants (`effectif`, its
    population, supplied by the caller with the glossary's effectif_faible), or it was published rounded (coarser
    than the glossary's precision), or is estimated. None when it is not, or has no figure."""
    if r["statut"] != "ok" or _missing(r["valeur"]):
        return None
    motifs = []
    if effectif is not None and not _missing(effectif) and effectif < seuil:
        motifs.append("effectif_faible")
    if decimales_affichees(r, ind) < ind.decimales:
        motifs.append("arrondi")
    estime = r.get("estime") if hasattr(r, "get") else None
    if not _missing(estime) and bool(estime):
        motifs.append("estime")
    return Fragilite(tuple(motifs), None if _missing(effectif) else effectif) if motifs else None


# --- Evolution ----------------------------------------------------------------------------------


def _affichees(series: pd.DataFrame, ind: Indicateur) -> pd.DataFrame:
    return series.assign(valeur=[float("nan") if (v := valeur_affichee(r, ind)) is None else v
                                 for r in series.to_dict("records")])


def evolutions(series: pd.DataFrame, ind: Indicateur) -> dict[str, EvolutionEcart]:
    """For each reference (by its name), how its gap with the subject moved over the years (evolution_ecart).

    series: one indicator's years, the subject's rows first (indicateurs.evolution: territoire, annee, valeur,
    statut[, decimales]). Figures are first rounded as printed, and a gap in points to the coarser decimals of its
    two figures (14 % and 18,7 % give -5 points, not -4,7). A count has no gap to follow: {}.
    """
    if series.empty or ind.type == "compte":
        return {}
    decimales = {(r["territoire"], int(r["annee"])): decimales_affichees(r, ind) for r in series.to_dict("records")}
    series = _affichees(series, ind)
    names = list(dict.fromkeys(series["territoire"]))
    own = series[series["territoire"] == names[0]]
    out = {}
    for name in names[1:]:
        gaps = ecarts_annuels(own, series[series["territoire"] == name], ind)
        if en_points(ind):  # a gap in points as printed: no decimal either figure lacks
            gaps["ecart"] = [g if math.isnan(g) else arrondi(g, min(decimales.get((names[0], int(a)), ind.decimales),
                                                                      decimales.get((name, int(a)), ind.decimales)))
                             for g, a in zip(gaps["ecart"], gaps["annee"])]
        out[name] = evolution_ecart(gaps, ind)
    return out


def evolution_sujet(series: pd.DataFrame, ind: Indicateur) -> EvolutionPropre:
    """How the subject's own figure moved between its first and last published years (evolution_propre, the
    rule the evaluation note uses), from the figures as printed; series as for `evolutions`."""
    if series.empty:
        return EvolutionPropre("aucune")
    own = _affichees(series[series["territoire"] == series["territoire"].iat[0]], ind)
    return evolution_propre(own, ind)


# --- Communes that stand out of their intercommunality --------------------------------------------


@dataclass(frozen=True)
class Distinction:
    """A commune whose figure stands far from its intercommunality's (the furthest of its indicators)."""

    code: str
    territoire: str
    score: float  # |commune − intercommunality| / standard deviation of the communes, figures as printed
    position: Position  # the commune against the intercommunality
    rang: Rang | None  # among the communes with a published figure


def communes_distinctes(cote: pd.DataFrame, glossaire: Glossaire) -> list[Distinction]:
    """The communes of an intercommunality that stand out (notes.epci.communes_cote_a_cote: per indicator, the
    intercommunality's row and its communes' rows): for each commune its most distant figure, kept when at least
    the glossary's ecart_type_distinction standard deviations of the communes from the intercommunality's and not
    « proche »; at most faits_max, the furthest first. Counts, secret or missing figures, indicators with fewer
    than pairs_min published communes, and communes under effectif_faible inhabitants (their extreme figures rest
    on a few households) are left out; the spread is that of every commune's figure."""
    seuils = glossaire.seuils
    n, seuil = seuils.faits_max, seuils.ecart_type_distinction
    pop = cote[(cote["indicateur"] == "population") & (cote["niveau"] == "commune") & (cote["statut"] == "ok")]
    petites = {str(c) for c, v in zip(pop["code"], pop["valeur"]) if v < seuils.effectif_faible}
    best: dict[str, Distinction] = {}
    for code, part in cote.groupby("indicateur", sort=False):
        ind = glossaire[code]
        if ind.type == "compte":
            continue
        rows = part.to_dict("records")
        ref = [r for r in rows if r["niveau"] != "commune"]
        if not ref or valeur_affichee(ref[0], ind) is None:
            continue
        communes = [r for r in rows if r["niveau"] == "commune"]
        valeurs = {str(r["code"]): valeur_affichee(r, ind) for r in communes}
        ok = pd.Series({k: v for k, v in valeurs.items() if v is not None}, dtype=float)
        sd = ok.std() if len(ok) >= seuils.pairs_min else float("nan")
        if not sd > 0:
            continue
        for r in communes:
            v = valeurs[str(r["code"])]
            if v is None or str(r["code"]) in petites:
                continue
            score = abs(v - float(valeur_affichee(ref[0], ind) or 0.0)) / sd
            if score < seuil - 1e-9 or (str(r["code"]) in best and best[str(r["code"])].score >= score):
                continue
            found = position(pd.DataFrame([r, ref[0]]), code, glossaire)
            if not found or found[0].direction == "proche":
                continue
            best[str(r["code"])] = Distinction(str(r["code"]), r["territoire"], score, found[0],
                                               rang(valeurs, str(r["code"])))
    return sorted(best.values(), key=lambda d: (-d.score, d.territoire))[:n]


# --- What a concise reading keeps of a theme -----------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """The indicators of one theme a concise reading comments, and the rest it only names or counts."""

    gardes: tuple[str, ...]  # the most salient with a readable gap (at most indicateurs_par_theme), then one count
    proches: tuple[str, ...]  # every reference close: named in one sentence
    autres: tuple[str, ...]  # the rest (less salient, other counts): left to the table


def selection_theme(comp: pd.DataFrame, codes: list[str], scores: pd.Series, glossaire: Glossaire,
                    cles: tuple[str, ...] | list[str] = ()) -> Selection:
    """Of a theme's indicators (codes, most salient first): the note's key figures (cles) with something to
    compare, then the glossary's indicateurs_par_theme most salient with a readable gap, and the count whose share
    of its reference is largest; those whose every reference reads « proche »; the others, which only the table
    shows. Indicators with nothing to compare are in none."""
    n = glossaire.seuils.indicateurs_par_theme
    parts = par_indicateur(comp)
    prioritaires = [c for c in codes if c in cles and c in parts and position(parts[c], c, glossaire)]
    lus = [c for c in codes if c in scores.index and scores[c] > 0 and c not in prioritaires]
    proches = [c for c in codes if c in scores.index and scores[c] == 0 and c not in prioritaires]
    parts_totales = {}
    for c in codes:
        if glossaire[c].type == "compte" and c in parts:
            shares = [p.ecart for p in position(parts[c], c, glossaire) if p.mesure == "part"]
            if shares:
                parts_totales[c] = max(shares)
    compte = [c for c in sorted(parts_totales, key=lambda c: -parts_totales[c]) if c not in prioritaires][:1]
    gardes = prioritaires + lus[:max(n - len(prioritaires), 0)] + compte
    autres = [c for c in lus if c not in gardes] + [c for c in parts_totales if c not in gardes]
    return Selection(tuple(gardes), tuple(proches), tuple(autres))

"""Gaps between a territory and its reference, and how they evolve: computed here once, for every note.

- **The gap** (`ecart`): for a rate (unit %), the difference in points (territory minus
  reference); for any other figure, the ratio territory / reference (× 0,62: the territory is at
  62 % of its reference's level).
- **The gap by year** (`ecarts_annuels`): both figures and their gap for every year of the
  territory's series; a year where one side is secret or missing has no gap (statut 'secret' or
  'absent'), never 0.
- **Its evolution** (`evolution_ecart`), between the first and the last year where the gap
  exists, computed on the gaps as printed (rounded like `present.fr.ecart`), so that the words
  match the figures the reader sees. One vocabulary: `reduit`, `creuse`, `stable`, `inverse` (the
  territory passed its reference), `une_annee` (a single comparable year), `aucune`.
- **The stability rule**: a change of the gap's size smaller than 0,5 point for a rate, or than
  0,02 for a ratio (2 % of the reference's level), is `stable`. QPV figures are published rounded
  to 0,1 point or to 10 €, on a few thousand households: moves of a few tenths of a point from one
  year to the next are not readable.
- **A territory's own series** (`evolution_propre`), for figures without a reference (published
  for QPVs only, or counts): `hausse`, `baisse`, `stable` (below 0,5 point for a rate, 2 % of the
  first value otherwise), `une_annee`, `aucune`.
- **Several gaps read together** (`lecture_ensemble`): a direction is retained when strictly more
  than half of the gaps that can be followed (`reduit`, `creuse`, `stable`, `inverse`) share it.

Figures describe; they never measure the effect of a policy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from osq_utils.catalogues.glossaire import Indicateur

SEUIL_STABILITE_POINTS = 0.5
SEUIL_STABILITE_RAPPORT = 0.02
SEUIL_STABILITE_RELATIF = 0.02
TENDANCES = ("reduit", "creuse", "stable", "inverse", "une_annee", "aucune")
TENDANCES_PROPRES = ("hausse", "baisse", "stable", "une_annee", "aucune")
COLONNES = ["annee", "valeur", "statut", "source", "valeur_reference", "statut_reference", "source_reference",
            "ecart", "statut_ecart"]


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def en_points(ind: Indicateur) -> bool:
    """A rate's gap is a difference in points; any other figure's, a ratio."""
    return ind.unite == "%"


def ecart(valeur: float | None, reference: float | None, ind: Indicateur) -> float | None:
    """Gap between a territory and its reference: points for rates, ratio otherwise (None when unknown)."""
    if valeur is None or reference is None or _missing(valeur) or _missing(reference):
        return None
    if en_points(ind):
        return float(valeur - reference)
    return float(valeur / reference) if reference else None


def decimales_ecart(ind: Indicateur) -> int:
    """Decimals a gap is printed with: the rate's for points, 2 for a ratio."""
    return ind.decimales if en_points(ind) else 2


def arrondi(x: float, decimales: int) -> float:
    """Half-up rounding, as the figures are printed."""
    return float(Decimal(str(x)).quantize(Decimal(1).scaleb(-decimales), rounding=ROUND_HALF_UP))


def seuil_stabilite(ind: Indicateur) -> float:
    return SEUIL_STABILITE_POINTS if en_points(ind) else SEUIL_STABILITE_RAPPORT


def taille(gap: float, ind: Indicateur) -> float:
    """Size of a gap: |points| for rates, |ratio - 1| otherwise."""
    return abs(gap) if en_points(ind) else abs(gap - 1)


def cote(gap: float, ind: Indicateur) -> int:
    """+1 when the territory is above its reference, -1 below, 0 equal."""
    d = gap if en_points(ind) else gap - 1
    return 0 if abs(d) < 1e-12 else (1 if d > 0 else -1)


# --- The gap by year -------------------------------------------------------------------------


def ecarts_annuels(territoire: pd.DataFrame, reference: pd.DataFrame | None, ind: Indicateur,
                   annees: list[int] | None = None) -> pd.DataFrame:
    """Both figures and their gap for each year (default: the years of the territory's series).

    territoire, reference: rows of one indicator (annee, valeur, statut[, source]); reference None
    when the figure has no reference to compare with. Columns: COLONNES. statut_ecart is 'ok'
    when both figures are, else 'secret' when one is secret, else 'absent'.
    """
    own = {int(r["annee"]): r for _, r in territoire.iterrows()}
    ref = {} if reference is None else {int(r["annee"]): r for _, r in reference.iterrows()}
    years = sorted(own) if annees is None else sorted(int(a) for a in annees)
    rows = []
    for year in years:
        rt, rr = own.get(year), ref.get(year)
        st = rt["statut"] if rt is not None else "absent"
        sr = rr["statut"] if rr is not None else "absent"
        vt = float(rt["valeur"]) if rt is not None and st == "ok" else np.nan
        vr = float(rr["valeur"]) if rr is not None and sr == "ok" else np.nan
        gap = ecart(vt, vr, ind) if st == sr == "ok" else None
        statut = "ok" if gap is not None else ("secret" if "secret" in (st, sr) else "absent")
        rows.append({
            "annee": year, "valeur": vt, "statut": st, "source": rt.get("source") if rt is not None else None,
            "valeur_reference": vr, "statut_reference": sr,
            "source_reference": rr.get("source") if rr is not None and sr != "absent" else None,
            "ecart": np.nan if gap is None else gap, "statut_ecart": statut,
        })
    return pd.DataFrame(rows, columns=COLONNES)


# --- Evolution of the gap ----------------------------------------------------------------------


@dataclass(frozen=True)
class EvolutionEcart:
    """How a gap moved between the first and last years where it exists (see the module's rule)."""

    tendance: str
    annee_debut: int | None = None
    annee_fin: int | None = None
    ecart_debut: float | None = None  # as printed (rounded)
    ecart_fin: float | None = None
    variation: float | None = None  # change of the gap's size (points, or ratio units); < 0: reduced
    annees_manquantes: tuple[int, ...] = ()  # years of the series without a gap


def evolution_ecart(rows: pd.DataFrame, ind: Indicateur, seuil: float | None = None) -> EvolutionEcart:
    """Evolution of one gap series: rows with annee, ecart and statut_ecart (ecarts_annuels)."""
    seuil = seuil_stabilite(ind) if seuil is None else seuil
    rows = rows.sort_values("annee")
    ok = rows[rows["statut_ecart"] == "ok"]
    manquantes = tuple(int(y) for y in rows.loc[rows["statut_ecart"] != "ok", "annee"])
    if ok.empty:
        return EvolutionEcart("aucune", annees_manquantes=manquantes)
    first, last = ok.iloc[0], ok.iloc[-1]
    d = decimales_ecart(ind)
    a, b = arrondi(float(first["ecart"]), d), arrondi(float(last["ecart"]), d)
    if len(ok) == 1:
        return EvolutionEcart("une_annee", int(first["annee"]), int(first["annee"]), a, a, None, manquantes)
    variation = arrondi(taille(b, ind) - taille(a, ind), d)
    if cote(a, ind) * cote(b, ind) < 0:
        tendance = "inverse"
    elif abs(variation) < seuil - 1e-9:
        tendance = "stable"
    else:
        tendance = "reduit" if variation < 0 else "creuse"
    return EvolutionEcart(tendance, int(first["annee"]), int(last["annee"]), a, b, variation, manquantes)


# --- A territory's own series ------------------------------------------------------------------


@dataclass(frozen=True)
class EvolutionPropre:
    tendance: str  # 'hausse', 'baisse', 'stable', 'une_annee', 'aucune'
    annee_debut: int | None = None
    annee_fin: int | None = None
    valeur_debut: float | None = None
    valeur_fin: float | None = None
    annees_manquantes: tuple[int, ...] = ()
    annees_secret: tuple[int, ...] = ()


def evolution_propre(rows: pd.DataFrame, ind: Indicateur) -> EvolutionPropre:
    """First and last published values of one series: rows with annee, valeur and statut."""
    rows = rows.sort_values("annee")
    ok = rows[rows["statut"] == "ok"]
    manquantes = tuple(int(y) for y in rows.loc[rows["statut"] == "absent", "annee"])
    secret = tuple(int(y) for y in rows.loc[rows["statut"] == "secret", "annee"])
    if ok.empty:
        return EvolutionPropre("aucune", annees_manquantes=manquantes, annees_secret=secret)
    a, b = float(ok.iloc[0]["valeur"]), float(ok.iloc[-1]["valeur"])
    y0, y1 = int(ok.iloc[0]["annee"]), int(ok.iloc[-1]["annee"])
    if len(ok) == 1:
        return EvolutionPropre("une_annee", y0, y1, a, b, manquantes, secret)
    if en_points(ind):
        stable = abs(b - a) < SEUIL_STABILITE_POINTS
    else:
        stable = a != 0 and abs(b / a - 1) < SEUIL_STABILITE_RELATIF
    tendance = "stable" if stable else ("hausse" if b > a else "baisse")
    return EvolutionPropre(tendance, y0, y1, a, b, manquantes, secret)


# --- Several gaps read together ----------------------------------------------------------------

SUIVIES = ("reduit", "creuse", "stable", "inverse")  # tendances of a gap followed over at least two years
LECTURES = ("rapprochement", "eloignement", "maintien", "sans_tendance", "aucune")
_LECTURE_DE = {"reduit": "rapprochement", "creuse": "eloignement", "stable": "maintien"}


def lecture_ensemble(tendances: Iterable[str]) -> str:
    """One reading of several gaps' evolutions (tendances of evolution_ecart), by one rule.

    The tendance shared by strictly more than half of the followed gaps (SUIVIES) gives the reading:
    'rapprochement' (reduit), 'eloignement' (creuse), 'maintien' (stable); otherwise 'sans_tendance'
    (a majority of reversed gaps is no common direction either). 'aucune' when no gap can be followed.
    """
    suivies = [t for t in tendances if t in SUIVIES]
    if not suivies:
        return "aucune"
    for tendance, lecture in _LECTURE_DE.items():
        if 2 * suivies.count(tendance) > len(suivies):
            return lecture
    return "sans_tendance"


def cas_par_tendance(cas: Iterable[tuple[str, str, str]]) -> dict[str, dict[str, list[str]]]:
    """(indicator, territory, tendance) cases grouped as tendance -> indicator -> territories, in the order given."""
    out: dict[str, dict[str, list[str]]] = {}
    for indicateur, territoire, tendance in cas:
        out.setdefault(tendance, {}).setdefault(indicateur, []).append(territoire)
    return out

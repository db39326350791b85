"""The bilan des actions of a contrat de ville, and the answers to its questionnaires: counts, shares, sums.

Pure functions over the observatory's declared inputs (catalogues.evaluation), never over the store.

- A share is a count over a total of counts, always returned with both (never a percentage alone).
- An amount or a public reached that the bilan does not give is unknown: a pillar's sum adds the
  known ones and says how many actions it covers; with none known it is missing (NaN), never 0.
- A pillar without any action in a bilan listing every action has 0 actions: a true zero.
- A closed question's shares are taken over the respondents who answered it; the others are counted
  as « sans réponse ».
"""

from __future__ import annotations

import math

import pandas as pd

from osq_utils.catalogues.evaluation import TOUS_QPV, QuestionQuestionnaire, TotalPilier

COLONNES_PILIER = ["pilier", "libelle", "actions", "total", "part", "montant", "montants_connus", "public_touche",
                   "publics_connus"]
COLONNES_FREQUENCES = ["code", "libelle", "effectif", "exprimes", "part"]
SANS_REPONSE = "Sans réponse"


def _part(n: float, total: float) -> float:
    return 100.0 * n / total if total else math.nan


def par_pilier_totaux(totaux: tuple[TotalPilier, ...] | list[TotalPilier], piliers: dict[str, str]) -> pd.DataFrame:
    """Declared totals by pillar (in the pillars' declared order): count, share of all actions, amount."""
    total = sum(t.actions for t in totaux)
    par_code = {t.pilier: t for t in totaux}
    rows = []
    for code, libelle in piliers.items():
        t = par_code.get(code)
        if t is None:
            continue
        rows.append({"pilier": code, "libelle": libelle, "actions": t.actions, "total": total,
                     "part": _part(t.actions, total),
                     "montant": math.nan if t.montant is None else t.montant,
                     "montants_connus": t.actions if t.montant is not None else 0,
                     "public_touche": math.nan if t.public_touche is None else float(t.public_touche),
                     "publics_connus": t.actions if t.public_touche is not None else 0})
    return pd.DataFrame(rows, columns=COLONNES_PILIER)


def par_pilier_actions(actions: pd.DataFrame, piliers: dict[str, str]) -> pd.DataFrame:
    """Counts, shares and known sums by pillar from a bilan with one row per action."""
    total = len(actions)
    rows = []
    for code, libelle in piliers.items():
        part = actions[actions["pilier"] == code]
        montants = part["montant"].dropna()
        publics = part["public_touche"].dropna()
        rows.append({"pilier": code, "libelle": libelle, "actions": len(part), "total": total,
                     "part": _part(len(part), total),
                     "montant": float(montants.sum()) if len(montants) else math.nan,
                     "montants_connus": len(montants),
                     "public_touche": float(publics.sum()) if len(publics) else math.nan,
                     "publics_connus": len(publics)})
    return pd.DataFrame(rows, columns=COLONNES_PILIER)


def croisement(actions: pd.DataFrame, piliers: dict[str, str], par: str, colonnes: list[str] | None = None
               ) -> pd.DataFrame:
    """Number of actions by pillar (rows, declared order, then « Total ») and by `par` (annee or qpv).

    colonnes: the columns in order (for qpv: the evaluation's QPV, then « tous »); default, the values
    present, sorted.
    """
    valeurs = colonnes if colonnes is not None else sorted(actions[par].unique())
    table = pd.crosstab(actions["pilier"], actions[par]).reindex(index=list(piliers), columns=valeurs, fill_value=0)
    table.loc["Total"] = table.sum()
    table["Total"] = table.sum(axis=1)
    return table.astype(int)


def colonnes_qpv(actions: pd.DataFrame, qpvs: list[str]) -> list[str]:
    """The QPV columns of a cross-table: those of the evaluation with an action, then « tous »."""
    present = set(actions["qpv"])
    return [q for q in qpvs if q in present] + ([TOUS_QPV] if TOUS_QPV in present else [])


def frequences(reponses: pd.Series, question: QuestionQuestionnaire) -> pd.DataFrame:
    """Frequency table of a closed question: one row per declared answer (its count and its share of the
    respondents who answered), then « Sans réponse » (count only)."""
    codes = reponses.fillna("").astype(str).str.strip()
    exprimes = int((codes != "").sum())
    rows = [{"code": code, "libelle": libelle, "effectif": int((codes == code).sum()), "exprimes": exprimes,
             "part": _part(int((codes == code).sum()), exprimes)} for code, libelle in question.modalites]
    rows.append({"code": "", "libelle": SANS_REPONSE, "effectif": int((codes == "").sum()), "exprimes": exprimes,
                 "part": math.nan})
    return pd.DataFrame(rows, columns=COLONNES_FREQUENCES)


def sous_seuil(repondants: int | None, seuil: int) -> bool:
    """Fewer respondents than the documented threshold: shares are read with caution."""
    return repondants is not None and repondants < seuil

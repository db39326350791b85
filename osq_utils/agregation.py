"""The one rule for combining parts into a whole (aggregation and COG fusions).

- counts are summed;
- ratios are recomputed from summed numerators and denominators, never averaged;
- medians, deciles and other non-additive figures are never combined;
- a single secret part makes the whole secret; a missing part makes it absent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from osq_utils.catalogues.glossaire import FACTEURS


def aggregate_parts(part: pd.DataFrame, kind: str | None) -> dict:
    """Combine the rows of `part` (valeur, numerateur, denominateur, statut[, estime]).

    Returns valeur, numerateur, denominateur, statut and estime of the whole.
    """
    estime = bool(part["estime"].any()) if "estime" in part else False
    empty = {"valeur": np.nan, "numerateur": np.nan, "denominateur": np.nan, "estime": estime}
    if len(part) == 0:
        return {**empty, "statut": "absent"}
    if len(part) == 1:
        row = part.iloc[0]
        return {"valeur": row["valeur"], "numerateur": row["numerateur"], "denominateur": row["denominateur"],
                "statut": row["statut"], "estime": estime}
    if (part["statut"] == "secret").any():
        return {**empty, "statut": "secret"}
    if (part["statut"] != "ok").any() or kind not in FACTEURS and kind != "compte":
        return {**empty, "statut": "absent"}
    if kind == "compte":
        total = float(part["valeur"].sum())
        return {"valeur": total, "numerateur": total, "denominateur": np.nan, "statut": "ok", "estime": estime}
    num, den = part["numerateur"], part["denominateur"]
    if num.isna().any() or den.isna().any() or den.sum() <= 0:
        return {**empty, "statut": "absent"}
    return {"valeur": float(num.sum() / den.sum() * FACTEURS[kind]), "numerateur": float(num.sum()),
            "denominateur": float(den.sum()), "statut": "ok", "estime": estime}


def aggregate(obs: pd.DataFrame, groups: pd.DataFrame, types: dict[str, str]) -> pd.DataFrame:
    """Aggregate child observations into parents.

    obs: code, indicateur, annee, valeur, numerateur, denominateur, statut.
    groups: code (child) -> code_parent. types: indicator -> glossary type. A parent whose
    children are not all observed is 'absent' for that indicator and year (or 'secret' when one
    of the observed ones is): a partial sum is never shown.
    """
    groups = groups[["code", "code_parent"]].drop_duplicates()
    expected = groups.groupby("code_parent")["code"].nunique()
    merged = obs.merge(groups[["code", "code_parent"]], on="code")
    rows = []
    for (parent, indicateur, annee), part in merged.groupby(["code_parent", "indicateur", "annee"], sort=False):
        if part["code"].nunique() < expected[parent]:
            whole = aggregate_parts(part.iloc[0:0], types.get(indicateur))
            whole["statut"] = "secret" if (part["statut"] == "secret").any() else "absent"
        else:
            whole = aggregate_parts(part, types.get(indicateur))
        rows.append({"code": parent, "indicateur": indicateur, "annee": annee, **whole})
    return pd.DataFrame(rows, columns=["code", "indicateur", "annee", "valeur", "numerateur", "denominateur", "statut", "estime"])

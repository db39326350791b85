"""The one rule for combining parts into a whole (aggregation and COG fusions).

- counts are summed;
- ratios are recomputed from summed numerators and denominators, never averaged;
- medians, deciles and other non-additive figures are never combined;
- a single secret part makes the whole secret; a missing part makes it absent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FACTORS = {"taux": 100.0, "moyenne": 1.0, "densite": 10000.0}
TYPES = ("compte", "taux", "moyenne", "densite", "non_additif")


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
    if (part["statut"] != "ok").any() or kind not in FACTORS and kind != "compte":
        return {**empty, "statut": "absent"}
    if kind == "compte":
        total = float(part["valeur"].sum())
        return {"valeur": total, "numerateur": total, "denominateur": np.nan, "statut": "ok", "estime": estime}
    num, den = part["numerateur"], part["denominateur"]
    if num.isna().any() or den.isna().any() or den.sum() <= 0:
        return {**empty, "statut": "absent"}
    return {"valeur": float(num.sum() / den.sum() * FACTORS[kind]), "numerateur": float(num.sum()),
            "denominateur": float(den.sum()), "statut": "ok", "estime": estime}

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


def aggregate(obs: pd.DataFrame, groups: pd.DataFrame, types: dict[str, str],
              exhaustifs: frozenset[str] | set[str] = frozenset()) -> pd.DataFrame:
    """Aggregate child observations into parents, vectorised (the rule of aggregate_parts for every group).

    obs: code, indicateur, annee, valeur, numerateur, denominateur, statut[, estime].
    groups: code (child) -> code_parent. types: indicator -> glossary type. A parent whose
    children are not all observed is 'absent' for that indicator and year (or 'secret' when one
    of the observed ones is): a partial sum is never shown. exhaustifs: count indicators whose source lists
    every child that has any (a child absent from it holds none): their parents need no complete set.
    """
    cols = ["code", "indicateur", "annee", "valeur", "numerateur", "denominateur", "statut", "estime"]
    groups = groups[["code", "code_parent"]].drop_duplicates()
    expected = groups.groupby("code_parent")["code"].nunique().rename("attendus")
    obs = obs.drop_duplicates(["code", "indicateur", "annee"])
    merged = obs.merge(groups, on="code")
    if merged.empty:
        return pd.DataFrame(columns=cols)
    ok = merged["statut"] == "ok"
    work = pd.DataFrame({
        "code_parent": merged["code_parent"].to_numpy(), "indicateur": merged["indicateur"].to_numpy(),
        "annee": merged["annee"].to_numpy(),
        "n": 1, "secret": (merged["statut"] == "secret").to_numpy(), "pas_ok": (~ok).to_numpy(),
        "valeur": merged["valeur"].where(ok).to_numpy(dtype="float64"),
        "numerateur": merged["numerateur"].where(ok).to_numpy(dtype="float64"),
        "denominateur": merged["denominateur"].where(ok).to_numpy(dtype="float64"),
        "num_manquant": (ok & merged["numerateur"].isna()).to_numpy(),
        "den_manquant": (ok & merged["denominateur"].isna()).to_numpy(),
        "estime": merged["estime"].fillna(False).astype(bool).to_numpy() if "estime" in merged else False,
    })
    keys = ["code_parent", "indicateur", "annee"]
    g = work.groupby(keys, sort=False).agg(
        n=("n", "sum"), secret=("secret", "sum"), pas_ok=("pas_ok", "sum"), valeur=("valeur", "sum"),
        numerateur=("numerateur", "sum"), denominateur=("denominateur", "sum"),
        num_manquant=("num_manquant", "sum"), den_manquant=("den_manquant", "sum"), estime=("estime", "any"),
    ).reset_index().merge(expected, left_on="code_parent", right_index=True)
    kind = g["indicateur"].map(types)
    factor = kind.map(FACTEURS).astype("float64")
    is_count = (kind == "compte").to_numpy()
    exhaustive = g["indicateur"].isin(list(exhaustifs)).to_numpy() & is_count
    complete = (g["n"] >= g["attendus"]).to_numpy() | exhaustive
    secret = (g["secret"] > 0).to_numpy()
    ratio_ok = ((g["num_manquant"] == 0) & (g["den_manquant"] == 0) & (g["denominateur"] > 0)).to_numpy()
    computable = complete & ~secret & (g["pas_ok"] == 0).to_numpy() & (is_count | (factor.notna().to_numpy() & ratio_ok))
    valeur = np.where(is_count, g["valeur"], g["numerateur"] / g["denominateur"].where(g["denominateur"] > 0) * factor)
    out = pd.DataFrame({
        "code": g["code_parent"], "indicateur": g["indicateur"], "annee": g["annee"],
        "valeur": np.where(computable, valeur, np.nan),
        "numerateur": np.where(computable, np.where(is_count, g["valeur"], g["numerateur"]), np.nan),
        "denominateur": np.where(computable & ~is_count, g["denominateur"], np.nan),
        "statut": np.where(secret, "secret", np.where(computable, "ok", "absent")),
        "estime": g["estime"].to_numpy(),
    })
    # One child: the parent is that child, whatever its kind (a median passes through unchanged).
    single = (g["attendus"] == 1).to_numpy() & (g["n"] == 1).to_numpy()
    if single.any():
        alone = merged.set_index(keys[1:] + ["code_parent"])
        idx = pd.MultiIndex.from_arrays([g.loc[single, "indicateur"], g.loc[single, "annee"], g.loc[single, "code_parent"]])
        rows = alone.loc[idx]
        for col in ("valeur", "numerateur", "denominateur"):
            out.loc[single, col] = pd.to_numeric(rows[col], errors="coerce").to_numpy(dtype="float64")
        out.loc[single, "statut"] = rows["statut"].to_numpy()
    return out[cols].reset_index(drop=True)

"""The one rule for combining parts into a whole (aggregation and COG fusions), and COG harmonisation.

- counts are summed;
- ratios are recomputed from summed numerators and denominators, never averaged;
- medians, deciles and other non-additive figures are never combined;
- a single secret part makes the whole secret; a missing part makes it absent.

`harmonise_cog` applies the same rule, vectorised, to commune observations moved from one COG year to
another with the yearly passage tables (store table `passages_cog`): it sits here, below ingest, so that
the derived figures (`ingest.derive`) can use it as well as the notes.
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


# --- COG harmonisation -------------------------------------------------------

PASSAGE_COLUMNS = ["code_depart", "code_arrivee", "type_modif", "ratio"]
HARMONISED_COLUMNS = ["code", "indicateur", "annee", "valeur", "numerateur", "denominateur", "statut", "estime"]


def passages_between(passages: pd.DataFrame, annee_depart: int, annee_arrivee: int) -> pd.DataFrame:
    """Compose the yearly passage tables into one table from annee_depart to annee_arrivee.

    passages: the store table passages_cog (annee_depart, annee_arrivee, code_depart, code_arrivee,
    type_modif, ratio), one row per code that changes between two consecutive years.
    Returns code_depart, code_arrivee, type_modif ('f', 'd', 'c'), ratio: only codes that change.
    """
    step = None
    for year in range(annee_depart, annee_arrivee):
        p = passages[(passages["annee_depart"] == year) & (passages["annee_arrivee"] == year + 1)][PASSAGE_COLUMNS]
        if step is None:
            step = p.copy()
            continue
        merged = step.merge(p, left_on="code_arrivee", right_on="code_depart", how="left", suffixes=("", "_n"))
        moved = merged["code_arrivee_n"].notna()
        merged.loc[moved, "code_arrivee"] = merged.loc[moved, "code_arrivee_n"]
        merged.loc[moved, "ratio"] = merged.loc[moved, "ratio"] * merged.loc[moved, "ratio_n"]
        # A split anywhere on the way makes the result an estimate.
        merged["type_modif"] = np.where(
            (merged["type_modif"] == "d") | (merged["type_modif_n"] == "d"), "d",
            np.where(moved, merged["type_modif_n"].fillna(merged["type_modif"]), merged["type_modif"]),
        )
        new = p[~p["code_depart"].isin(step["code_arrivee"])]
        step = pd.concat([merged[PASSAGE_COLUMNS], new], ignore_index=True)
    if step is None:
        return pd.DataFrame(columns=PASSAGE_COLUMNS)
    return step.drop_duplicates(["code_depart", "code_arrivee"]).reset_index(drop=True)


def harmonise_cog(
    obs: pd.DataFrame,
    passages: pd.DataFrame,
    annee_depart: int,
    annee_arrivee: int,
    types: dict[str, str],
) -> pd.DataFrame:
    """Convert commune observations from the COG of annee_depart to that of annee_arrivee.

    - fusions sum counts, numerators and denominators, then recompute ratios;
      a non-additive figure (median, decile) of a fused commune is not computable ('absent');
    - if any part of a fusion is secret, the result is secret;
    - a fusion with a part missing from `obs` gives no partial total ('secret' if an observed part
      is secret, else 'absent');
    - défusions split counts, numerators and denominators by the population ratio, and the
      results are flagged estimated (estime = True).
    obs columns: code, indicateur, annee, valeur, numerateur, denominateur, statut[, estime]; one row
    per (code, indicateur, annee). types maps indicator -> glossary type (compte, taux, moyenne,
    densite, non_additif). Returns HARMONISED_COLUMNS: the rows of the codes the passages leave alone,
    in their input order, then the converted ones (unsorted: sorting 3 million rows would cost more
    than the conversion itself).

    Vectorised: the codes untouched by the passages go straight through; the others are combined
    with one groupby of sums (the same rule as aggregate_parts, part by part).
    """
    table = passages_between(passages, annee_depart, annee_arrivee)
    obs = obs.reset_index(drop=True)
    estime = obs["estime"].fillna(False).astype(bool) if "estime" in obs else pd.Series(False, index=obs.index)
    base = pd.DataFrame({
        "code": obs["code"].astype(str), "indicateur": obs["indicateur"], "annee": obs["annee"],
        "valeur": obs["valeur"].astype("float64"), "numerateur": obs["numerateur"].astype("float64"),
        "denominateur": obs["denominateur"].astype("float64"), "statut": obs["statut"], "estime": estime,
    })
    arrivals = set(table["code_arrivee"])
    touched = base["code"].isin(set(table["code_depart"])) | base["code"].isin(arrivals)
    still = base[~touched]
    moving = base[touched].merge(table, left_on="code", right_on="code_depart", how="left")
    if moving.empty:
        return still.reset_index(drop=True)

    mapped = moving["code_arrivee"].notna()
    moving["code_arrivee"] = moving["code_arrivee"].where(mapped, moving["code"])
    ratio = moving["ratio"].fillna(1.0).to_numpy()
    split = (moving["type_modif"] == "d").to_numpy()
    kind = moving["indicateur"].map(types)
    counts = (kind == "compte").to_numpy()
    moving["numerateur"] = moving["numerateur"] * ratio
    moving["denominateur"] = moving["denominateur"] * ratio
    moving["valeur"] = np.where(counts & split, moving["valeur"] * ratio, moving["valeur"])
    moving["estime"] = moving["estime"] | split

    expected = table.groupby("code_arrivee")["code_depart"].nunique()
    secret = moving["statut"] == "secret"
    parts = pd.DataFrame({
        "code": moving["code_arrivee"], "indicateur": moving["indicateur"], "annee": moving["annee"],
        "n": 1, "matched": mapped.astype(int), "secrets": secret.astype(int),
        "not_ok": (moving["statut"] != "ok").astype(int),
        "valeur": moving["valeur"], "numerateur": moving["numerateur"], "denominateur": moving["denominateur"],
        "num_nan": moving["numerateur"].isna().astype(int), "den_nan": moving["denominateur"].isna().astype(int),
        "estime": moving["estime"].astype(int), "statut": moving["statut"],
    })
    keys = ["code", "indicateur", "annee"]
    grouped = parts.groupby(keys, sort=False)
    sums = grouped[["n", "matched", "secrets", "not_ok", "valeur", "numerateur", "denominateur", "num_nan", "den_nan",
                    "estime"]].sum()
    # A group of one part keeps that part's own figures (only those groups read them).
    first = grouped[["valeur", "numerateur", "denominateur", "statut"]].first().add_suffix("_1")
    g = sums.join(first).reset_index()

    n = g["n"].to_numpy()
    incomplete = (g["code"].map(expected).fillna(0).to_numpy() > g["matched"].to_numpy())
    single = ~incomplete & (n == 1)
    kinds = g["indicateur"].map(types)
    is_count = (kinds == "compte").to_numpy()
    factor = kinds.map(FACTEURS).to_numpy(dtype="float64")
    has_secret = g["secrets"].to_numpy() > 0
    combine = ~incomplete & ~single
    den_sum = g["denominateur"].to_numpy()
    ratio_ok = (g["num_nan"].to_numpy() == 0) & (g["den_nan"].to_numpy() == 0) & (den_sum > 0) & ~np.isnan(factor)
    ok = combine & ~has_secret & (g["not_ok"].to_numpy() == 0) & (is_count | ratio_ok)
    ok_count, ok_ratio = ok & is_count, ok & ~is_count
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = g["numerateur"].to_numpy() / den_sum * factor

    statut = np.where(incomplete | combine, np.where(has_secret, "secret", "absent"), g["statut_1"].to_numpy(dtype=object))
    statut = np.where(ok, "ok", statut)
    out = pd.DataFrame({
        "code": g["code"], "indicateur": g["indicateur"], "annee": g["annee"],
        "valeur": np.select([single, ok_count, ok_ratio], [g["valeur_1"], g["valeur"], rate], np.nan),
        "numerateur": np.select([single, ok_count, ok_ratio], [g["numerateur_1"], g["valeur"], g["numerateur"]], np.nan),
        "denominateur": np.select([single, ok_ratio], [g["denominateur_1"], den_sum], np.nan),
        "statut": statut,
        # An incomplete fusion keeps no flag (nothing of it is shown).
        "estime": ~incomplete & (g["estime"].to_numpy() > 0),
    })
    return pd.concat([still, out], ignore_index=True)

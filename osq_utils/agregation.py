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
    if kind in FACTEURS:  # a zero denominator adds 0/0 (see aggregate)
        vide = (part["statut"] == "absent") & (part["denominateur"] == 0) & part["numerateur"].fillna(0).eq(0)
        part = part.assign(statut=part["statut"].where(~vide, "ok"), numerateur=part["numerateur"].where(~vide, 0.0))
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
              exhaustifs: frozenset[str] | set[str] = frozenset(), *, unique: bool = False,
              counts: bool = False) -> pd.DataFrame:
    """Aggregate child observations into parents, vectorised (the rule of aggregate_parts for every group).

    obs: code, indicateur, annee, valeur, numerateur, denominateur, statut[, estime].
    groups: code (child) -> code_parent. types: indicator -> glossary type. A parent whose
    children are not all observed is 'absent' for that indicator and year (or 'secret' when one
    of the observed ones is): a partial sum is never shown. exhaustifs: indicators whose source lists
    every child that has any (a child absent from it holds none: a count of 0, a ratio of 0/0): their parents
    need no complete set. unique: obs holds one row per (code, indicateur, annee) already (the derived levels
    aggregate the same millions of rows five times: they check it once). counts: two more columns, `vus` (children
    observed) and `attendus` (children of the parent).
    """
    cols = ["code", "indicateur", "annee", "valeur", "numerateur", "denominateur", "statut", "estime"]
    groups = groups[["code", "code_parent"]].drop_duplicates()
    expected = groups.groupby("code_parent")["code"].nunique().rename("attendus")
    if not unique:
        obs = obs.drop_duplicates(["code", "indicateur", "annee"])
    merged = obs.merge(groups, on="code")
    if merged.empty:
        return pd.DataFrame(columns=[*cols, "vus", "attendus"] if counts else cols)
    # A ratio of a published zero denominator (a commune without inhabitants) has no value of its own but adds
    # 0/0 to its parent: it does not make the parent's ratio absent.
    vide = (merged["statut"] == "absent") & (merged["denominateur"] == 0) & merged["indicateur"].map(types).isin(
        list(FACTEURS)) & merged["numerateur"].fillna(0).eq(0)
    numerateur = merged["numerateur"].where(~vide, 0.0)  # a lone child keeps its own row (the rule of one child)
    ok = (merged["statut"] == "ok") | vide
    work = pd.DataFrame({
        "code_parent": merged["code_parent"].to_numpy(), "indicateur": merged["indicateur"].to_numpy(),
        "annee": merged["annee"].to_numpy(),
        "n": 1, "secret": (merged["statut"] == "secret").to_numpy(), "pas_ok": (~ok).to_numpy(),
        "valeur": merged["valeur"].where(ok).to_numpy(dtype="float64"),
        "numerateur": numerateur.where(ok).to_numpy(dtype="float64"),
        "denominateur": merged["denominateur"].where(ok).to_numpy(dtype="float64"),
        "num_manquant": (ok & numerateur.isna()).to_numpy(),
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
    # A child missing from an exhaustive source holds none: 0 for a count, 0/0 for a ratio of its own counts.
    exhaustive = g["indicateur"].isin(list(exhaustifs)).to_numpy()
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
    if counts:
        out["vus"], out["attendus"] = g["n"].to_numpy(), g["attendus"].to_numpy()
        return out[[*cols, "vus", "attendus"]].reset_index(drop=True)
    return out[cols].reset_index(drop=True)


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
    exhaustifs: frozenset[str] | set[str] = frozenset(),
    table: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Convert commune observations from the COG of annee_depart to that of annee_arrivee.

    - fusions sum counts, numerators and denominators, then recompute ratios;
      a non-additive figure (median, decile) of a fused commune is not computable ('absent');
    - if any part of a fusion is secret, the result is secret;
    - a fusion with a part missing from `obs` gives no partial total ('secret' if an observed part
      is secret, else 'absent');
    - défusions split counts, numerators and denominators by the population ratio, and the
      results are flagged estimated (estime = True);
    - exhaustifs: indicators whose source lists every commune holding any: a part missing from `obs` holds
      none (0, or 0/0 for a ratio), so the fusion is complete;
    - table: passages_between(passages, annee_depart, annee_arrivee) when the caller keeps it for many calls
      (a kernel's notes: composing France's passages costs more than converting one commune).
    obs columns: code, indicateur, annee, valeur, numerateur, denominateur, statut[, estime]; one row
    per (code, indicateur, annee). types maps indicator -> glossary type (compte, taux, moyenne,
    densite, non_additif). Returns HARMONISED_COLUMNS: the rows of the codes the passages leave alone,
    in their input order, then the converted ones (unsorted: sorting 3 million rows would cost more
    than the conversion itself).

    Vectorised: the codes untouched by the passages go straight through; the others are combined
    with one groupby of sums (the same rule as aggregate_parts, part by part).
    """
    if table is None:
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
    incomplete = ((g["code"].map(expected).fillna(0).to_numpy() > g["matched"].to_numpy())
                  & ~g["indicateur"].isin(list(exhaustifs)).to_numpy())
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

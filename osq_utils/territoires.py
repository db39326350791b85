"""Territories: hierarchy by COG year, labels, COG harmonisation.

Hierarchy: IRIS -> commune -> EPCI -> département -> région -> France.
QPVs are attached to their commune(s). Membership follows the COG year. The observatory's own
groupings are read by `osq_utils.catalogues.groupements`.

Queries take `con`: a read-only DuckDB connection, or a note's masked view (secret.vue.Vue),
whose `execute` answers them; both are cached per store version.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from osq_utils import store
from osq_utils.agregation import aggregate_parts

# arm: municipal arrondissement of Paris, Lyon or Marseille, a territory of its own, never summed into a total
# (its commune is). ept: établissement public territorial of the Métropole du Grand Paris. strate: the communes
# of France métropolitaine of one population size band (derived figures only).
NIVEAUX = ["iris", "commune", "arm", "epci", "ept", "departement", "region", "france", "strate", "qpv"]
LIBELLES_NIVEAUX = {
    "iris": "IRIS",
    "commune": "Commune",
    "arm": "Arrondissement municipal",
    "epci": "Intercommunalité",
    "ept": "Établissement public territorial",
    "strate": "Communes de même taille",
    "departement": "Département",
    "region": "Région",
    "france": "France",
    "qpv": "Quartier prioritaire",
    "groupement": "Territoire d'intervention",
}
FRANCE = "FRM"  # France métropolitaine
FRANCE_ENTIERE = "FR"  # métropole and overseas départements
LIBELLES_FRANCE = {FRANCE: "France métropolitaine", FRANCE_ENTIERE: "France"}
# Overseas départements are outside France métropolitaine.
DOM_PREFIXES = ("97", "98")


@store.cached
def libelle(con, niveau: str, code: str, cog: int | None = None) -> str | None:
    if niveau == "france":
        return LIBELLES_FRANCE.get(code, "France métropolitaine")
    sql = "SELECT libelle FROM territoires WHERE niveau = ? AND code = ?"
    params: list = [niveau, code]
    if cog is not None:
        sql += " AND cog <= ?"
        params.append(cog)
    row = con.execute(sql + " ORDER BY cog DESC LIMIT 1", params).fetchone()
    return row[0] if row else None


def libelles(con, niveau: str, codes: list[str]) -> dict[str, str]:
    """Latest label of each code, in one query."""
    if not codes:
        return {}
    rows = con.execute(
        "SELECT code, arg_max(libelle, cog) FROM territoires WHERE niveau = ? AND code IN (SELECT unnest(?)) GROUP BY code",
        [niveau, list(codes)],
    ).fetchall()
    return dict(rows)


@store.cached
def parent(con, niveau: str, code: str, niveau_parent: str, cog: int | None = None) -> str | None:
    """Parent code in the given COG year (else the latest year on record)."""
    if niveau_parent == "france":
        return FRANCE
    if niveau == "commune" and niveau_parent == "region":
        dep = parent(con, "commune", code, "departement", cog)
        return parent(con, "departement", dep, "region", cog) if dep else None
    sql = "SELECT code_parent FROM appartenances WHERE niveau = ? AND code = ? AND niveau_parent = ?"
    params: list = [niveau, code, niveau_parent]
    if cog is not None:
        row = con.execute(sql + " AND cog = ? LIMIT 1", params + [cog]).fetchone()
        if row:
            return row[0]
    row = con.execute(sql + " ORDER BY cog DESC LIMIT 1", params).fetchone()
    return row[0] if row else None


@store.cached
def communes_of(con, niveau: str, code: str, cog: int | None = None) -> tuple[str, ...]:
    """Communes of an EPCI or département in a COG year (the latest on record if not given)."""
    if niveau == "commune":
        return (code,)
    if cog is None:
        row = con.execute(
            "SELECT max(cog) FROM appartenances WHERE niveau = 'commune' AND niveau_parent = ? AND code_parent = ?",
            [niveau, code],
        ).fetchone()
        cog = row[0] if row else None
        if cog is None:
            return ()
    rows = con.execute(
        "SELECT DISTINCT code FROM appartenances WHERE cog = ? AND niveau = 'commune' AND niveau_parent = ? "
        "AND code_parent = ? ORDER BY code",
        [cog, niveau, code],
    ).fetchall()
    return tuple(r[0] for r in rows)


@store.cached
def qpv_of_commune(con, commune: str, cog: int = 2015) -> tuple[str, ...]:
    rows = con.execute(
        "SELECT code FROM appartenances WHERE niveau = 'qpv' AND niveau_parent = 'commune' AND code_parent = ? AND cog = ? ORDER BY code",
        [commune, cog],
    ).fetchall()
    return tuple(r[0] for r in rows)


@store.cached
def communes_of_qpv(con, code: str, cog: int | None = None) -> tuple[str, ...]:
    """The communes a QPV lies on, in that COG year (in any year when not given)."""
    sql = ("SELECT DISTINCT code_parent FROM appartenances WHERE niveau = 'qpv' AND code = ? "
           "AND niveau_parent = 'commune'")
    params: list = [code]
    if cog is not None:
        sql += " AND cog = ?"
        params.append(cog)
    return tuple(r[0] for r in con.execute(sql + " ORDER BY code_parent", params).fetchall())


@store.cached
def iris_of(con, commune: str, cog: int = 2021) -> tuple[str, ...]:
    """The IRIS of a commune in the IRIS table of that year (2021 by default)."""
    return tuple(r[0] for r in con.execute(
        "SELECT DISTINCT code FROM appartenances WHERE niveau = 'iris' AND niveau_parent = 'commune' "
        "AND code_parent = ? AND cog = ? ORDER BY code", [commune, cog]).fetchall())


@store.cached
def communes_connues(con) -> frozenset[str]:
    """Every commune code of the store (any COG year)."""
    return frozenset(r[0] for r in con.execute("SELECT DISTINCT code FROM territoires WHERE niveau = 'commune'").fetchall())


@store.cached
def existe(con, niveau: str, code: str) -> bool:
    """Whether a territory is known at this level (any COG year)."""
    return con.execute("SELECT 1 FROM territoires WHERE niveau = ? AND code = ? LIMIT 1", [niveau, code]).fetchone() is not None


def check_commune_codes(con, codes: list[str], cog: int | None = None) -> list[str]:
    """Codes unknown as communes (in the given COG year, else in any year)."""
    if cog is None:
        known = communes_connues(con)
    else:
        known = frozenset(con.execute("SELECT DISTINCT code FROM territoires WHERE niveau = 'commune' AND cog = ?",
                                      [cog]).df()["code"])
    return [c for c in codes if c not in known]


# --- COG harmonisation -------------------------------------------------------


def passages_between(passages: pd.DataFrame, annee_depart: int, annee_arrivee: int) -> pd.DataFrame:
    """Compose the yearly passage tables into one table from annee_depart to annee_arrivee.

    Columns: code_depart, code_arrivee, type_modif ('f', 'd', 'c' or '='), ratio.
    """
    step = None
    for year in range(annee_depart, annee_arrivee):
        p = passages[(passages["annee_depart"] == year) & (passages["annee_arrivee"] == year + 1)][
            ["code_depart", "code_arrivee", "type_modif", "ratio"]
        ]
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
        step = pd.concat([merged[["code_depart", "code_arrivee", "type_modif", "ratio"]], new], ignore_index=True)
    if step is None:
        return pd.DataFrame(columns=["code_depart", "code_arrivee", "type_modif", "ratio"])
    return step.drop_duplicates(["code_depart", "code_arrivee"])


def harmonise_cog(
    obs: pd.DataFrame,
    passages: pd.DataFrame,
    annee_depart: int,
    annee_arrivee: int,
    types: dict[str, str],
) -> pd.DataFrame:
    """Convert commune observations from the COG of annee_depart to that of annee_arrivee.

    - fusions sum counts, numerators and denominators, then recompute ratios;
      a non-additive figure (median, decile) of a fused commune is not computable;
    - if any part of a fusion is secret, the result is secret;
    - défusions split counts, numerators and denominators by the population
      ratio, and the results are flagged estimated (estime = True).
    obs columns: code, indicateur, annee, valeur, numerateur, denominateur, statut.
    types maps indicator -> glossary type (compte, taux, moyenne, densite, non_additif).
    """
    table = passages_between(passages, annee_depart, annee_arrivee)
    obs = obs.copy()
    if "estime" not in obs:
        obs["estime"] = False
    mapped = obs.merge(table, left_on="code", right_on="code_depart", how="left")
    unchanged = mapped["code_arrivee"].isna()
    mapped.loc[unchanged, "code_arrivee"] = mapped.loc[unchanged, "code"]
    mapped["ratio"] = mapped["ratio"].fillna(1.0)
    mapped["type_modif"] = mapped["type_modif"].fillna("=")
    split = mapped["type_modif"] == "d"
    mapped["type"] = mapped["indicateur"].map(types)
    for col in ("numerateur", "denominateur"):
        mapped[col] = mapped[col] * mapped["ratio"]
    counts = mapped["type"] == "compte"
    mapped.loc[counts & split, "valeur"] = mapped.loc[counts & split, "valeur"] * mapped.loc[counts & split, "ratio"]
    mapped.loc[split, "estime"] = True

    # Every commune that the passage table sends into a code must be observed, else no partial total.
    expected = table.groupby("code_arrivee")["code_depart"].apply(set).to_dict()
    rows = []
    keys = ["code_arrivee", "indicateur", "annee"]
    for (code, indicateur, annee), part in mapped.groupby(keys, sort=False):
        parts_expected = expected.get(code, set())
        if parts_expected and not parts_expected <= set(part["code"]):
            secret = (part["statut"] == "secret").any()
            whole = aggregate_parts(part.iloc[0:0], None) | {"statut": "secret" if secret else "absent"}
        else:
            whole = aggregate_parts(part, part["type"].iloc[0])
        rows.append({"code": code, "indicateur": indicateur, "annee": annee, **whole})
    out = pd.DataFrame(rows)
    return out.sort_values(["indicateur", "annee", "code"]).reset_index(drop=True)

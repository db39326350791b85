"""Derived figures, computed at ingestion and stored as the source « osq-calculs ».

- commune figures from IRIS figures (census, CAF, partner deliveries by IRIS) where every IRIS of
  the commune is observed;
- densities (GPs per 10,000 inhabitants);
- EPCI figures summed from their communes, for indicators the producers do not publish by EPCI.

Counts are summed; ratios are recomputed from numerators and denominators; medians and deciles
are never derived; a secret part makes the whole secret, a missing one makes it absent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from osq_utils import store
from osq_utils.agregation import aggregate
from osq_utils.catalogues.conventions import load_conventions
from osq_utils.catalogues.glossaire import FACTEURS, Glossaire, load_glossaire
from osq_utils.store import DERIVED_SOURCE

IRIS_SOURCES = ["insee-rp-2016-iris", "cnaf-caf-iris-2016-2020"]


def delivered_iris_sources() -> list[str]:
    """Sources of the partner deliveries made by IRIS (data/conventions): summed into communes like the census."""
    return [c.source for c in load_conventions().values() if c.echelle == "iris"]


def derive(con, glossaire: Glossaire | None = None) -> int:
    """Rebuild the store's derived figures (source 'osq-calculs') in one transaction.

    - commune figures from IRIS figures (census, CAF) where every IRIS of the
      commune is observed (IRIS table of 2021); IRIS of activity (A) or
      miscellaneous (D) type that the producer left out make the result an
      estimate;
    - densities (GPs per 10,000 inhabitants).
    """
    glossaire = glossaire or load_glossaire()
    frames = []
    ref = con.execute("SELECT code, type_iris FROM iris_types WHERE cog = 2021").df()
    if not ref.empty:
        ref["commune"] = ref["code"].str[:5]
        for source in IRIS_SOURCES + delivered_iris_sources():
            obs = con.execute(
                "SELECT code, indicateur, annee, valeur, numerateur, denominateur, statut FROM observations "
                "WHERE source = ? AND niveau = 'iris'",
                [source],
            ).df()
            if obs.empty:
                continue
            frames.append(_iris_to_commune(obs, ref, glossaire))
    frames.append(_densities(con))
    communes = pd.concat([f for f in frames if f is not None and not f.empty], ignore_index=True) if frames else pd.DataFrame()
    if not communes.empty:
        communes["niveau"] = "commune"
    out = pd.concat([communes, _epci_from_communes(con, communes, glossaire)], ignore_index=True)
    store.replace_source(con, DERIVED_SOURCE, {"observations": out}, [
        {"fichier": "(calculs OSQ)", "lignes_lues": len(out), "lignes_gardees": len(out), "observations": len(out)}
    ])
    return len(out)


def _iris_to_commune(obs: pd.DataFrame, ref: pd.DataFrame, glossaire: Glossaire) -> pd.DataFrame:
    """Vectorised IRIS -> commune sums; see derive()."""
    types = glossaire.types()
    obs = obs[obs["indicateur"].map(types).isin(["compte", "taux", "moyenne", "densite"])]
    obs = obs.assign(commune=obs["code"].str[:5]).merge(ref[["code", "type_iris"]], on="code", how="left")
    obs["habite"] = obs["type_iris"].isin(["H", "Z"])
    obs["secret"] = obs["statut"] == "secret"
    keys = ["commune", "indicateur", "annee"]
    g = obs.groupby(keys).agg(
        n=("code", "size"), habites=("habite", "sum"), secrets=("secret", "sum"),
        valeur=("valeur", "sum"), numerateur=("numerateur", lambda x: x.sum(min_count=len(x))),
        denominateur=("denominateur", lambda x: x.sum(min_count=len(x))),
    ).reset_index()
    expected = ref.assign(habite=ref["type_iris"].isin(["H", "Z"])).groupby("commune").agg(
        attendus=("code", "size"), habites_attendus=("habite", "sum"))
    g = g.merge(expected, left_on="commune", right_index=True, how="inner")
    # An inhabited IRIS missing from the producer's file: no commune figure.
    g = g[g["habites"] >= g["habites_attendus"]]
    kind = g["indicateur"].map(types)
    factor = kind.map(FACTEURS)
    secret = g["secrets"] > 0
    value = np.where(kind == "compte", g["valeur"], g["numerateur"] / g["denominateur"].where(g["denominateur"] > 0) * factor)
    out = pd.DataFrame({
        "code": g["commune"], "indicateur": g["indicateur"], "annee": g["annee"].astype(int),
        "valeur": np.where(secret, np.nan, value),
        "numerateur": np.where(secret, np.nan, np.where(kind == "compte", g["valeur"], g["numerateur"])),
        "denominateur": np.where(secret | (kind == "compte"), np.nan, g["denominateur"]),
        "cog": 2021,
        "estime": g["n"] < g["attendus"],
    })
    out["statut"] = np.where(secret, "secret", np.where(pd.isna(out["valeur"]), "absent", "ok"))
    return out


def _epci_from_communes(con, derived: pd.DataFrame, glossaire: Glossaire) -> pd.DataFrame:
    """EPCI figures summed from their communes, for indicators INSEE does not publish by EPCI.

    Membership is that of the observation's COG year; an EPCI with any commune
    missing gets no figure (never a partial total).
    """
    # One figure per commune, indicator and year: when several sources give it (a population of COG year y from
    # COGugaison and from the comparateur de territoires, in another COG), the glossary's source order decides,
    # as in indicateurs.une_source_par_valeur; otherwise one EPCI would get two sums for the same year.
    ranks = pd.DataFrame([(i, s, r) for (i, s), r in glossaire.source_rank().items()],
                         columns=["indicateur", "source", "rang"])
    con.register("_osq_rangs", ranks)
    direct = con.execute(
        "SELECT o.code, o.indicateur, o.annee, o.valeur, o.numerateur, o.denominateur, o.statut, o.cog "
        "FROM observations o LEFT JOIN _osq_rangs r USING (indicateur, source) "
        "WHERE o.niveau = 'commune' AND o.source <> ? "
        "QUALIFY row_number() OVER (PARTITION BY o.code, o.indicateur, o.annee ORDER BY coalesce(r.rang, 99), o.source) = 1",
        [DERIVED_SOURCE]).df()
    con.unregister("_osq_rangs")
    obs = pd.concat([direct, derived.drop(columns=["niveau", "estime"], errors="ignore")], ignore_index=True)
    with_epci = set(con.execute("SELECT DISTINCT indicateur FROM observations WHERE niveau = 'epci' AND source <> ?",
                                [DERIVED_SOURCE]).df()["indicateur"])
    types = glossaire.types()
    obs = obs[~obs["indicateur"].isin(with_epci) & obs["indicateur"].map(types).isin(["compte", "taux", "moyenne", "densite"])]
    members = _complete_memberships(con.execute(
        "SELECT cog, code, code_parent FROM appartenances WHERE niveau = 'commune' AND niveau_parent = 'epci'").df())
    frames = []
    for cog, part in obs.groupby("cog"):
        groups = members[members["cog"] == int(cog)]
        if groups.empty:
            continue
        agg = aggregate(part, groups[["code", "code_parent"]], types)
        frames.append(agg.assign(niveau="epci", cog=int(cog)))
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    return out[out["statut"] == "ok"]


FULL_COG_MIN_COMMUNES = 30_000  # a COG year with fewer communes on record covers only some départements


def _department(code: str) -> str:
    return code[:3] if code.startswith("97") else code[:2]


def _complete_memberships(members: pd.DataFrame) -> pd.DataFrame:
    """Commune → EPCI memberships, without the EPCI that a partial COG year covers only in part.

    Some years come from a table of four départements only: an EPCI that spans into another
    département (per the nearest complete year) would get a partial total, so it is left out.
    """
    sizes = members.groupby("cog")["code"].nunique()
    complete = sorted(int(y) for y, n in sizes.items() if n >= FULL_COG_MIN_COMMUNES)
    if not complete:
        return members
    frames = []
    for cog, part in members.groupby("cog"):
        cog = int(cog)
        if cog in complete:
            frames.append(part)
            continue
        covered = {_department(c) for c in part["code"]}
        nearest = min(complete, key=lambda y: (abs(y - cog), -y))
        full = members[members["cog"] == nearest]
        spans = full.assign(dep=full["code"].map(_department)).groupby("code_parent")["dep"].agg(set)
        keep = [e for e in part["code_parent"].unique() if e in spans.index and spans[e] <= covered]
        frames.append(part[part["code_parent"].isin(keep)])
    return pd.concat(frames, ignore_index=True)


def _densities(con) -> pd.DataFrame:
    df = con.execute(
        """
        SELECT m.code, m.annee, m.valeur AS medecins, p.population
        FROM observations m
        -- Several sources may give a commune's population for one COG year (COGugaison, comparateur de
        -- territoires); they agree where they overlap (tests/complet/test_comparateur.py): one row each.
        JOIN (SELECT cog, code, arg_min(population, source) AS population FROM populations GROUP BY cog, code) p
          ON p.code = m.code AND p.cog = m.annee
        WHERE m.indicateur = 'medecins_generalistes' AND m.niveau = 'commune' AND m.source <> ?
        """,
        [DERIVED_SOURCE],
    ).df()
    if df.empty:
        return df
    ok = df["population"] > 0
    return pd.DataFrame({
        "code": df["code"], "indicateur": "densite_medecins_generalistes", "annee": df["annee"],
        "valeur": np.where(ok, df["medecins"] / df["population"].where(ok) * FACTEURS["densite"], np.nan),
        "numerateur": df["medecins"], "denominateur": df["population"],
        "statut": np.where(ok, "ok", "absent"), "cog": df["annee"], "estime": False,
    })

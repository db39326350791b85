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
from osq_utils.agregation import harmonise_cog
from osq_utils.catalogues.conventions import load_conventions
from osq_utils.catalogues.glossaire import DENOMINATEUR_POPULATION, FACTEURS, Glossaire, load_glossaire
from osq_utils.catalogues.sources import indicateurs_exhaustifs
from osq_utils.ingest import niveaux
from osq_utils.store import DERIVED_SOURCE

IRIS_SOURCES = ["insee-rp-2016-iris", "cnaf-caf-iris-2016-2020"]


def delivered_iris_sources() -> list[str]:
    """Sources of the partner deliveries made by IRIS (data/conventions): summed into communes like the census."""
    return [c.source for c in load_conventions().values() if c.echelle == "iris"]


def derive(con, glossaire: Glossaire | None = None) -> int:
    """Rebuild the store's derived figures (source 'osq-calculs') in one transaction.

    Strings are held as Python objects here, not Arrow: the millions of commune rows are merged, grouped and
    taken again and again, which Arrow strings pay in copies (measured on the whole mirror: 49 s and
    5.1 GB with Arrow, 43 s and 3.8 GB this way, the same figures).

    - commune figures from IRIS figures (census, CAF) where every IRIS of the
      commune is observed (IRIS table of 2021); IRIS of activity (A) or
      miscellaneous (D) type that the producer left out make the result an
      estimate;
    - densities (GPs per 10,000 inhabitants).

    Then the observations are stored in territory order (store.ranger), for the notes' reads.
    """
    with pd.option_context("mode.string_storage", "python"):
        n = _derive(con, glossaire or load_glossaire())
    store.ranger(con)  # every load ends here: the observations go back to territory order
    return n


def _derive(con, glossaire: Glossaire) -> int:
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
    cible = niveaux.cog_cible(con)
    population = _population(con, cible) if cible else pd.DataFrame(columns=["code", "population"])
    levels = _calculs_niveaux(_niveaux(con, communes, glossaire, population), glossaire)
    out = pd.concat([communes, levels], ignore_index=True)
    strates = niveaux.membres_strates(con, population)
    tables = {"observations": out}
    if not strates.empty:
        tables["appartenances"] = strates
        tables["territoires"] = niveaux.territoires_strates(int(strates["cog"].iloc[0]))
    store.replace_source(con, DERIVED_SOURCE, tables, [
        {"fichier": "(calculs OSQ)", "lignes_lues": len(out), "lignes_gardees": len(out), "observations": len(out)}
    ])
    return len(out)


def _iris_to_commune(obs: pd.DataFrame, ref: pd.DataFrame, glossaire: Glossaire) -> pd.DataFrame:
    """Vectorised IRIS -> commune sums; see derive()."""
    types = glossaire.types()
    obs = obs[obs["indicateur"].map(types).isin(["compte", *FACTEURS])]
    obs = obs.assign(commune=obs["code"].str[:5]).merge(ref[["code", "type_iris"]], on="code", how="left")
    obs["habite"] = obs["type_iris"].isin(["H", "Z"])
    obs["secret"] = obs["statut"] == "secret"
    obs["num_nan"], obs["den_nan"] = obs["numerateur"].isna(), obs["denominateur"].isna()
    keys = ["commune", "indicateur", "annee"]
    g = obs.groupby(keys).agg(
        n=("code", "size"), habites=("habite", "sum"), secrets=("secret", "sum"), valeur=("valeur", "sum"),
        numerateur=("numerateur", "sum"), denominateur=("denominateur", "sum"),
        num_nan=("num_nan", "sum"), den_nan=("den_nan", "sum"),
    ).reset_index()
    # A numerator or denominator missing for one IRIS: none for the commune.
    g["numerateur"] = g["numerateur"].where(g["num_nan"] == 0)
    g["denominateur"] = g["denominateur"].where(g["den_nan"] == 0)
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


def _niveaux(con, derived: pd.DataFrame, glossaire: Glossaire, population: pd.DataFrame) -> pd.DataFrame:
    """EPCI, EPT, département, région, France and strata summed from every commune figure (ingest.niveaux),
    where no producer publishes that level."""
    # Only the figures a level can be summed from (derive_niveaux drops the others): a third of the rows.
    derivables = [i.code for i in glossaire if i.derivable]
    direct = con.execute(
        "SELECT code, indicateur, annee, valeur, numerateur, denominateur, statut, cog, source, estime FROM observations "
        "WHERE niveau = 'commune' AND source <> ? AND indicateur IN (SELECT unnest(?))", [DERIVED_SOURCE, derivables]).df()
    own = derived.drop(columns=["niveau"], errors="ignore").assign(source=DERIVED_SOURCE)
    communes = _shared_strings(pd.concat([direct, own], ignore_index=True), ["code", "indicateur", "statut", "source"])
    del direct
    out = niveaux.derive_niveaux(con, communes, glossaire, exhaustifs=indicateurs_exhaustifs(glossaire), population=population)
    published = con.execute("SELECT DISTINCT niveau, code, indicateur, annee FROM observations WHERE source <> ? "
                            "AND niveau IN ('epci', 'ept', 'departement', 'region', 'france')", [DERIVED_SOURCE]).df()
    return niveaux.sans_doublon_producteur(out, published)


def _shared_strings(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The same frame, each equal string of these columns held once: the store hands out one string object per
    cell, which for millions of rows of a few thousand codes is most of the memory of the derived levels."""
    for column in columns:
        codes, uniques = pd.factorize(df[column])
        df[column] = pd.Series(uniques.take(codes, allow_fill=True), index=df.index)
    return df


def _calculs_niveaux(levels: pd.DataFrame, glossaire: Glossaire) -> pd.DataFrame:
    """Ratios declared by a `calcul` (densities), recomputed at each derived level from that level's own
    numerator and denominator (the latest denominator year not after the numerator's), not summed from the
    communes' ratios: a commune absent from an exhaustive count (no GP) still has inhabitants. Strata get
    none (their counts are not derived)."""
    computed = [i for i in glossaire if i.calcul]
    if levels.empty or not computed:
        return levels
    keep = levels[~levels["indicateur"].isin([i.code for i in computed])]
    ok = levels[(levels["statut"] == "ok") & (levels["niveau"] != "strate")]
    frames = [keep]
    for ind in computed:
        num = ok[ok["indicateur"] == ind.calcul.numerateur]
        den = ok[ok["indicateur"] == ind.calcul.denominateur][["niveau", "code", "annee", "valeur"]]
        if num.empty or den.empty:
            continue
        pairs = pd.merge_asof(num.sort_values("annee"), den.rename(columns={"valeur": "den"}).sort_values("annee"),
                              on="annee", by=["niveau", "code"], direction="backward").dropna(subset=["den"])
        pairs = pairs[pairs["den"] > 0]
        frames.append(pd.DataFrame({
            "code": pairs["code"], "niveau": pairs["niveau"], "indicateur": ind.code, "annee": pairs["annee"],
            "valeur": pairs["valeur"] / pairs["den"] * FACTEURS[ind.type], "numerateur": pairs["valeur"],
            "denominateur": pairs["den"], "statut": "ok", "cog": pairs["cog"], "estime": pairs["estime"]}))
    return pd.concat(frames, ignore_index=True)


def _population(con, cible: int) -> pd.DataFrame:
    """Population municipale of every commune in the target COG, from the latest national year on record."""
    counts = dict(con.execute("SELECT cog, count(DISTINCT code) FROM populations GROUP BY cog").fetchall())
    years = [y for y in niveaux.annees_completes(counts) if y <= cible]
    row = (years[-1],) if years else None
    if not row or row[0] is None:
        return pd.DataFrame(columns=["code", "population"])
    # Several sources may give one COG year (COGugaison, comparateur de territoires): they agree where they
    # overlap (tests/complet/test_comparateur.py), one row per commune.
    pop = con.execute("SELECT code, arg_min(population, source) AS valeur FROM populations WHERE cog = ? GROUP BY code",
                      [int(row[0])]).df()
    obs = pop.assign(indicateur="population", annee=int(row[0]), numerateur=pop["valeur"], denominateur=np.nan,
                     statut=np.where(pop["valeur"].notna(), "ok", "absent"), cog=int(row[0]))
    passages = con.execute("SELECT * FROM passages_cog").df()
    moved = obs if int(row[0]) == cible else harmonise_cog(obs, passages, int(row[0]), cible, {"population": "compte"})
    moved = moved[moved["statut"] == "ok"]
    return pd.DataFrame({"code": moved["code"], "population": moved["valeur"]})


def _densities(con, glossaire: Glossaire | None = None) -> pd.DataFrame:
    """Ratios computed from two stored commune counts, for every glossary indicator that declares a `calcul`.

    numerateur / denominateur × the type's factor (densite: per 10,000 inhabitants), commune by commune:
    - denominateur « population »: the population municipale of the numerator's COG year (`populations`);
    - denominateur a count indicator: its latest year not after the numerator's year (e.g. main residences of
      the latest census); if that figure is in another COG, communes whose code changed between the two COG
      years (passages_cog) get none, rather than a ratio of two different territories.
    A secret numerator or denominator makes the ratio secret; a zero denominator makes it absent; a commune
    without a denominator in the store gets no row.
    """
    glossaire = glossaire or load_glossaire()
    rank = glossaire.source_rank()
    frames = []
    for ind in glossaire:
        if ind.calcul is None:
            continue
        num = _commune_counts(con, ind.calcul.numerateur, rank)
        if num.empty:
            continue
        if ind.calcul.denominateur == DENOMINATEUR_POPULATION:
            den = con.execute(
                "SELECT cog, code, arg_min(population, source) AS den_valeur FROM populations GROUP BY cog, code").df()
            pairs = num.merge(den, on=["code", "cog"], how="left")
            pairs["den_statut"] = np.where(pairs["den_valeur"].notna(), "ok", "absent")
        else:
            pairs = _latest_denominator(con, num, _commune_counts(con, ind.calcul.denominateur, rank))
        pairs = pairs[pairs["den_statut"] != "absent"]  # no denominator in the store: no row, as for any missing figure
        ok_den = (pairs["den_statut"] == "ok") & (pairs["den_valeur"] > 0)
        secret = (pairs["statut"] == "secret") | (pairs["den_statut"] == "secret")
        value = pairs["valeur"] / pairs["den_valeur"].where(ok_den) * FACTEURS[ind.type]
        frames.append(pd.DataFrame({
            "code": pairs["code"], "indicateur": ind.code, "annee": pairs["annee"].astype(int),
            "valeur": np.where(secret, np.nan, value),
            "numerateur": np.where(secret, np.nan, pairs["valeur"]),
            "denominateur": pairs["den_valeur"].where(ok_den),
            "statut": np.where(secret, "secret", np.where(ok_den, "ok", "absent")),
            "cog": pairs["cog"].astype(int), "estime": False,
        }))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _commune_counts(con, indicateur: str, rank: dict[tuple[str, str], int]) -> pd.DataFrame:
    """An indicator's commune observations from the producers (ok or secret), one per commune and year:
    the glossary's first source wins."""
    obs = con.execute(
        "SELECT code, annee, cog, valeur, statut, source FROM observations WHERE indicateur = ? AND niveau = 'commune' "
        "AND source <> ? AND statut IN ('ok', 'secret') AND cog IS NOT NULL", [indicateur, DERIVED_SOURCE]).df()
    obs["rang"] = [rank.get((indicateur, s), len(rank)) for s in obs["source"]]
    return (obs.sort_values(["rang", "source"]).drop_duplicates(["code", "annee"])
            .drop(columns=["rang", "source"]).reset_index(drop=True))


def _latest_denominator(con, num: pd.DataFrame, den: pd.DataFrame) -> pd.DataFrame:
    """num with den_valeur and den_statut: the denominator's latest year not after each numerator year."""
    passages = con.execute("SELECT annee_depart, annee_arrivee, code_depart, code_arrivee FROM passages_cog").df()
    parts = []
    for (annee, cog), part in num.groupby(["annee", "cog"]):
        earlier = den[den["annee"] <= annee]
        if earlier.empty:
            parts.append(part.assign(den_valeur=np.nan, den_statut="absent"))
            continue
        latest = earlier[earlier["annee"] == earlier["annee"].max()]
        # One COG per denominator year: the most frequent one if a source mixes them.
        den_cog = int(latest["cog"].mode().iloc[0])
        latest = latest[latest["cog"] == den_cog]
        lo, hi = sorted((den_cog, int(cog)))
        moved = passages[(passages["annee_depart"] >= lo) & (passages["annee_arrivee"] <= hi)]
        changed = set(moved["code_depart"]) | set(moved["code_arrivee"])
        latest = latest[~latest["code"].isin(changed)]
        merged = part.merge(latest[["code", "valeur", "statut"]].rename(
            columns={"valeur": "den_valeur", "statut": "den_statut"}), on="code", how="left")
        merged["den_statut"] = merged["den_statut"].fillna("absent")
        parts.append(merged)
    return pd.concat(parts, ignore_index=True)

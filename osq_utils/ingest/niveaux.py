"""Reference levels derived from commune figures: EPCI, EPT, département, région, France métropolitaine,
France entière and the population strata of France métropolitaine.

Every commune figure is first moved into one geography, the target COG (the latest year with a national
membership table that the passage tables reach), then summed into each level with that year's membership:
- counts are summed; ratios are recomputed from summed numerators and denominators; non-additive figures
  (medians, deciles) and rates published without their numerator (`agregeable: false`) are never derived;
- a level with one secret commune is secret, one with a missing commune gets no figure (never a partial
  total), except for a source that lists every commune holding any (`exhaustif` in the catalogue);
- a municipal arrondissement is never a commune here: Paris, Lyon and Marseille count once;
- a stratum (communes of France métropolitaine of one population size band, by their latest population
  municipale) gets ratios only, from the communes whose numerator and denominator are published, when they
  hold at least COUVERTURE_MIN_STRATE of its inhabitants (estimated, « (e) », when not all);
- a derived figure never replaces its producer's: the producer's wins where it publishes the level.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from osq_utils.agregation import aggregate, harmonise_cog
from osq_utils.catalogues.glossaire import FACTEURS, Glossaire
from osq_utils.catalogues.strates import STRATES, strate_of

NIVEAUX_DERIVES = ("epci", "ept", "departement", "region", "france")
FRANCE_METRO, FRANCE_ENTIERE = "FRM", "FR"
DOM_PREFIXES = ("97", "98")
# A year of a table (memberships, populations, communes) is whole when it holds at least this share of the
# communes of the table's fullest year: a year that covers only some départements (an older history of the
# observatory's own communes) is never a target nor a universe. Relative, so that a store cut to one
# département (the CAPSO tests) derives its levels as the national one does.
PART_ANNEE_COMPLETE = 0.9
COUVERTURE_MIN_STRATE = 0.8
COLONNES = ["code", "niveau", "indicateur", "annee", "valeur", "numerateur", "denominateur", "statut", "cog",
            "estime"]


def annees_completes(counts: dict[int, int]) -> list[int]:
    """The years whose count of communes is at least PART_ANNEE_COMPLETE of the fullest year's."""
    if not counts:
        return []
    most = max(counts.values())
    return sorted(y for y, n in counts.items() if n >= PART_ANNEE_COMPLETE * most)


def cog_cible(con) -> int | None:
    """The latest COG year with a whole commune → département membership that the passage tables reach."""
    counts = dict(con.execute("SELECT cog, count(DISTINCT code) FROM appartenances WHERE niveau = 'commune' "
                              "AND niveau_parent = 'departement' GROUP BY cog").fetchall())
    # The passage tables (COGugaison, with its populations) reach this year; a store cut to a few communes holds
    # only the passages that concern them, so its populations tell how far the tables go.
    reach = con.execute("SELECT max(y) FROM (SELECT max(annee_arrivee) AS y FROM passages_cog UNION ALL "
                        "SELECT max(cog) FROM populations)").fetchone()[0]
    years = [y for y in annees_completes(counts) if reach is None or y <= reach]
    return int(years[-1]) if years else None


def appartenances(con, cog: int) -> pd.DataFrame:
    """code (commune of that COG), niveau_parent, code_parent for every derived level, France included.

    The région of a commune comes from its département when the table has no direct link."""
    m = con.execute(
        "SELECT DISTINCT code, niveau_parent, code_parent FROM appartenances WHERE cog = ? AND niveau = 'commune' "
        "AND niveau_parent IN ('epci', 'ept', 'departement', 'region')", [cog]).df()
    deps = m[m["niveau_parent"] == "departement"]
    if not (m["niveau_parent"] == "region").any():
        regions = con.execute("SELECT DISTINCT code, code_parent FROM appartenances WHERE cog = ? AND niveau = "
                              "'departement' AND niveau_parent = 'region'", [cog]).df()
        via = deps.merge(regions, left_on="code_parent", right_on="code", suffixes=("", "_r"))
        m = pd.concat([m, pd.DataFrame({"code": via["code"], "niveau_parent": "region",
                                        "code_parent": via["code_parent_r"]})], ignore_index=True)
    communes = deps["code"].drop_duplicates()
    metro = communes[~communes.str.startswith(DOM_PREFIXES)]
    france = pd.concat([pd.DataFrame({"code": metro, "niveau_parent": "france", "code_parent": FRANCE_METRO}),
                        pd.DataFrame({"code": communes, "niveau_parent": "france", "code_parent": FRANCE_ENTIERE})])
    return pd.concat([m, france], ignore_index=True)


def strates(population: pd.DataFrame, communes_metro: set[str]) -> pd.DataFrame:
    """code, code_parent (the stratum's code), population: communes of France métropolitaine by size."""
    pop = population[population["code"].isin(communes_metro) & population["population"].notna()]
    codes = [s.code if (s := strate_of(p)) else None for p in pop["population"]]
    return pd.DataFrame({"code": pop["code"].to_numpy(), "code_parent": codes,
                         "population": pop["population"].to_numpy()}).dropna(subset=["code_parent"])


def _dans_la_cible(obs: pd.DataFrame, passages: pd.DataFrame, cible: int, types: dict[str, str],
                   exhaustifs: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Commune observations moved into the target COG (harmonise_cog, per COG year of the files)."""
    frames = []
    for cog, part in obs.groupby(obs["cog"].fillna(cible).astype(int), sort=False):
        if int(cog) == cible:
            frames.append(part)
        elif int(cog) < cible:
            frames.append(harmonise_cog(part, passages, int(cog), cible, types, exhaustifs))
        # A file in a later geography than the target stays out (no passage table goes backwards).
    return pd.concat(frames, ignore_index=True) if frames else obs.iloc[0:0]


def _zeros_exhaustifs(con, obs: pd.DataFrame, exhaustifs: frozenset[str], cible: int,
                      types: dict[str, str]) -> pd.DataFrame:
    """For a count whose source lists every commune holding any, the communes of the file's COG that it does not
    list hold none: they enter the sums as 0 (this is never stored as a commune figure). The communes of a COG
    year come from the store's national list of that year, else from the target year's."""
    if not exhaustifs:
        return obs
    lists = con.execute("SELECT cog, list(DISTINCT code) FROM territoires WHERE niveau = 'commune' GROUP BY cog").fetchall()
    whole = set(annees_completes({int(cog): len(codes) for cog, codes in lists}))
    communes = {int(cog): pd.Series(codes) for cog, codes in lists if int(cog) in whole}
    frames = [obs]
    part_obs = obs[obs["indicateur"].isin(list(exhaustifs)) & (obs["indicateur"].map(types) == "compte")]
    for (ind, annee, cog), part in part_obs.groupby(["indicateur", "annee", part_obs["cog"].fillna(cible).astype(int)]):
        universe = communes.get(int(cog), communes.get(cible))
        if universe is None:
            continue
        missing = universe[~universe.isin(part["code"])]
        frames.append(pd.DataFrame({"code": missing.to_numpy(), "indicateur": ind, "annee": annee, "valeur": 0.0,
                                    "numerateur": 0.0, "denominateur": np.nan, "statut": "ok", "cog": cog,
                                    "source": part["source"].iloc[0], "estime": False}))
    return pd.concat(frames, ignore_index=True)


def _gardes(out: pd.DataFrame) -> pd.DataFrame:
    """The derived figures worth storing: computed ones, and the secret ones of a level whose every commune is in
    the source (one of them secret). A level the source covers only in part gets no row: its figure is absent
    from the sources, whatever the secrecy of the communes it does cover. out: aggregate(..., counts=True)."""
    keep = (out["statut"] == "ok") | ((out["statut"] == "secret") & (out["vus"] >= out["attendus"]))
    return out[keep].drop(columns=["vus", "attendus"]).reset_index(drop=True)


def _strates(obs: pd.DataFrame, groups: pd.DataFrame, types: dict[str, str]) -> pd.DataFrame:
    """Ratios of each stratum from its communes with a usable numerator and denominator (see module doc)."""
    ratios = obs[obs["indicateur"].map(types).isin(list(FACTEURS))]
    usable = ratios[(ratios["statut"] == "ok") & ratios["numerateur"].notna() & (ratios["denominateur"] > 0)]
    merged = usable.merge(groups, on="code")
    if merged.empty:
        return pd.DataFrame(columns=COLONNES)
    total = groups.groupby("code_parent")["population"].sum()
    g = merged.groupby(["code_parent", "indicateur", "annee"], sort=False).agg(
        numerateur=("numerateur", "sum"), denominateur=("denominateur", "sum"), couverte=("population", "sum"),
        estime=("estime", "any")).reset_index()
    couverture = g["couverte"] / g["code_parent"].map(total)
    ok = couverture >= COUVERTURE_MIN_STRATE
    factor = g["indicateur"].map(types).map(FACTEURS)
    return pd.DataFrame({
        "code": g["code_parent"], "niveau": "strate", "indicateur": g["indicateur"], "annee": g["annee"],
        "valeur": np.where(ok, g["numerateur"] / g["denominateur"] * factor, np.nan),
        "numerateur": np.where(ok, g["numerateur"], np.nan), "denominateur": np.where(ok, g["denominateur"], np.nan),
        "statut": np.where(ok, "ok", "absent"), "cog": None,
        "estime": g["estime"].fillna(False).astype(bool).to_numpy() | (couverture < 1).to_numpy(),
    })


def membres_strates(con, population: pd.DataFrame) -> pd.DataFrame:
    """The stratum of each commune of France métropolitaine (target COG), as store tables: `appartenances`
    rows (commune → strate) and `territoires` rows (the strata and their labels), keyed "appartenances" and
    "territoires"."""
    cible = cog_cible(con)
    if cible is None or population.empty:
        return pd.DataFrame()
    members = appartenances(con, cible)
    metro = set(members.loc[(members["niveau_parent"] == "france") & (members["code_parent"] == FRANCE_METRO), "code"])
    groups = strates(population, metro)
    return pd.DataFrame({"cog": cible, "niveau": "commune", "code": groups["code"], "niveau_parent": "strate",
                         "code_parent": groups["code_parent"]})


def territoires_strates(cog: int) -> pd.DataFrame:
    return pd.DataFrame({"niveau": "strate", "code": [s.code for s in STRATES],
                         "libelle": [f"Communes de {s.libelle}" for s in STRATES], "cog": cog})


def derive_niveaux(con, communes: pd.DataFrame, glossaire: Glossaire, *, exhaustifs: frozenset[str] = frozenset(),
                   population: pd.DataFrame | None = None) -> pd.DataFrame:
    """The derived figures of every reference level (COLONNES), from commune observations.

    communes: code, indicateur, annee, valeur, numerateur, denominateur, statut, cog, source[, estime] of level
    commune (one row per source). exhaustifs: count indicators whose source lists every commune holding any.
    population: code, population of the communes in the target COG (strata); None: no strata.
    """
    cible = cog_cible(con)
    if cible is None or communes.empty:
        return pd.DataFrame(columns=COLONNES)
    types = glossaire.types()
    derivables = {i.code for i in glossaire if i.derivable}
    obs = communes[communes["indicateur"].isin(derivables)].copy()
    if "estime" not in obs:
        obs["estime"] = False
    # One source per indicator and year, so that its communes come in one geography, never mixed with another
    # file's: the one listing the most communes (a national file beats a file of a few départements), then the
    # first of the glossary's order.
    rank = glossaire.source_rank()
    counts = obs.groupby(["indicateur", "annee", "source"], sort=False)["code"].nunique().rename("n").reset_index()
    counts["_cle"] = [-n * 1000 + rank.get((i, s), 99) for i, s, n in zip(counts["indicateur"], counts["source"], counts["n"])]
    best = counts.sort_values("_cle").drop_duplicates(["indicateur", "annee"])[["indicateur", "annee", "source"]]
    obs = obs.merge(best, on=["indicateur", "annee", "source"])
    passages = con.execute("SELECT annee_depart, annee_arrivee, code_depart, code_arrivee, type_modif, ratio "
                           "FROM passages_cog").df()
    obs = _zeros_exhaustifs(con, obs, exhaustifs, cible, types)
    moved = _dans_la_cible(obs, passages, cible, types, exhaustifs).drop_duplicates(["code", "indicateur", "annee"])
    members = appartenances(con, cible)
    frames = []
    for niveau in NIVEAUX_DERIVES:
        groups = members.loc[members["niveau_parent"] == niveau, ["code", "code_parent"]]
        if groups.empty:
            continue
        out = aggregate(moved, groups, types, exhaustifs, unique=True, counts=True)
        frames.append(_gardes(out).assign(niveau=niveau, cog=cible))
    if population is not None and not population.empty:
        metro = set(members.loc[(members["niveau_parent"] == "france") & (members["code_parent"] == FRANCE_METRO), "code"])
        frames.append(_strates(moved, strates(population, metro), types).assign(cog=cible))
    if not frames:
        return pd.DataFrame(columns=COLONNES)
    out = pd.concat(frames, ignore_index=True)
    return out[COLONNES]


def sans_doublon_producteur(derived: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """The derived figures where no producer publishes the same level, territory, indicator and year."""
    keys = ["niveau", "code", "indicateur", "annee"]
    if published.empty or derived.empty:
        return derived
    seen = published[keys].drop_duplicates().assign(_publie=True)
    merged = derived.merge(seen, on=keys, how="left")
    return merged[merged["_publie"].isna()].drop(columns="_publie")



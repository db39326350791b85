"""Indicators: the glossary, derived figures, aggregation, comparisons and evolutions.

Every ratio is recomputed from its numerator and denominator; medians and
deciles are never aggregated; a secret or missing value stays so (never 0).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from osq_utils import store, territoires
from osq_utils.agregation import FACTORS, aggregate_parts
from osq_utils.errors import OsqError

GLOSSAIRE = Path(__file__).resolve().parent.parent / "data" / "glossaire.yml"
DERIVED_SOURCE = "osq-calculs"
REQUIRED_FIELDS = ["code", "libelle", "theme", "definition", "unite", "type", "numerateur", "denominateur",
                   "sources", "niveaux", "annees", "sens", "seuil_secret"]


@dataclass(frozen=True)
class Indicateur:
    code: str
    libelle: str
    theme: str
    definition: str
    unite: str
    type: str
    numerateur: str | None
    denominateur: str | None
    sources: tuple[str, ...]
    niveaux: tuple[str, ...]
    annees: tuple[int, ...]
    sens: str
    seuil_secret: dict = field(hash=False, compare=False, default_factory=dict)
    decimales: int = 1

    @property
    def additif(self) -> bool:
        return self.type != "non_additif"


@dataclass(frozen=True)
class Glossaire:
    indicateurs: dict[str, Indicateur]
    themes: dict[str, str]

    def __getitem__(self, code: str) -> Indicateur:
        try:
            return self.indicateurs[code]
        except KeyError:
            raise OsqError(f"indicateur « {code} » absent du glossaire", fichier="data/glossaire.yml",
                           correction="ajoutez-le au glossaire ou corrigez son code.") from None

    def __iter__(self):
        return iter(self.indicateurs.values())

    def types(self) -> dict[str, str]:
        return {c: i.type for c, i in self.indicateurs.items()}

    def par_theme(self, theme: str) -> list[Indicateur]:
        return [i for i in self if i.theme == theme]


def glossaire_path() -> Path:
    """The glossary: $OSQ_GLOSSAIRE (an observatory's own copy) or the project's data/glossaire.yml."""
    return Path(os.environ.get("OSQ_GLOSSAIRE") or GLOSSAIRE)


def load_glossaire(path: Path | str | None = None) -> Glossaire:
    path = Path(path or glossaire_path())
    return _load_glossaire_cached(str(path.resolve()), path.stat().st_mtime)


@lru_cache(maxsize=8)
def _load_glossaire_cached(path: str, _mtime: float) -> Glossaire:
    with open(path, encoding="utf-8") as fh:
        raw = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    themes = raw.get("themes", {})
    out: dict[str, Indicateur] = {}
    for i, entry in enumerate(raw["indicateurs"], start=1):
        for key in REQUIRED_FIELDS:
            if key not in entry:
                raise OsqError(f"indicateur n° {i} ({entry.get('code', '?')}) sans champ « {key} »", fichier=path,
                               colonne=key, correction="complétez la fiche de l'indicateur dans le glossaire.")
        if entry["type"] not in ("compte", "taux", "moyenne", "densite", "non_additif"):
            raise OsqError(f"type « {entry['type']} » inconnu pour {entry['code']}", fichier=path, colonne="type",
                           correction="types possibles : compte, taux, moyenne, densite, non_additif.")
        if entry["theme"] not in themes:
            raise OsqError(f"thème « {entry['theme']} » inconnu pour {entry['code']}", fichier=path, colonne="theme",
                           correction=f"thèmes déclarés : {', '.join(themes)}.")
        if entry["code"] in out:
            raise OsqError(f"indicateur « {entry['code']} » déclaré deux fois", fichier=path, colonne="code",
                           correction="gardez une seule fiche par code.")
        out[entry["code"]] = Indicateur(
            code=entry["code"], libelle=entry["libelle"], theme=entry["theme"], definition=entry["definition"],
            unite=entry["unite"] or "", type=entry["type"], numerateur=entry["numerateur"],
            denominateur=entry["denominateur"], sources=tuple(entry["sources"]), niveaux=tuple(entry["niveaux"]),
            annees=tuple(int(a) for a in entry["annees"]), sens=entry["sens"], seuil_secret=entry["seuil_secret"] or {},
            decimales=int(entry.get("decimales", 1)),
        )
    return Glossaire(out, themes)


# --- Aggregation ------------------------------------------------------------


def aggregate(obs: pd.DataFrame, groups: pd.DataFrame, glossaire: Glossaire) -> pd.DataFrame:
    """Aggregate child observations into parents.

    obs: code, indicateur, annee, valeur, numerateur, denominateur, statut.
    groups: code (child) -> code_parent. A parent whose children are not all
    observed is 'absent' for that indicator and year: a partial sum is never shown.
    """
    types = glossaire.types()
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


def groupement_observations(con, groupement: territoires.Groupement, codes: list[str],
                            glossaire: Glossaire | None = None) -> pd.DataFrame:
    """Figures of a custom grouping of communes, summed from its communes.

    Ratios are recomputed from numerators and denominators; non-additive figures
    are not computed; one secret commune makes the grouping secret, one missing
    commune makes it absent.
    """
    glossaire = glossaire or load_glossaire()
    obs = observations_of(con, "commune", list(groupement.communes), codes, glossaire)
    groups = pd.DataFrame({"code": list(groupement.communes), "code_parent": groupement.code})
    out = aggregate(obs, groups, glossaire)
    return out.assign(niveau="groupement")


# --- Derived figures (IRIS -> commune, densities) --------------------------------

IRIS_SOURCES = ["insee-rp-2016-iris", "cnaf-caf-iris-2016-2020"]


def delivered_iris_sources() -> list[str]:
    """Sources of the partner deliveries made by IRIS (data/conventions): summed into communes like the census."""
    from osq_utils.ingest.livraisons import load_conventions

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
    factor = kind.map(FACTORS)
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
    direct = con.execute(
        "SELECT code, indicateur, annee, valeur, numerateur, denominateur, statut, cog FROM observations "
        "WHERE niveau = 'commune' AND source <> ?", [DERIVED_SOURCE]).df()
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
        agg = aggregate(part, groups[["code", "code_parent"]], glossaire)
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
        JOIN populations p ON p.code = m.code AND p.cog = m.annee
        WHERE m.indicateur = 'medecins_generalistes' AND m.niveau = 'commune' AND m.source <> ?
        """,
        [DERIVED_SOURCE],
    ).df()
    if df.empty:
        return df
    ok = df["population"] > 0
    return pd.DataFrame({
        "code": df["code"], "indicateur": "densite_medecins_generalistes", "annee": df["annee"],
        "valeur": np.where(ok, df["medecins"] / df["population"].where(ok) * FACTORS["densite"], np.nan),
        "numerateur": df["medecins"], "denominateur": df["population"],
        "statut": np.where(ok, "ok", "absent"), "cog": df["annee"], "estime": False,
    })


# --- Queries for notes -----------------------------------------------------------


def observations_of(con, niveau: str, codes: list[str], indicateurs: list[str] | None = None,
                    glossaire: Glossaire | None = None) -> pd.DataFrame:
    """Observations of territories, one row per (code, indicator, year).

    When several sources give the same figure, the glossary's source order decides.
    A territory's observations are read once per store version and kept in
    memory: notes of one observatory share their reference territories.
    """
    glossaire = glossaire or load_glossaire()
    if not codes:
        return pd.DataFrame(columns=store.OBS_COLUMNS)
    codes = list(dict.fromkeys(codes))
    if len(codes) > 20:
        # Many territories (exports, maps): one query, no per-territory cache.
        df = con.execute("SELECT * FROM observations WHERE niveau = ? AND code IN (SELECT unnest(?))",
                         [niveau, codes]).df()
    else:
        key = store.version_key(con)
        frames = [_territory_observations(con, key, niveau, code) for code in codes]
        df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if indicateurs:
        df = df[df["indicateur"].isin(list(indicateurs))]
    if df.empty:
        return df.reset_index(drop=True)
    rank = _source_rank(glossaire)
    df = df.assign(_rang=[rank.get((i, s), 99) for i, s in zip(df["indicateur"], df["source"])])
    df = df.sort_values("_rang", kind="stable").drop_duplicates(["code", "indicateur", "annee"]).drop(columns="_rang")
    from osq_utils import masquage  # the secret statistique of the active diffusion profile

    return masquage.apply(df).sort_values(["indicateur", "annee", "code"]).reset_index(drop=True)


_OBS_CACHE: dict[tuple, pd.DataFrame] = {}
_OBS_CACHE_MAX = 4096


def _territory_observations(con, key: tuple | None, niveau: str, code: str) -> pd.DataFrame:
    if key is not None and (key, niveau, code) in _OBS_CACHE:
        return _OBS_CACHE[(key, niveau, code)]
    df = con.execute("SELECT * FROM observations WHERE niveau = ? AND code = ?", [niveau, code]).df()
    if key is not None:
        if len(_OBS_CACHE) >= _OBS_CACHE_MAX:
            _OBS_CACHE.clear()
        _OBS_CACHE[(key, niveau, code)] = df
    return df


def _source_rank(glossaire: Glossaire) -> dict[tuple[str, str], int]:
    return {(ind.code, src): i for ind in glossaire for i, src in enumerate(ind.sources)}


@dataclass(frozen=True)
class Territoire:
    niveau: str
    code: str
    libelle: str
    communes: tuple[str, ...] = ()  # members of a custom grouping (niveau 'groupement')

    @property
    def nom_complet(self) -> str:
        return self.libelle


def territory_observations(con, t: Territoire, indicateurs: list[str] | None,
                           glossaire: Glossaire | None = None) -> pd.DataFrame:
    """Observations of one reference territory; a custom grouping is summed from its communes."""
    if t.niveau != "groupement":
        return observations_of(con, t.niveau, [t.code], indicateurs, glossaire)
    glossaire = glossaire or load_glossaire()
    groupement = territoires.Groupement(t.code, t.libelle, t.communes)
    codes = list(indicateurs) if indicateurs else list(glossaire.indicateurs)
    out = groupement_observations(con, groupement, codes, glossaire)
    return out.assign(source=DERIVED_SOURCE, cog=None)


def indicateurs_of_level(glossaire: Glossaire, niveau: str) -> list[str]:
    """Every glossary indicator published at this level, theme by theme (glossary order)."""
    return [i.code for theme in glossaire.themes for i in glossaire.par_theme(theme) if niveau in i.niveaux]


def references_of_commune(con, commune: str,
                          groupements: dict[str, territoires.Groupement] | None = None) -> list[Territoire]:
    """The commune and its reference territories: EPCI, custom groupings holding it, département, France.

    Current membership (latest COG on record) is used: INSEE publishes each
    EPCI in that year's map, so a past year of a newer EPCI is simply missing.
    """
    out = [Territoire("commune", commune, territoires.libelle(con, "commune", commune) or commune)]
    epci = territoires.parent(con, "commune", commune, "epci")
    if epci:
        out.append(Territoire("epci", epci, territoires.libelle(con, "epci", epci) or epci))
    for g in (groupements or {}).values():
        if commune in g.communes:
            out.append(Territoire("groupement", g.code, g.libelle, tuple(g.communes)))
    dep = territoires.parent(con, "commune", commune, "departement")
    if dep:
        out.append(Territoire("departement", dep, territoires.libelle(con, "departement", dep) or dep))
    if not commune.startswith(territoires.DOM_PREFIXES):
        out.append(Territoire("france", territoires.FRANCE, "France métropolitaine"))
    return out


def comparison(con, refs: list[Territoire], indicateurs: list[str], annee: int | None = None,
               glossaire: Glossaire | None = None) -> pd.DataFrame:
    """One row per (indicator, territory) with the latest year available for the first territory.

    Columns: indicateur, niveau, code, territoire, annee, valeur, statut, source, estime.
    A territory without the figure for that year gets statut 'absent' (shown 'nd').
    """
    glossaire = glossaire or load_glossaire()
    cols = ["indicateur", "annee", "valeur", "statut", "source", "estime"]
    obs = pd.concat([territory_observations(con, t, indicateurs, glossaire)[cols].assign(_t=i)
                     for i, t in enumerate(refs)], ignore_index=True)
    # The year shown: the latest 'ok' year of the first territory, else its latest year, else anyone's.
    if annee is not None:
        years = {ind: annee for ind in indicateurs}
    else:
        years = obs.groupby("indicateur")["annee"].max().to_dict()
        first = obs[obs["_t"] == 0]
        years.update(first.groupby("indicateur")["annee"].max().to_dict())
        years.update(first[first["statut"] == "ok"].groupby("indicateur")["annee"].max().to_dict())
    return comparison_at_years(obs, refs, indicateurs, years)


def comparison_at_years(obs: pd.DataFrame, refs: list[Territoire], indicateurs: list[str],
                        years: dict[str, int]) -> pd.DataFrame:
    """The comparison grid (indicator × territory) at the given year of each indicator.

    obs: indicateur, annee, valeur, statut, source, estime and `_t`, the territory's index in refs.
    A territory without the figure that year gets statut 'absent' (shown 'nd'), never 0.
    """
    grid = pd.DataFrame([(ind, i, years.get(ind)) for ind in indicateurs for i in range(len(refs))],
                        columns=["indicateur", "_t", "annee"])
    grid["annee"] = grid["annee"].astype("Int64")
    right = obs.drop(columns=[c for c in ("territoire", "niveau", "code") if c in obs.columns])
    out = grid.merge(right.assign(annee=right["annee"].astype("Int64")), on=["indicateur", "_t", "annee"], how="left")
    out["statut"] = out["statut"].fillna("absent")
    out["valeur"] = out["valeur"].where(out["statut"] == "ok")
    out["estime"] = out["estime"].fillna(False).astype(bool)
    out["source"] = out["source"].astype(object).where(out["source"].notna(), None)
    out["niveau"] = [refs[i].niveau for i in out["_t"]]
    out["code"] = [refs[i].code for i in out["_t"]]
    out["territoire"] = [refs[i].libelle for i in out["_t"]]
    out["annee"] = out["annee"].astype("Int64")
    return out[["indicateur", "niveau", "code", "territoire", "annee", "valeur", "statut", "source", "estime"]]


def evolution(con, refs: list[Territoire], indicateur: str, glossaire: Glossaire | None = None) -> pd.DataFrame:
    """Every year of one indicator for each territory; missing years appear as 'absent'."""
    glossaire = glossaire or load_glossaire()
    years = list(glossaire[indicateur].annees)
    rows = []
    for t in refs:
        if t.niveau == "commune":
            df = commune_series(con, t.code, [indicateur], glossaire).set_index("annee")
        else:
            df = territory_observations(con, t, [indicateur], glossaire).set_index("annee")
        for y in years:
            if y in df.index:
                r = df.loc[y]
                rows.append({"territoire": t.libelle, "niveau": t.niveau, "annee": y,
                             "valeur": r["valeur"] if r["statut"] == "ok" else np.nan, "statut": r["statut"]})
            else:
                rows.append({"territoire": t.libelle, "niveau": t.niveau, "annee": y, "valeur": np.nan, "statut": "absent"})
    return pd.DataFrame(rows)


def predecessors(con, code: str) -> list[str]:
    """Codes that became `code` through fusions or code changes (any COG year)."""
    found, frontier = set(), {code}
    while frontier:
        rows = con.execute(
            "SELECT DISTINCT code_depart FROM passages_cog WHERE code_arrivee IN (SELECT unnest(?)) AND code_depart <> code_arrivee",
            [list(frontier)],
        ).fetchall()
        frontier = {r[0] for r in rows} - found - {code}
        found |= frontier
    return sorted(found)


def commune_series(con, code: str, codes: list[str], glossaire: Glossaire | None = None) -> pd.DataFrame:
    """A commune's observations over time in its current geography.

    Years published under older codes (before a fusion) are converted with
    territoires.harmonise_cog: counts summed, ratios recomputed, medians absent.
    """
    glossaire = glossaire or load_glossaire()
    olds = predecessors(con, code)
    if not olds:
        return observations_of(con, "commune", [code], codes, glossaire)
    obs = observations_of(con, "commune", [code, *olds], codes, glossaire)
    passages = con.execute("SELECT * FROM passages_cog").df()
    target = int(passages["annee_arrivee"].max())
    frames = []
    for cog, part in obs.groupby("cog"):
        if int(cog) >= target:
            frames.append(part)
            continue
        frames.append(territoires.harmonise_cog(part, passages, int(cog), target, glossaire.types()))
    out = pd.concat(frames, ignore_index=True)
    out = out[out["code"] == code]
    return out.sort_values(["indicateur", "annee"]).reset_index(drop=True)


def ecart(valeur: float, reference: float, indicateur: Indicateur) -> float | None:
    """Gap between a territory and its reference: points for rates, ratio otherwise."""
    if valeur is None or reference is None or np.isnan(valeur) or np.isnan(reference):
        return None
    if indicateur.unite == "%":
        return float(valeur - reference)
    return float(valeur / reference) if reference else None

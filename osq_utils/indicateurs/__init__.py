"""Indicators as the notes read them: reference territories, comparisons, evolutions, series in
today's geography. Gaps and their evolution are `indicateurs.ecarts`.

Every function reads the store through a `Lecture`: the masked view of the note
(`osq_utils.secret.vue.Vue`), so the secret statistique applies to every figure. Every ratio is
recomputed from its numerator and denominator; medians and deciles are never aggregated; a secret
or missing value stays so (never 0).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from osq_utils import territoires
from osq_utils.agregation import aggregate, harmonise_cog, passages_between
from osq_utils.catalogues.glossaire import Glossaire
from osq_utils.catalogues.groupements import Groupement
from osq_utils.catalogues.sources import indicateurs_exhaustifs
from osq_utils.store import DERIVED_SOURCE


class Lecture(Protocol):
    """What reads the store for a note: the masked view (secret.vue.Vue)."""

    glossaire: Glossaire

    def observations(self, niveau: str, codes: Iterable[str], indicateurs: Iterable[str] | None = None,
                     annees: Mapping[str, int] | None = None) -> pd.DataFrame: ...

    def execute(self, sql: str, params: list | None = None) -> Any: ...


def une_source_par_valeur(df: pd.DataFrame, glossaire: Glossaire) -> pd.DataFrame:
    """One row per (niveau, code, indicator, year): when several sources give the same figure, the
    glossary's source order decides (a source the glossary does not list comes last)."""
    if df.empty:
        return df
    rank = glossaire.source_rank()
    df = df.assign(_rang=[rank.get((i, s), 99) for i, s in zip(df["indicateur"], df["source"])])
    keys = ["niveau", "code", "indicateur", "annee"] if "niveau" in df.columns else ["code", "indicateur", "annee"]
    return df.sort_values("_rang", kind="stable").drop_duplicates(keys).drop(columns="_rang")


@dataclass(frozen=True)
class Territoire:
    niveau: str
    code: str
    libelle: str
    communes: tuple[str, ...] = ()  # members of a custom grouping (niveau 'groupement'), whole communes of a zone
    article: str | None = None  # of a département's or région's name in a sentence (« le » Pas-de-Calais)
    iris: tuple[str, ...] = ()  # IRIS of a zone (niveau 'zone', indicateurs.zones)

    @property
    def nom_complet(self) -> str:
        return self.libelle


def groupement_observations(vue: Lecture, groupement: Groupement, codes: list[str]) -> pd.DataFrame:
    """Figures of a custom grouping of communes, summed from its communes.

    Ratios are recomputed from numerators and denominators; non-additive figures (and rates published
    without their numerator) are not computed; one secret commune makes the grouping secret, one missing commune makes it absent.
    """
    # Only figures OSQ may derive: a median or a rate published without its numerator stays absent (shown
    # « np », not published by the producer for a grouping), never a secret it is not.
    codes = [c for c in codes if c in vue.glossaire.indicateurs and vue.glossaire[c].derivable]
    obs = vue.observations("commune", list(groupement.communes), codes)
    groups = pd.DataFrame({"code": list(groupement.communes), "code_parent": groupement.code})
    # A commune that a source listing every holder (BPE, RPLS, IPS) leaves out holds none, as for the EPCI.
    out = aggregate(obs, groups, vue.glossaire.types(), indicateurs_exhaustifs(vue.glossaire))
    return out.assign(niveau="groupement")


def zone_observations(vue: Lecture, zone: Territoire, codes: list[str]) -> pd.DataFrame:
    """Figures of a zone made of IRIS and/or whole communes (niveau 'zone'), summed from its parts.

    The rule of `agregation.aggregate`: counts summed, ratios recomputed from summed numerators and
    denominators; medians, deciles and rates published without their numerator are not computed (absent,
    shown « np »: not published for the zone); one secret part makes the zone secret, one missing part
    makes it absent (never counted as 0), except for a source listing every holder (BPE: an IRIS it leaves
    out has none). A zone figure the ledger of masked values names is masked too (secret layer).
    """
    codes = [c for c in codes if c in vue.glossaire.indicateurs and vue.glossaire[c].derivable]
    parts = [vue.observations(niveau, list(members), codes)
             for niveau, members in (("iris", zone.iris), ("commune", zone.communes)) if members]
    parts = [p for p in parts if not p.empty]
    members = [*zone.iris, *zone.communes]
    if not parts or not members:
        return pd.DataFrame(columns=["code", "indicateur", "annee", "valeur", "numerateur", "denominateur", "statut",
                                     "estime", "niveau"])
    obs = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    groups = pd.DataFrame({"code": members, "code_parent": zone.code})
    out = aggregate(obs, groups, vue.glossaire.types(), indicateurs_exhaustifs(vue.glossaire)).assign(niveau="zone")
    masquer = getattr(vue, "masquer", None)  # the masked view applies the ledger's zone cells
    return masquer(out) if masquer is not None else out


def territory_observations(vue: Lecture, t: Territoire, indicateurs: list[str] | None) -> pd.DataFrame:
    """Observations of one reference territory; a custom grouping is summed from its communes, a zone from its
    IRIS and communes."""
    if t.niveau == "zone":
        codes = list(indicateurs) if indicateurs else list(vue.glossaire.indicateurs)
        return zone_observations(vue, t, codes).assign(source=DERIVED_SOURCE, cog=None)
    if t.niveau != "groupement":
        return vue.observations(t.niveau, [t.code], indicateurs)
    groupement = Groupement(t.code, t.libelle, t.communes)
    codes = list(indicateurs) if indicateurs else list(vue.glossaire.indicateurs)
    out = groupement_observations(vue, groupement, codes)
    return out.assign(source=DERIVED_SOURCE, cog=None)


def references_of_commune(vue: Lecture, commune: str, groupements: dict[str, Groupement] | None = None,
                          strate: bool = False, zones: Iterable[Territoire] = ()) -> list[Territoire]:
    """The commune and its reference territories: EPCI, EPT (Grand Paris), custom groupings holding it, the
    observatory's zones holding it (`zones`, indicateurs.zones.zones_holding_commune), département, France
    (France métropolitaine; France entière for an overseas commune), and with strate its population stratum
    (communes of France métropolitaine of its size, by population municipale).

    A municipal arrondissement (75112, 69383, 13205) is a territory of its own: its references are its
    commune (Paris, Lyon, Marseille), then the commune's EPCI, département and France.
    Current membership (latest COG on record) is used: INSEE publishes each EPCI in that year's
    map, so a past year of a newer EPCI is simply missing.
    """
    niveau = "arm" if territoires.existe(vue, "arm", commune) else "commune"
    out = [Territoire(niveau, commune, territoires.libelle(vue, niveau, commune) or commune)]
    if niveau == "arm":
        plm = territoires.parent(vue, "arm", commune, "commune")
        if plm:
            out.append(Territoire("commune", plm, territoires.libelle(vue, "commune", plm) or plm))
    for level in ("epci", "ept"):
        code = territoires.parent(vue, niveau, commune, level)
        if code:
            out.append(Territoire(level, code, territoires.libelle(vue, level, code) or code))
    for g in (groupements or {}).values():
        if commune in g.communes:
            out.append(Territoire("groupement", g.code, g.libelle, tuple(g.communes)))
    out += list(zones)
    dep = territoires.parent(vue, niveau, commune, "departement")
    if dep:
        out.append(Territoire("departement", dep, territoires.libelle(vue, "departement", dep) or dep,
                              article=territoires.article(vue, "departement", dep)))
    france = territoires.france_of(niveau, commune)
    out.append(Territoire("france", france, territoires.LIBELLES_FRANCE[france]))
    code_strate = territoires.parent(vue, niveau, commune, "strate") if strate else None
    if code_strate:
        out.append(Territoire("strate", code_strate, territoires.libelle(vue, "strate", code_strate) or code_strate))
    # Tables name their columns after the territories: Paris the commune and Paris the département differ.
    seen: set[str] = set()
    for i, t in enumerate(out):
        if t.libelle in seen:
            out[i] = Territoire(t.niveau, t.code, f"{t.libelle} ({territoires.LIBELLES_NIVEAUX[t.niveau].lower()})", t.communes,
                                t.article)
        seen.add(out[i].libelle)
    return out


def intercommunalite_de(refs: list[Territoire]) -> Territoire | None:
    """The intercommunality drawn on a commune's map: its EPT within the Grand Paris, else its EPCI
    (None for the four island communes outside any EPCI)."""
    by_level = {t.niveau: t for t in refs}
    return by_level.get("ept") or by_level.get("epci")


def comparison(vue: Lecture, refs: list[Territoire], indicateurs: list[str], annee: int | None = None,
               recente: bool = False) -> pd.DataFrame:
    """One row per (indicator, territory), at the year of comparison_years (latest_years with recente, or
    `annee`).

    Columns: indicateur, niveau, code, territoire, annee, valeur, statut, source, estime, decimales (published
    precision, see catalogues.glossaire.precision), article (of a département's name in a sentence, else None).
    A territory without the figure for that year gets statut 'absent' (shown 'nd').
    """
    cols = ["indicateur", "annee", "valeur", "statut", "source", "estime", "decimales"]
    obs = pd.concat([territory_observations(vue, t, indicateurs).reindex(columns=cols).assign(_t=i)
                     for i, t in enumerate(refs)], ignore_index=True)
    if annee is not None:
        years = {ind: annee for ind in indicateurs}
    else:
        years = latest_years(obs) if recente else comparison_years(obs)
    return comparison_at_years(obs, refs, indicateurs, years)


def latest_years(obs: pd.DataFrame) -> dict[str, int]:
    """The latest year the first territory (`_t` 0) has a figure (else its latest year, else anyone's): the
    key figures show a territory's most recent figure, its references at that year when they have one."""
    years = obs.groupby("indicateur")["annee"].max().to_dict()
    first = obs[obs["_t"] == 0]
    years.update(first.groupby("indicateur")["annee"].max().to_dict())
    years.update(first[first["statut"] == "ok"].groupby("indicateur")["annee"].max().to_dict())
    return years


def comparison_years(obs: pd.DataFrame) -> dict[str, int]:
    """The year each indicator is compared at: among the years the first territory (`_t` 0) has a figure, or
    has it secret, the one where it has a figure and the most territories have one; the latest on a tie (else
    the first territory's latest year, else anyone's). One year for the whole row, so that no territory is
    compared with another year's figure."""
    years = latest_years(obs)
    first = obs[obs["_t"] == 0]
    candidates = first.loc[first["statut"].isin(["ok", "secret"]), ["indicateur", "annee", "statut"]]
    if candidates.empty:
        return years
    ok = obs[obs["statut"] == "ok"]
    filled = ok.groupby(["indicateur", "annee"])["_t"].nunique().rename("n").reset_index()
    scored = (candidates.assign(propre=candidates["statut"] == "ok")
              .drop_duplicates(["indicateur", "annee"])
              .merge(filled, on=["indicateur", "annee"], how="left").fillna({"n": 0})
              .sort_values(["indicateur", "propre", "n", "annee"]))
    years.update(scored.groupby("indicateur").tail(1).set_index("indicateur")["annee"].astype(int).to_dict())
    return years


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
    out["estime"] = out["estime"].astype("boolean").fillna(False).astype(bool)
    out["source"] = out["source"].astype(object).where(out["source"].notna(), None)
    out["niveau"] = [refs[i].niveau for i in out["_t"]]
    out["code"] = [refs[i].code for i in out["_t"]]
    out["territoire"] = [refs[i].libelle for i in out["_t"]]
    out["article"] = [refs[i].article for i in out["_t"]]
    out["annee"] = out["annee"].astype("Int64")
    out["decimales"] = (pd.to_numeric(out["decimales"], errors="coerce") if "decimales" in out
                        else pd.Series(pd.NA, index=out.index)).astype("Int16")
    return out[["indicateur", "niveau", "code", "territoire", "annee", "valeur", "statut", "source", "estime", "decimales",
                "article"]]


def evolution(vue: Lecture, refs: list[Territoire], indicateur: str) -> pd.DataFrame:
    """Every glossary year of one indicator for each territory; missing years appear as 'absent'. Each figure
    keeps the decimals its producer published and whether it is estimated (as tables print it)."""
    years = list(vue.glossaire[indicateur].annees)
    rows = []
    for t in refs:
        if t.niveau == "commune":
            df = commune_series(vue, t.code, [indicateur]).set_index("annee")
        else:
            df = territory_observations(vue, t, [indicateur]).set_index("annee")
        for y in years:
            if y in df.index:
                r = df.loc[y]
                rows.append({"territoire": t.libelle, "niveau": t.niveau, "annee": y,
                             "valeur": r["valeur"] if r["statut"] == "ok" else np.nan, "statut": r["statut"],
                             "decimales": r.get("decimales"), "estime": r.get("estime")})
            else:
                rows.append({"territoire": t.libelle, "niveau": t.niveau, "annee": y, "valeur": np.nan, "statut": "absent",
                             "decimales": None, "estime": None})
    return pd.DataFrame(rows)


def predecessors(vue: Lecture, code: str) -> list[str]:
    """Codes that became `code` through fusions or code changes (any COG year); once per store version with the
    masked view (its memo: a note asks them for each series it draws)."""
    if hasattr(vue, "memo"):
        return list(vue.memo(("predecessors", code), lambda: tuple(_predecessors(vue, code))))
    return _predecessors(vue, code)


def _predecessors(vue: Lecture, code: str) -> list[str]:
    found: set[str] = set()
    frontier = {code}
    while frontier:
        rows = vue.execute(
            "SELECT DISTINCT code_depart FROM passages_cog WHERE code_arrivee IN (SELECT unnest(?)) AND code_depart <> code_arrivee",
            [list(frontier)],
        ).fetchall()
        frontier = {r[0] for r in rows} - found - {code}
        found |= frontier
    return sorted(found)


def commune_series(vue: Lecture, code: str, codes: list[str]) -> pd.DataFrame:
    """A commune's observations over time in its current geography.

    Years published under older codes (before a fusion) are converted with
    agregation.harmonise_cog: counts summed, ratios recomputed, medians absent.
    """
    olds = predecessors(vue, code)
    if not olds:
        return vue.observations("commune", [code], codes)
    obs = vue.observations("commune", [code, *olds], codes)
    memo = getattr(vue, "memo", lambda cle, fabrique: fabrique())  # a kernel's notes share what a view keeps
    passages = memo(("passages_cog",), lambda: vue.execute("SELECT * FROM passages_cog").df())
    target = int(passages["annee_arrivee"].max())
    frames = []
    for cog, part in obs.groupby("cog"):
        if int(cog) >= target:
            done = part
        else:
            # France's passages from that COG to the latest, composed once (90 ms), then read for every commune.
            table = memo(("passages_entre", int(cog), target), lambda c=int(cog): passages_between(passages, c, target))
            done = harmonise_cog(part, passages, int(cog), target, vue.glossaire.types(), table=table)
        frames.append(done.assign(_cog=int(cog)))
    out = pd.concat(frames, ignore_index=True)
    out = out[out["code"] == code]
    # Two sources of one year in two geographies (02054 and 02695 before their fusion) give two rows: the
    # published figure wins, else the latest geography's status (secret there, not « absent » for a median).
    out = out.assign(_ok=out["statut"] != "ok").sort_values(["_ok", "_cog"], ascending=[True, False])
    out = out.drop_duplicates(["indicateur", "annee"]).drop(columns=["_ok", "_cog"])
    return out.sort_values(["indicateur", "annee"]).reset_index(drop=True)


def is_subject(comp: pd.DataFrame) -> pd.Series:
    """Whether each row is the note's territory (the first one of the grid)."""
    first = comp.iloc[0]
    return (comp["niveau"] == first["niveau"]) & (comp["code"] == first["code"])


def _compares(comp: pd.DataFrame) -> set[str]:
    """Indicators that at least one reference territory has, at the row's year."""
    refs = comp[~is_subject(comp)]
    return set(refs.loc[refs["statut"] == "ok", "indicateur"])


def lignes_du_territoire(comp: pd.DataFrame) -> pd.DataFrame:
    """The rows of a comparison grid that compare something: the note's territory (the first one) has the figure,
    or has it secret, and at least one reference territory has it at that year."""
    if comp.empty:
        return comp
    sujet = comp[is_subject(comp)]
    keep = set(sujet.loc[sujet["statut"] != "absent", "indicateur"]) & _compares(comp)
    return comp[comp["indicateur"].isin(keep)]


def lignes_sans_comparaison(comp: pd.DataFrame) -> pd.DataFrame:
    """The rows whose figure the note's territory has but none of its references has at that year (a row of the
    comparison table would hold nothing but marks beside it)."""
    if comp.empty:
        return comp
    sujet = comp[is_subject(comp)]
    keep = set(sujet.loc[sujet["statut"] == "ok", "indicateur"]) - _compares(comp)
    return comp[comp["indicateur"].isin(keep)]

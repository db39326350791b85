"""Analyse des besoins sociaux (ABS) of a CCAS: themes, population strata, stratum aggregates, IRIS tables.

One ABS note covers one commune and one theme (data/abs/themes.yml, or any glossary theme).
The commune is compared with its EPCI, its département, France and the communes of metropolitan
France of the same population stratum.

Population strata (the usual strata of French local-finance and INSEE tables):
< 2 000, 2 000-4 999, 5 000-9 999, 10 000-19 999, 20 000-49 999, 50 000-99 999, >= 100 000.
The store holds no population municipale for every commune of France (the COG population
file of the mirror covers four départements), so a commune's size is the number of persons of
its fiscal households in Filosofi 2019 (geography of 1 January 2020), the only national,
commune-level count of inhabitants in the store. Paris, Lyon and Marseille count as communes,
their municipal arrondissements are left out (they would count their inhabitants twice).

A stratum's figure for a rate (taux, moyenne, densité) is the sum of its communes' numerators
over the sum of their denominators, never a mean of rates. Counts get no stratum figure (a
per-commune mean says nothing), medians and deciles none either (they do not aggregate).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from osq_utils import indicateurs as ind_mod
from osq_utils.agregation import FACTORS
from osq_utils.errors import OsqError
from osq_utils.indicateurs import Glossaire, Indicateur, Territoire

PROJECT_ROOT = Path(__file__).resolve().parent.parent
THEMES_FILE = PROJECT_ROOT / "data" / "abs" / "themes.yml"
VERBATIMS_DIR = PROJECT_ROOT / "data" / "verbatims"

# --- Themes -----------------------------------------------------------------------


@dataclass(frozen=True)
class ThemeAbs:
    code: str
    libelle: str
    themes_glossaire: tuple[str, ...]
    chiffres_cles: tuple[str, ...]
    comparaison: tuple[str, ...]
    evolution: tuple[str, ...]
    iris_carte: str | None
    iris_tableau: tuple[str, ...]
    verbatims: tuple[str, ...]
    donnees_absentes: str | None = None


def load_themes(path: Path | str | None = None, glossaire: Glossaire | None = None) -> dict[str, ThemeAbs]:
    """The ABS themes of data/abs/themes.yml, every indicator code checked against the glossary."""
    path = Path(path or THEMES_FILE)
    glossaire = glossaire or ind_mod.load_glossaire()
    if not path.exists():
        raise OsqError("fichier des thèmes de l'ABS introuvable", fichier=path,
                       correction="restaurez data/abs/themes.yml depuis le dépôt.")
    raw = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("themes") or {}
    out = {}
    for code, spec in raw.items():
        for key in ("libelle", "chiffres_cles", "comparaison"):
            if not spec.get(key):
                raise OsqError(f"thème « {code} » sans champ « {key} »", fichier=path, colonne=key,
                               correction="complétez la fiche du thème (voir l'en-tête du fichier).")
        codes = [*spec["chiffres_cles"], *spec["comparaison"], *(spec.get("evolution") or []),
                 *(spec.get("iris_tableau") or []), *([spec["iris_carte"]] if spec.get("iris_carte") else [])]
        for c in codes:
            if c not in glossaire.indicateurs:
                raise OsqError(f"thème « {code} » : indicateur « {c} » absent du glossaire", fichier=path,
                               colonne=code, correction="utilisez un code de data/glossaire.yml.")
        out[str(code)] = ThemeAbs(
            code=str(code), libelle=spec["libelle"], themes_glossaire=tuple(spec.get("themes_glossaire") or ()),
            chiffres_cles=tuple(spec["chiffres_cles"]), comparaison=tuple(spec["comparaison"]),
            evolution=tuple(spec.get("evolution") or ()), iris_carte=spec.get("iris_carte"),
            iris_tableau=tuple(spec.get("iris_tableau") or ()), verbatims=tuple(spec.get("verbatims") or ()),
            donnees_absentes=(spec.get("donnees_absentes") or None),
        )
    return out


def theme_abs(code: str, glossaire: Glossaire | None = None, path: Path | str | None = None) -> ThemeAbs:
    """An ABS theme, or a glossary theme with all its indicators; a French error for an unknown theme."""
    glossaire = glossaire or ind_mod.load_glossaire()
    themes = load_themes(path, glossaire)
    if code in themes:
        return themes[code]
    if code in glossaire.themes:
        inds = glossaire.par_theme(code)
        # Rates lead the key figures: they compare across territories of any size.
        ordered = sorted(inds, key=lambda i: i.type == "compte")
        carte = next((i.code for i in ordered if i.type in ("taux", "non_additif") and "iris" in i.niveaux
                      and i.unite == "%"), None)
        return ThemeAbs(
            code=code, libelle=glossaire.themes[code], themes_glossaire=(code,),
            chiffres_cles=tuple(i.code for i in ordered[:6]), comparaison=tuple(i.code for i in inds),
            evolution=tuple(i.code for i in inds if len(i.annees) > 1)[:3], iris_carte=carte,
            iris_tableau=tuple(i.code for i in inds if "iris" in i.niveaux)[:4], verbatims=(code,),
        )
    raise OsqError(
        f"thème « {code} » inconnu", fichier=path or "data/abs/themes.yml",
        correction=f"thèmes de l'ABS : {', '.join(themes)} ; thèmes du glossaire : {', '.join(glossaire.themes)}.",
    )


# --- Population strata --------------------------------------------------------------


@dataclass(frozen=True)
class Strate:
    code: str
    minimum: int
    maximum: int | None  # excluded
    libelle: str

    def contient(self, population: float) -> bool:
        return population >= self.minimum and (self.maximum is None or population < self.maximum)


_N = "\u202f"  # narrow no-break space, the French thousands separator
STRATES = (
    Strate("0-1999", 0, 2_000, f"moins de 2{_N}000 habitants"),
    Strate("2000-4999", 2_000, 5_000, f"2{_N}000 à 4{_N}999 habitants"),
    Strate("5000-9999", 5_000, 10_000, f"5{_N}000 à 9{_N}999 habitants"),
    Strate("10000-19999", 10_000, 20_000, f"10{_N}000 à 19{_N}999 habitants"),
    Strate("20000-49999", 20_000, 50_000, f"20{_N}000 à 49{_N}999 habitants"),
    Strate("50000-99999", 50_000, 100_000, f"50{_N}000 à 99{_N}999 habitants"),
    Strate("100000+", 100_000, None, f"100{_N}000 habitants ou plus"),
)
STRATE_POPULATION = ("nb_personnes_menages_fiscaux", 2019)  # indicator and year of a commune's size
STRATE_POPULATION_TEXTE = ("le nombre de personnes des ménages fiscaux (Insee, Filosofi 2019, géographie au "
                           "1er janvier 2020), seul décompte des habitants de toutes les communes de France dans la base "
                           "(la population municipale n'y figure que pour quatre départements)")
COUVERTURE_MIN = 0.8  # share of the stratum's inhabitants the kept communes must hold
_ARRONDISSEMENTS = re.compile(r"^(751(0[1-9]|1\d|20)|6938[1-9]|132(0[1-9]|1[0-6]))$")


def strate_of(population: float | None) -> Strate | None:
    if population is None or pd.isna(population) or population < 0:
        return None
    return next(s for s in STRATES if s.contient(population))


def est_arrondissement_municipal(code: str) -> bool:
    """Paris 75101-75120, Lyon 69381-69389, Marseille 13201-13216."""
    return bool(_ARRONDISSEMENTS.match(str(code)))


def est_metropole(code: str) -> bool:
    return not str(code).startswith(("97", "98"))


def populations_strates(con) -> pd.DataFrame:
    """Communes of metropolitan France with their size and stratum: code, population, strate."""
    indicateur, annee = STRATE_POPULATION
    df = con.execute(
        "SELECT code, valeur AS population FROM observations WHERE niveau = 'commune' AND indicateur = ? "
        "AND annee = ? AND statut = 'ok'", [indicateur, annee]).df()
    return _with_strata(df)


def _with_strata(df: pd.DataFrame) -> pd.DataFrame:
    df = df[[est_metropole(c) and not est_arrondissement_municipal(c) for c in df["code"]]]
    df = df.drop_duplicates("code").reset_index(drop=True)
    df["strate"] = [s.code if s else None for s in map(strate_of, df["population"])]
    return df


# --- Stratum aggregates ----------------------------------------------------------------


@dataclass(frozen=True)
class AgregatStrate:
    indicateur: str
    annee: int | None
    strate: Strate
    statut: str  # ok | sans_objet | non_calculable
    valeur: float | None = None
    numerateur: float | None = None
    denominateur: float | None = None
    communes: int = 0  # communes of the stratum
    retenues: int = 0  # with a usable numerator and denominator
    couverture: float = 0.0  # share of the stratum's inhabitants in the kept communes
    raison: str | None = None

    @property
    def exclues(self) -> int:
        return self.communes - self.retenues


def agregat_strate(obs: pd.DataFrame, populations: pd.DataFrame, strate: Strate, ind: Indicateur,
                   annee: int | None) -> AgregatStrate:
    """The national figure of a stratum for one indicator and year.

    obs: commune observations of that indicator and year (code, numerateur, denominateur, statut).
    populations: output of populations_strates(). Communes with a secret or missing numerator or
    denominator are left out and counted; below COUVERTURE_MIN of the stratum's inhabitants the
    figure is not computed.
    """
    members = populations[populations["strate"] == strate.code]
    base = {"indicateur": ind.code, "annee": annee, "strate": strate, "communes": len(members)}
    if ind.type == "compte":
        return AgregatStrate(**base, statut="sans_objet",
                             raison="effectif : une moyenne par commune n'aurait pas de sens, comparez les taux")
    if ind.type == "non_additif":
        return AgregatStrate(**base, statut="non_calculable",
                             raison="médiane, décile ou part non additive : ne s'agrège pas entre communes")
    if not ind.numerateur or not ind.denominateur:
        return AgregatStrate(**base, statut="non_calculable",
                             raison="la source ne publie ni numérateur ni dénominateur : taux non agrégeable")
    if annee is None or members.empty:
        return AgregatStrate(**base, statut="non_calculable", raison="aucune année publiée pour la commune")
    usable = obs[(obs["statut"] == "ok") & obs["numerateur"].notna() & (obs["denominateur"] > 0)]
    kept = members.merge(usable[["code", "numerateur", "denominateur"]], on="code", how="inner")
    coverage = float(kept["population"].sum() / members["population"].sum()) if members["population"].sum() else 0.0
    base.update(retenues=len(kept), couverture=coverage)
    if kept.empty or coverage < COUVERTURE_MIN:
        return AgregatStrate(**base, statut="non_calculable",
                             raison=f"la source ne couvre que {round(coverage * 100)}\u00a0% des habitants de la strate")
    num, den = float(kept["numerateur"].sum()), float(kept["denominateur"].sum())
    return AgregatStrate(**base, statut="ok", valeur=num / den * FACTORS[ind.type], numerateur=num, denominateur=den)


def agregats_par_strate(obs: pd.DataFrame, populations: pd.DataFrame, ind: Indicateur,
                        annee: int | None) -> list[AgregatStrate]:
    return [agregat_strate(obs, populations, s, ind, annee) for s in STRATES]


def strate_de_commune(populations: pd.DataFrame, commune: str) -> tuple[Strate | None, float | None]:
    row = populations[populations["code"] == commune]
    if row.empty:
        return None, None
    pop = float(row["population"].iloc[0])
    return strate_of(pop), pop


def population_strate(con, commune: str) -> float | None:
    """The commune's size as used for its stratum (see STRATE_POPULATION)."""
    return strate_de_commune(populations_strates(con), commune)[1]


def comparaison_strate(con, commune: str, comp: pd.DataFrame, glossaire: Glossaire) -> list[AgregatStrate]:
    """The stratum figure of each indicator of `comp` (indicateurs.comparison), for the year shown there."""
    populations = populations_strates(con)
    strate, _ = strate_de_commune(populations, commune)
    if strate is None:
        return []
    own = comp[comp["code"] == commune].drop_duplicates("indicateur")
    out = []
    for code, annee in zip(own["indicateur"], own["annee"]):
        annee = None if pd.isna(annee) else int(annee)
        ind = glossaire[code]
        obs = pd.DataFrame(columns=["code", "numerateur", "denominateur", "statut"])
        if annee is not None and ind.type not in ("compte", "non_additif") and ind.numerateur and ind.denominateur:
            obs = con.execute(
                "SELECT code, numerateur, denominateur, statut, source FROM observations WHERE niveau = 'commune' "
                "AND indicateur = ? AND annee = ?", [code, annee]).df()
            obs = _one_source(obs, ind)
        out.append(agregat_strate(obs, populations, strate, ind, annee))
    return out


def _one_source(obs: pd.DataFrame, ind: Indicateur) -> pd.DataFrame:
    """One row per commune, the glossary's source order deciding (as indicateurs.observations_of)."""
    rank = {s: i for i, s in enumerate(ind.sources)}
    obs = obs.assign(_r=obs["source"].map(lambda s: rank.get(s, 99)))
    return obs.sort_values("_r", kind="stable").drop_duplicates("code").drop(columns="_r")


# --- Evolution -------------------------------------------------------------------------


def indicateurs_evolution(con, commune: str, codes: list[str], glossaire: Glossaire) -> list[str]:
    """The codes with at least two published years for the commune."""
    obs = ind_mod.commune_series(con, commune, list(codes), glossaire)
    ok = obs[obs["statut"] == "ok"].groupby("indicateur")["annee"].nunique()
    return [c for c in codes if ok.get(c, 0) >= 2]


def phrase_sans_evolution(theme: ThemeAbs, glossaire: Glossaire) -> str:
    """A plain-French sentence when none of the theme's indicators has two published years for the commune."""
    if not theme.evolution:
        return "Les indicateurs de ce thème ne sont publiés que pour une année dans les sources du projet : pas d'évolution à montrer.\n"
    labels = ", ".join(glossaire[c].libelle for c in theme.evolution)
    return (f"Pas d'évolution à montrer : {labels} n'a pas au moins deux années publiées pour cette commune "
            "dans les sources du projet.\n")


# --- IRIS ------------------------------------------------------------------------------


def iris_of_commune(con, commune: str, cog: int = 2021) -> pd.DataFrame:
    """The commune's IRIS (IRIS table of 2021): code, libelle, type_iris."""
    return con.execute(
        """
        SELECT a.code, coalesce(t.libelle, a.code) AS libelle, y.type_iris
        FROM appartenances a
        LEFT JOIN territoires t ON t.niveau = 'iris' AND t.code = a.code AND t.cog = a.cog
        LEFT JOIN iris_types y ON y.code = a.code AND y.cog = a.cog
        WHERE a.niveau = 'iris' AND a.niveau_parent = 'commune' AND a.code_parent = ? AND a.cog = ?
        ORDER BY a.code
        """, [commune, cog]).df()


def tableau_iris(con, commune: str, codes: list[str], glossaire: Glossaire) -> pd.DataFrame:
    """One row per (IRIS, indicator) at the indicator's latest year with a value for one of the IRIS.

    Columns: code, libelle, indicateur, annee, valeur, statut, source. An IRIS the
    producer does not list is 'absent' (nd), a blank cell 'secret' (s): never 0.
    """
    iris = iris_of_commune(con, commune)
    cols = ["code", "libelle", "indicateur", "annee", "valeur", "statut", "source"]
    if iris.empty or not codes:
        return pd.DataFrame(columns=cols)
    obs = ind_mod.observations_of(con, "iris", list(iris["code"]), list(codes), glossaire)
    frames = []
    for code in codes:
        part = obs[obs["indicateur"] == code]
        years = part.loc[part["statut"] == "ok", "annee"]
        annee = int(years.max()) if len(years) else (int(part["annee"].max()) if len(part) else None)
        rows = iris[["code", "libelle"]].assign(indicateur=code, annee=annee)
        if annee is not None:
            rows = rows.merge(part[part["annee"] == annee][["code", "valeur", "statut", "source"]], on="code", how="left")
        else:
            rows = rows.assign(valeur=float("nan"), statut=None, source=None)
        rows["statut"] = rows["statut"].fillna("absent")
        rows["valeur"] = rows["valeur"].where(rows["statut"] == "ok")
        frames.append(rows)
    out = pd.concat(frames, ignore_index=True)
    out["annee"] = out["annee"].astype("Int64")
    return out[cols]


# --- Verbatims and enjeux -------------------------------------------------------------


def verbatims_du_theme(themes: list[str] | tuple[str, ...], refs: list[Territoire], profil: str = "public",
                       max_n: int = 4, dossier: Path | None = None) -> list:
    """The partner verbatims of several verbatim themes and of these territories, a handful at most."""
    from osq_utils import verbatims as vb

    dossier = Path(dossier or VERBATIMS_DIR)
    items = [v for path in sorted(dossier.glob("*.yml")) if path.name != "themes.yml"
             for v in vb.load_verbatims(path)[0]]
    territoires = [(t.niveau, t.code) for t in refs]
    chosen = [v for theme in themes
              for v in vb.select(items, theme=theme, territoires=territoires, profil=profil, max_n=max_n)]
    # Most specific territory first, whatever the theme; at most max_n in all.
    rank = {key: i for i, key in enumerate(territoires)}
    return sorted(chosen, key=lambda v: rank.get(v.territoire, 99))[:max_n]


def enjeux_markdown(texte: str | None, code_commune: str, theme: str, fichier: str = "") -> str:
    """The analyst's « enjeux à retenir », headings pushed below the note's sections; a callout when empty.

    fichier: where `osq build` looks for them (params file's `enjeux` folder), if it has one.
    """
    texte = (texte or "").strip()
    if not texte:
        where = (f"dans le fichier `{fichier}`" if fichier else
                 f"dans un fichier `{code_commune}-{theme}.md` du dossier indiqué par la clé `enjeux` "
                 "du fichier de paramètres (par exemple `params/capso/enjeux/`)")
        return (
            '::: {.callout-note title="Enjeux à retenir : à rédiger"}\n'
            "L'analyste n'a pas encore rédigé les enjeux à retenir pour ce thème et cette commune. "
            f"Ils s'écrivent en Markdown {where}, et sont repris à la prochaine construction du site.\n:::\n"
        )
    # The note's sections are level 2: the analyst's shallowest heading becomes level 3.
    heading = re.compile(r"^(#{1,6})(\s)")
    levels = [len(m.group(1)) for m in map(heading.match, texte.splitlines()) if m]
    shift = max(0, 3 - min(levels)) if levels else 0
    lines = [("#" * shift + line) if heading.match(line) else line for line in texte.splitlines()]
    return "\n".join(lines) + "\n"

"""Analyse des besoins sociaux (ABS) of a CCAS: themes, population strata, stratum aggregates, IRIS tables.

One ABS note covers one commune and one theme (data/abs/themes.yml, or any glossary theme: read
by `osq_utils.catalogues.themes`).
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
from typing import TypedDict

import pandas as pd

from osq_utils import indicateurs, territoires
from osq_utils.catalogues.glossaire import FACTEURS, Glossaire, Indicateur
from osq_utils.catalogues.strates import STRATES, Strate, strate_of
from osq_utils.catalogues.themes import ThemeAbs
from osq_utils.indicateurs import Lecture, Territoire
from osq_utils.notes import communale
from osq_utils.notes.base import Territoires, TypeNote
from osq_utils.present import fr

# --- Population strata --------------------------------------------------------------


STRATE_POPULATION = ("nb_personnes_menages_fiscaux", 2019)  # indicator and year of a commune's size
STRATE_POPULATION_TEXTE = ("le nombre de personnes des ménages fiscaux (Insee, Filosofi 2019, géographie au "
                           "1er janvier 2020), seul décompte des habitants de toutes les communes de France dans la base "
                           "(la population municipale n'y figure que pour quatre départements)")
COUVERTURE_MIN = 0.8  # share of the stratum's inhabitants the kept communes must hold
_ARRONDISSEMENTS = re.compile(r"^(751(0[1-9]|1\d|20)|6938[1-9]|132(0[1-9]|1[0-6]))$")


def est_arrondissement_municipal(code: str) -> bool:
    """Paris 75101-75120, Lyon 69381-69389, Marseille 13201-13216."""
    return bool(_ARRONDISSEMENTS.match(str(code)))


def est_metropole(code: str) -> bool:
    return not str(code).startswith(("97", "98"))


def populations_strates(vue) -> pd.DataFrame:
    """Communes of metropolitan France with their size and stratum: code, population, strate.

    vue: the note's masked view (secret.vue.Vue), which reads every commune's figure of one year.
    """
    indicateur, annee = STRATE_POPULATION
    df = vue.observations_indicateur("commune", indicateur, annee)
    df = df.loc[df["statut"] == "ok", ["code", "valeur"]].rename(columns={"valeur": "population"})
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


class _BaseAgregat(TypedDict):
    """Fields of AgregatStrate known before the figure is computed."""
    indicateur: str
    annee: int | None
    strate: Strate
    communes: int


def agregat_strate(obs: pd.DataFrame, populations: pd.DataFrame, strate: Strate, ind: Indicateur,
                   annee: int | None) -> AgregatStrate:
    """The national figure of a stratum for one indicator and year.

    obs: commune observations of that indicator and year (code, numerateur, denominateur, statut).
    populations: output of populations_strates(). Communes with a secret or missing numerator or
    denominator are left out and counted; below COUVERTURE_MIN of the stratum's inhabitants the
    figure is not computed.
    """
    members = populations[populations["strate"] == strate.code]
    base = _BaseAgregat(indicateur=ind.code, annee=annee, strate=strate, communes=len(members))
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
    retenues = len(kept)
    if kept.empty or coverage < COUVERTURE_MIN:
        return AgregatStrate(**base, retenues=retenues, couverture=coverage, statut="non_calculable",
                             raison=f"la source ne couvre que {round(coverage * 100)}\u00a0% des habitants de la strate")
    num, den = float(kept["numerateur"].sum()), float(kept["denominateur"].sum())
    return AgregatStrate(**base, retenues=retenues, couverture=coverage, statut="ok", valeur=num / den * FACTEURS[ind.type],
                         numerateur=num, denominateur=den)


def agregats_par_strate(obs: pd.DataFrame, populations: pd.DataFrame, ind: Indicateur,
                        annee: int | None) -> list[AgregatStrate]:
    return [agregat_strate(obs, populations, s, ind, annee) for s in STRATES]


def strate_de_commune(populations: pd.DataFrame, commune: str) -> tuple[Strate | None, float | None]:
    row = populations[populations["code"] == commune]
    if row.empty:
        return None, None
    pop = float(row["population"].iloc[0])
    return strate_of(pop), pop


def population_strate(vue, commune: str) -> float | None:
    """The commune's size as used for its stratum (see STRATE_POPULATION)."""
    return strate_de_commune(populations_strates(vue), commune)[1]


def comparaison_strate(vue, commune: str, comp: pd.DataFrame) -> list[AgregatStrate]:
    """The stratum figure of each indicator of `comp` (indicateurs.comparison), for the year shown there."""
    glossaire = vue.glossaire
    populations = populations_strates(vue)
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
            obs = vue.observations_indicateur("commune", code, annee)
        out.append(agregat_strate(obs, populations, strate, ind, annee))
    return out


# --- Evolution -------------------------------------------------------------------------


def indicateurs_evolution(vue: Lecture, commune: str, codes: list[str]) -> list[str]:
    """The codes with at least two published years for the commune."""
    obs = indicateurs.commune_series(vue, commune, list(codes))
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


def iris_of_commune(vue: Lecture, commune: str, cog: int = 2021) -> pd.DataFrame:
    """The commune's IRIS (IRIS table of 2021): code, libelle, type_iris."""
    return vue.execute(
        """
        SELECT a.code, coalesce(t.libelle, a.code) AS libelle, y.type_iris
        FROM appartenances a
        LEFT JOIN territoires t ON t.niveau = 'iris' AND t.code = a.code AND t.cog = a.cog
        LEFT JOIN iris_types y ON y.code = a.code AND y.cog = a.cog
        WHERE a.niveau = 'iris' AND a.niveau_parent = 'commune' AND a.code_parent = ? AND a.cog = ?
        ORDER BY a.code
        """, [commune, cog]).df()


def indicateurs_iris(theme: ThemeAbs) -> list[str]:
    """The theme's indicators by IRIS: the mapped one first, then those of the table."""
    return list(dict.fromkeys([*([theme.iris_carte] if theme.iris_carte else []), *theme.iris_tableau]))


def tableau_iris(vue: Lecture, commune: str, codes: list[str]) -> pd.DataFrame:
    """One row per (IRIS, indicator) at the indicator's latest year with a value for one of the IRIS.

    Columns: code, libelle, indicateur, annee, valeur, statut, source. An IRIS the
    producer does not list is 'absent' (nd), a blank cell 'secret' (s): never 0.
    """
    iris = iris_of_commune(vue, commune)
    cols = ["code", "libelle", "indicateur", "annee", "valeur", "statut", "source"]
    if iris.empty or not codes:
        return pd.DataFrame(columns=cols)
    obs = vue.observations("iris", list(iris["code"]), list(codes))
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


# --- Enjeux ----------------------------------------------------------------------------


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


# --- Texts of the note ---------------------------------------------------------------


def note_strate(agregats: list[AgregatStrate], glossaire: Glossaire, commune: Territoire,
                population: float | None) -> str:
    """How the stratum figures were computed, which are not computable and why, and how many communes were left out."""
    if not agregats:
        return ('::: {.callout-note title="Strate de population"}\n'
                f"Les communes sont classées par taille selon {STRATE_POPULATION_TEXTE}. {commune.libelle} "
                "n'y figure pas : la comparaison avec sa strate n'est pas possible.\n:::\n")
    strate = agregats[0].strate
    lines = ['::: {.callout-note title="Comment lire la moyenne de la strate"}',
             (f"Pour classer toutes les communes de France par taille, la note utilise {STRATE_POPULATION_TEXTE}. "
             f"{commune.libelle} en compte {fr.nombre(population)} : elle appartient à la strate des communes de "
             f"{strate.libelle}, qui regroupe {fr.nombre(agregats[0].communes)} communes de France métropolitaine "
             "(Paris, Lyon et Marseille comptées sans leurs arrondissements). La moyenne nationale de la strate "
             "additionne les numérateurs et les dénominateurs de toutes ces communes (par exemple, toutes les personnes "
             "pauvres divisées par toutes les personnes) : ce n'est jamais une moyenne de taux."), ""]
    left = [a for a in agregats if a.statut == "ok" and a.exclues]
    if left:
        groups: dict[tuple[int, int], list[str]] = {}
        for a in left:
            groups.setdefault((a.exclues, a.communes), []).append(glossaire[a.indicateur].libelle)
        bits = [f"{', '.join(labels)} : {fr.nombre(n)} sur {fr.nombre(total)}" for (n, total), labels in groups.items()]
        lines += ["Communes laissées de côté parce que leur valeur est couverte par le secret statistique ou "
                  "absente de la source : " + " ; ".join(bits) + ".", ""]
    reasons: dict[str, list[str]] = {}
    for a in agregats:
        if a.statut != "ok":
            reasons.setdefault(a.raison or "non calculable", []).append(glossaire[a.indicateur].libelle)
    if reasons:
        lines.append(f"« {fr.MARQUE_SANS_OBJET} » dans la colonne de la strate :")
        lines.append("")
        for reason, labels in reasons.items():
            lines.append(f"- {', '.join(labels)} : {reason}.")
    lines.append(":::")
    return "\n".join(lines) + "\n"


# --- The kind ---------------------------------------------------------------------------------


def territoires_montres(con, code: str, parametres: dict) -> Territoires:
    """The commune and its IRIS, its EPCI (and EPT), its département and France (the strata are national sums);
    for a municipal arrondissement, also its commune."""
    out = communale.territoires_references(con, code)
    out["iris"] = set(territoires.iris_of(con, code))
    return out


TYPE = TypeNote(
    modele="abs_ccas", niveau="commune", parametre="code_commune", libelle="Analyse des besoins sociaux",
    pluriel="Analyses des besoins sociaux (CCAS)", prefixe="abs", territoires=territoires_montres,
    par_theme=True, theme_defaut="socio_demographie_habitat",
)

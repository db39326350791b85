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

import pandas as pd

from osq_utils import indicateurs, territoires
from osq_utils.catalogues.glossaire import Glossaire
from osq_utils.catalogues.themes import ThemeAbs
from osq_utils.indicateurs import Lecture, Territoire, lignes_du_territoire
from osq_utils.notes import communale
from osq_utils.notes.base import Territoires, TypeNote
from osq_utils.present import fr

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


def enjeux_markdown(texte: str | None, code_commune: str, theme: str, fichier: str = "", brouillon: str = "") -> str:
    """The analyst's « enjeux à retenir », headings pushed below the note's sections, said to be theirs; when they
    have written none, a callout saying where to write them, with the automatic commentary's draft (`brouillon`:
    the theme's most notable facts, notes.commentaire.brouillon_enjeux) that they may keep, edit or replace.

    fichier: where `osq build` looks for them (params file's `enjeux` folder), if it has one.
    """
    texte = (texte or "").strip()
    if not texte:
        where = (f"dans le fichier `{fichier}`" if fichier else
                 f"dans un fichier `{code_commune}-{theme}.md` du dossier indiqué par la clé `enjeux` "
                 "du fichier de paramètres (par exemple `params/capso/enjeux/`)")
        if brouillon:
            return (
                '::: {.callout-note title="Enjeux à retenir : proposition à reprendre"}\n'
                "L'analyste n'a pas encore rédigé les enjeux à retenir pour ce thème et cette commune. Voici, pour "
                "commencer, les écarts les plus marqués avec les territoires de référence, écrits automatiquement "
                "à partir des tableaux de la note : ce ne sont pas des enjeux, mais des constats à discuter.\n\n"
                f"{brouillon.strip()}\n\n"
                f"L'analyste garde, modifie ou remplace cette proposition en écrivant les enjeux en Markdown {where} ; "
                "son texte remplace alors celui-ci à la prochaine construction du site.\n:::\n"
            )
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
    return "\n".join(lines) + "\n\n*Enjeux rédigés par l'analyste de l'observatoire.*\n"


# --- Texts of the note ---------------------------------------------------------------


def note_strate(vue: Lecture, comp: pd.DataFrame, commune: Territoire, strate: Territoire | None) -> str:
    """How the stratum column is computed, how many communes it holds, and which of its cells are empty and why."""
    if strate is None:
        return ('::: {.callout-note title="Strate de population"}\n'
                f"{commune.libelle} n'est rattachée à aucune strate de population (les strates regroupent les "
                "communes de France métropolitaine, Paris, Lyon et Marseille comptées sans leurs arrondissements) : "
                "la comparaison avec sa strate n'est pas possible.\n:::\n")
    n = len(territoires.communes_of(vue, "strate", strate.code))
    lines = ['::: {.callout-note title="Comment lire la colonne de la strate"}',
             f"Les communes de France métropolitaine sont classées par taille selon leur population municipale "
             f"(Insee, recensement ; Paris, Lyon et Marseille comptées sans leurs arrondissements). "
             f"{commune.libelle} appartient à la strate des {strate.libelle[0].lower()}{strate.libelle[1:]}, qui "
             f"regroupe {fr.nombre(n)} communes. Le chiffre de la strate additionne les numérateurs et les "
             "dénominateurs de ses communes (par exemple, tous les chômeurs divisés par tous les actifs) : ce n'est "
             "jamais une moyenne de taux. Il n'est calculé que si les communes dont le chiffre est publié réunissent au "
             "moins 80\u00a0% des habitants de la strate ; en dessous de 100\u00a0%, il est marqué comme estimé.", ""]
    shown = lignes_du_territoire(comp)  # the table's rows: the commune's missing figures are in another callout
    own = shown[shown["code"] == strate.code]
    kinds: dict[str, list[str]] = {}
    for code, statut in zip(own["indicateur"], own["statut"]):
        if statut == "ok":
            continue
        ind = vue.glossaire[code]
        if ind.type == "compte":
            key = "un effectif ne se compare pas d'une strate à une commune (seuls les taux le sont)"
        elif ind.calcul is not None:
            key = ("ce chiffre rapporte les effectifs d'une source à la population d'une autre : OSQ ne le calcule "
                   "pas pour une strate")
        elif not ind.derivable:
            key = ("une médiane, un décile ou un taux publié sans son numérateur ne s'additionne pas : OSQ ne le "
                   "calcule pas pour la strate")
        else:
            key = ("les communes dont la source publie le chiffre réunissent moins de 80\u00a0% des habitants de la "
                   "strate")
        kinds.setdefault(key, []).append(ind.libelle)
    if kinds:
        lines.append("Cases vides de la colonne de la strate :")
        lines.append("")
        lines += [f"- {', '.join(labels)} : {reason}." for reason, labels in kinds.items()]
    lines.append(":::")
    return "\n".join(lines) + "\n"


# --- The kind ---------------------------------------------------------------------------------


def territoires_montres(con, code: str, parametres: dict) -> Territoires:
    """The commune and its IRIS, its EPCI (and EPT), its zones, its département and France (the strata are national
    sums); for a municipal arrondissement, also its commune."""
    out = {**communale.territoires_references(con, code), **communale.zones_montrees(con, code, parametres)}
    out["iris"] = set(territoires.iris_of(con, code))
    return out


TYPE = TypeNote(
    modele="abs_ccas", niveau="commune", parametre="code_commune", libelle="Analyse des besoins sociaux",
    pluriel="Analyses des besoins sociaux (CCAS)", prefixe="abs", territoires=territoires_montres,
    par_theme=True, theme_defaut="socio_demographie_habitat",
    sections_commentaire=("synthese", "lecture", "evolution"),
)

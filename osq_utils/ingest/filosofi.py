"""Readers of INSEE Filosofi files (income and poverty).

Five layouts: the 'structure et distribution' files by level and year
(filosofi_disp), the DoReMIFaSol commune/EPCI files of 2015-2016 with poverty
rates (filosofi_doremifasol), the 2018 commune poverty file
(filosofi_pauvrete_2018), the « base communale » of 2021 with its « s » and « nd »
marks (filosofi_communes) and the supra-communal distribution and poverty files of
2020 (filosofi_supra). Filosofi year y follows the COG of 1 January y+1, except
the 2021 base communale (COG 2024, declared in the catalogue).

INSEE publishes poverty rates and shares of taxed households without the count
of poor persons or taxed households: no numerator is ever made up here (a rate
times a population is not a published figure); the published denominator
(persons, households) is kept.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from osq_utils.catalogues.sources import Source
from osq_utils.errors import OsqError
from osq_utils.ingest.base import IngestResult, PathOf, absent_of, communes_and_arm, decimales_of, observations
from osq_utils.ingest.tabular import Rejets, read_csv_text, read_header, read_validated, require_columns

LEVEL_FOLDERS = {
    "communes": ("commune", "commune"),
    "epci": ("epci", "epci"),
    "departements": ("departement", "departement"),
    "regions": ("region", "region"),
    "france": ("france", "france"),
}
FRANCE_CODE = "FRM"  # France métropolitaine

# indicator -> column stem (the two-digit year is appended, except for RD).
DISP_COLUMNS = {
    "nb_menages_fiscaux": "NBMEN",
    "nb_personnes_menages_fiscaux": "NBPERS",
    "revenu_median": "Q2",
    "decile_1": "D1",
    "decile_9": "D9",
    "rapport_interdecile": "RD",
    "gini": "GI",
}
# Income composition (shares of disposable income, %): indicator -> column stem.
COMPOSITION = {
    "part_revenus_activite": "PACT",
    "part_salaires": "PTSA",
    "part_indemnites_chomage": "PCHO",
    "part_revenus_non_salaries": "PBEN",
    "part_pensions_retraites": "PPEN",
    "part_revenus_patrimoine": "PPAT",
    "part_prestations_sociales": "PPSOC",
    "part_prestations_familiales": "PPFAM",
    "part_minima_sociaux": "PPMINI",
    "part_prestations_logement": "PPLOGT",
    "part_impots": "PIMPOT",
}
DISP_COLUMNS |= COMPOSITION
# Poverty rate at 60 % by group: indicator -> group code. Columns are TP60<g><yy> in the « base
# communale » files (2015, 2016, 2021) and <g>TP60<yy> in the poverty files (2018, 2020).
PAUVRETE_GROUPES = {
    "taux_pauvrete_moins_30": "AGE1",
    "taux_pauvrete_30_39": "AGE2",
    "taux_pauvrete_40_49": "AGE3",
    "taux_pauvrete_50_59": "AGE4",
    "taux_pauvrete_60_74": "AGE5",
    "taux_pauvrete_75_plus": "AGE6",
    "taux_pauvrete_proprietaires": "TOL1",
    "taux_pauvrete_locataires": "TOL2",
    "taux_pauvrete_locataires_parc_social": "TLD2",
    "taux_pauvrete_locataires_parc_prive": "TLD3",
    "taux_pauvrete_hommes_seuls": "TYM1",
    "taux_pauvrete_femmes_seules": "TYM2",
    "taux_pauvrete_couples_sans_enfant": "TYM3",
    "taux_pauvrete_couples_avec_enfants": "TYM4",
    "taux_pauvrete_familles_monoparentales": "TYM5",
    "taux_pauvrete_menages_complexes": "TYM6",
}
DISP_REQUIRED = ["nb_menages_fiscaux", "nb_personnes_menages_fiscaux", "revenu_median"]
IRIS_COLUMNS = {
    "taux_pauvrete": "DISP_TP60",
    "revenu_median": "DISP_MED",
    "decile_1": "DISP_D1",
    "decile_9": "DISP_D9",
    "rapport_interdecile": "DISP_RD",
    "gini": "DISP_GI",
    **{ind: f"DISP_{stem}" for ind, stem in COMPOSITION.items()},
}


def _year_of(name: str) -> int:
    match = re.search(r"(20\d\d)", name)
    if not match:
        raise ValueError(f"année introuvable dans le nom de fichier {name}")
    return int(match.group(1))


def read_filosofi_disp(source: Source, path_of: PathOf) -> IngestResult:
    result = IngestResult()
    for f in source.fichiers:
        if not f.chemin.endswith(".csv"):
            continue
        path = path_of(source.id, f.chemin)
        folder = f.chemin.split("/")[0]
        year = _year_of(Path(f.chemin).name)
        yy = f"{year % 100:02d}"
        if folder == "iris":
            _read_iris(result, path, year, yy)
            continue
        niveau, code_level = LEVEL_FOLDERS[folder]
        header = read_header(path, sep=";")
        wanted = {ind: (stem if stem == "RD" else f"{stem}{yy}") for ind, stem in DISP_COLUMNS.items()}
        # Households, persons and the median are in every DISP file: their absence is an error.
        require_columns(pd.DataFrame(columns=header), path, [wanted[c] for c in DISP_REQUIRED])
        wanted = {ind: col for ind, col in wanted.items() if col in header}
        rejets = Rejets()
        df = read_validated(path, sep=";", code_column="CODGEO", niveau=code_level, numeric=list(wanted.values()), rejets=rejets)
        if niveau == "france":
            df["CODGEO"] = FRANCE_CODE
        cog = year + 1
        n = 0
        for niveau_part, part in (communes_and_arm(df, "CODGEO") if niveau == "commune" else [(niveau, df)]):
            for ind, col in wanted.items():
                obs = observations(part["CODGEO"], niveau=niveau_part, indicateur=ind, annee=year, valeur=part[col],
                                   cog=cog, decimales=decimales_of(part, col))
                result.add("observations", obs)
                n += len(obs)
            if {"nb_menages_fiscaux", "nb_personnes_menages_fiscaux"} <= wanted.keys():
                pers, men = part[wanted["nb_personnes_menages_fiscaux"]], part[wanted["nb_menages_fiscaux"]]
                obs = observations(
                    part["CODGEO"], niveau=niveau_part, indicateur="taille_menages", annee=year,
                    valeur=pers / men.where(men > 0), numerateur=pers, denominateur=men, cog=cog,
                )
                result.add("observations", obs)
                n += len(obs)
        result.file(path, len(df) + rejets.total, rejets, n)
    return result


def _read_iris(result: IngestResult, path: Path, year: int, yy: str) -> None:
    header = read_header(path, sep=";")
    wanted = {ind: f"{stem}{yy}" for ind, stem in IRIS_COLUMNS.items()}
    if "DISP_RD" in header:
        wanted["rapport_interdecile"] = "DISP_RD"
    if f"DISP_S80S20{yy}" in header and f"DISP_GI{yy}" not in header:
        wanted.pop("gini")
    require_columns(pd.DataFrame(columns=header), path, [wanted["revenu_median"]])
    wanted = {ind: col for ind, col in wanted.items() if col in header}
    rejets = Rejets()
    df = read_validated(path, sep=";", code_column="IRIS", niveau="iris", numeric=list(wanted.values()), rejets=rejets)
    n = 0
    for ind, col in wanted.items():
        obs = observations(df["IRIS"], niveau="iris", indicateur=ind, annee=year, valeur=df[col], cog=year + 1,
                           decimales=decimales_of(df, col))
        result.add("observations", obs)
        n += len(obs)
    result.file(path, len(df) + rejets.total, rejets, n)


def _groupes(header, yy: str, base_communale: bool) -> dict[str, str]:
    """Poverty rate columns by group present in a header: indicator -> column."""
    wanted = {ind: (f"TP60{g}{yy}" if base_communale else f"{g}TP60{yy}") for ind, g in PAUVRETE_GROUPES.items()}
    return {ind: col for ind, col in wanted.items() if col in header}


def _rates_without_numerator(df: pd.DataFrame, code: str, niveau: str, year: int, cog: int, columns: dict[str, str],
                             denominateur: pd.Series | None = None, decimales=decimales_of) -> list[pd.DataFrame]:
    """Rates published without their numerator: the published denominator (if any), never a made-up count."""
    return [observations(df[code], niveau=niveau, indicateur=ind, annee=year, valeur=df[col], denominateur=denominateur,
                         cog=cog, decimales=decimales(df, col), absent=absent_of(df, col))
            for ind, col in columns.items()]


def _decimales_doremifasol(df: pd.DataFrame, col: str) -> int | None:
    """Published precision of a DoReMIFaSol column: its R-to-CSV conversion wrote INSEE's whole numbers
    as « 22.0 », so a column whose every value is whole was published without decimals."""
    values = df[col].dropna()
    if not values.empty and bool((values % 1 == 0).all()):
        return 0
    return decimales_of(df, col)


def read_filosofi_doremifasol(source: Source, path_of: PathOf) -> IngestResult:
    """Commune and EPCI files of 2015 and 2016: poverty rates (overall, by age and tenure) and the share of
    taxed households, with their published denominators (persons, households)."""
    result = IngestResult()
    for f in source.fichiers:
        path = path_of(source.id, f.chemin)
        year = _year_of(f.chemin)
        yy = f"{year % 100:02d}"
        niveau = "epci" if "epci" in f.chemin else "commune"
        header = read_header(path, sep=";")
        groupes = _groupes(header, yy, base_communale=True)
        require_columns(pd.DataFrame(columns=header), path, [f"TP60AGE1{yy}"])
        cols = [f"NBMENFISC{yy}", f"NBPERSMENFISC{yy}", f"TP60{yy}", f"PIMP{yy}", *groupes.values()]
        rejets = Rejets()
        df = read_validated(path, sep=";", code_column="CODGEO", niveau=niveau, numeric=cols, rejets=rejets)
        frames = []
        for niveau_part, part in (communes_and_arm(df, "CODGEO") if niveau == "commune" else [(niveau, df)]):
            men, pers = part[f"NBMENFISC{yy}"], part[f"NBPERSMENFISC{yy}"]
            frames += [
                *_rates_without_numerator(part, "CODGEO", niveau_part, year, year + 1, {"taux_pauvrete": f"TP60{yy}"},
                                          pers, _decimales_doremifasol),
                *_rates_without_numerator(part, "CODGEO", niveau_part, year, year + 1,
                                          {"part_menages_imposes": f"PIMP{yy}"}, men, _decimales_doremifasol),
                *_rates_without_numerator(part, "CODGEO", niveau_part, year, year + 1, groupes, None,
                                          _decimales_doremifasol),
            ]
        for frame in frames:
            result.add("observations", frame)
        result.file(path, len(df) + rejets.total, rejets, sum(len(x) for x in frames))
    return result


def read_filosofi_pauvrete_2018(source: Source, path_of: PathOf) -> IngestResult:
    """2018 commune poverty rates, overall and by group; the denominator (persons) comes from the 2018 DISP
    commune file of the same producer."""
    result = IngestResult()
    persons_path = path_of("insee-filosofi-2014-2019-disp", "communes/FILO2018_DISP_COM.csv")
    persons = read_validated(persons_path, sep=";", code_column="CODGEO", niveau="commune", numeric=["NBPERS18"])
    persons = persons.set_index("CODGEO")["NBPERS18"]
    for f in source.fichiers:
        if not (f.chemin.startswith("FILO2018_DISP_Pauvres") and f.chemin.endswith(".csv")):
            continue
        path = path_of(source.id, f.chemin)
        header = read_header(path, sep=";")
        groupes = _groupes(header, "18", base_communale=False)
        require_columns(pd.DataFrame(columns=header), path, ["TP6018", "AGE1TP6018"])
        rejets = Rejets()
        df = read_validated(path, sep=";", code_column="CODGEO", niveau="commune", numeric=["TP6018", *groupes.values()],
                            rejets=rejets)
        frames = []
        for niveau, part in communes_and_arm(df, "CODGEO"):
            frames += [
                *_rates_without_numerator(part, "CODGEO", niveau, 2018, 2019, {"taux_pauvrete": "TP6018"},
                                          part["CODGEO"].map(persons)),
                *_rates_without_numerator(part, "CODGEO", niveau, 2018, 2019, groupes),
            ]
        for frame in frames:
            result.add("observations", frame)
        result.file(path, len(df) + rejets.total, rejets, sum(len(x) for x in frames))
    # The other files of the folder (declared income, deciles, dictionaries) are checked as readable.
    for f in source.fichiers:
        if f.chemin.endswith(".csv") and not f.chemin.startswith("FILO2018_DISP_Pauvres"):
            path = path_of(source.id, f.chemin)
            df = read_csv_text(path, sep=";")
            result.file(path, len(df), None, 0)
    return result


# Filosofi's marks of a missing cell in the 2020 and 2021 files.
MARQUEURS = {"s": "secret", "nd": "absent"}
# The base communale's figures: indicator -> column stem (two-digit year appended).
BASE_COMMUNALE = {
    "nb_menages_fiscaux": "NBMENFISC",
    "nb_personnes_menages_fiscaux": "NBPERSMENFISC",
    "revenu_median": "MED",
    "decile_1": "D1",
    "decile_9": "D9",
    "rapport_interdecile": "RD",
    **COMPOSITION,
}


def _cog_declared(source: Source) -> int | None:
    match = re.search(r"COG (\d{4})", source.geographie or "")
    return int(match.group(1)) if match else None


def _taille_menages(df: pd.DataFrame, code: str, niveau: str, year: int, cog: int, men_col: str,
                    pers_col: str) -> pd.DataFrame:
    """Persons per fiscal household, computed (the glossary's precision); absent where an input is « nd »."""
    men, pers = df[men_col], df[pers_col]
    nd = absent_of(df, men_col)
    return observations(df[code], niveau=niveau, indicateur="taille_menages", annee=year,
                        valeur=pers / men.where(men > 0), numerateur=pers, denominateur=men, cog=cog,
                        absent=nd)


def read_filosofi_communes(source: Source, path_of: PathOf) -> IngestResult:
    """The « base communale » (cc_filosofi_<year>_COM.csv): communes and municipal arrondissements.

    « s » is INSEE's secret (statut 'secret'), « nd » a figure not available (statut 'absent').
    """
    result = IngestResult()
    for f in source.fichiers:
        if not f.chemin.lower().endswith(".csv"):
            continue
        path = path_of(source.id, f.chemin)
        year = _year_of(Path(f.chemin).name)
        yy = f"{year % 100:02d}"
        cog = _cog_declared(source) or year + 1
        header = read_header(path, sep=";")
        wanted = {ind: f"{stem}{yy}" for ind, stem in BASE_COMMUNALE.items()}
        require_columns(pd.DataFrame(columns=header), path,
                        [wanted["nb_menages_fiscaux"], wanted["nb_personnes_menages_fiscaux"], f"TP60{yy}", f"PIMP{yy}"])
        wanted = {ind: col for ind, col in wanted.items() if col in header}
        groupes = _groupes(header, yy, base_communale=True)
        rejets = Rejets()
        df = read_validated(path, sep=";", code_column="CODGEO", niveau="commune", marqueurs=MARQUEURS,
                            numeric=[*wanted.values(), f"TP60{yy}", f"PIMP{yy}", *groupes.values()], rejets=rejets)
        n = 0
        for niveau, part in communes_and_arm(df, "CODGEO"):
            men, pers = part[wanted["nb_menages_fiscaux"]], part[wanted["nb_personnes_menages_fiscaux"]]
            frames = [
                *[observations(part["CODGEO"], niveau=niveau, indicateur=ind, annee=year, valeur=part[col], cog=cog,
                               decimales=decimales_of(part, col), absent=absent_of(part, col),
                               numerateur=part[col] if ind.startswith("nb_") else None)
                  for ind, col in wanted.items()],
                _taille_menages(part, "CODGEO", niveau, year, cog, wanted["nb_menages_fiscaux"],
                                wanted["nb_personnes_menages_fiscaux"]),
                *_rates_without_numerator(part, "CODGEO", niveau, year, cog, {"taux_pauvrete": f"TP60{yy}"}, pers),
                *_rates_without_numerator(part, "CODGEO", niveau, year, cog, {"part_menages_imposes": f"PIMP{yy}"}, men),
                *_rates_without_numerator(part, "CODGEO", niveau, year, cog, groupes),
            ]
            for frame in frames:
                result.add("observations", frame)
                n += len(frame)
        result.file(path, len(df) + rejets.total, rejets, n)
    return result


SUPRA_LEVELS = {"DEP": "departement", "REG": "region", "EPCI": "epci"}


def read_filosofi_supra(source: Source, path_of: PathOf) -> IngestResult:
    """Supra-communal files of one Filosofi year (FILO<year>_DISP_<LEVEL>.csv and FILO<year>_DISP_PAUVRES_<LEVEL>.csv).

    The distribution file gives households, persons, median, deciles, Gini and the income composition;
    the poverty file the rate at 60 % overall and by group, whose published denominator (persons) is
    the distribution file's.
    """
    result = IngestResult()
    files = [f for f in source.fichiers if f.chemin.lower().endswith(".csv")]
    distribution = [f for f in files if "PAUVRES" not in f.chemin.upper()]
    pauvrete = [f for f in files if "PAUVRES" in f.chemin.upper()]
    persons: dict[str, pd.Series] = {}
    for f in distribution + pauvrete:  # distribution first: its persons are the poverty rates' denominator
        path = path_of(source.id, f.chemin)
        name = Path(f.chemin).stem.upper()
        year = _year_of(name)
        yy = f"{year % 100:02d}"
        level = name.rsplit("_", 1)[-1]
        if level not in SUPRA_LEVELS:
            raise OsqError(f"niveau « {level} » inconnu dans le nom du fichier", fichier=path,
                           correction="nommez le fichier comme l'Insee : FILO<année>_DISP_DEP.csv, _REG.csv ou _EPCI.csv.")
        niveau = SUPRA_LEVELS[level]
        cog = year + 1
        header = read_header(path, sep=";")
        rejets = Rejets()
        if f in distribution:
            wanted = {ind: (stem if stem == "RD" else f"{stem}{yy}") for ind, stem in DISP_COLUMNS.items()}
            require_columns(pd.DataFrame(columns=header), path, [wanted[c] for c in DISP_REQUIRED])
            wanted = {ind: col for ind, col in wanted.items() if col in header}
            df = read_validated(path, sep=";", code_column="CODGEO", niveau=niveau, marqueurs=MARQUEURS,
                                numeric=list(wanted.values()), rejets=rejets)
            persons[niveau] = df.set_index("CODGEO")[wanted["nb_personnes_menages_fiscaux"]]
            frames = [observations(df["CODGEO"], niveau=niveau, indicateur=ind, annee=year, valeur=df[col], cog=cog,
                                   decimales=decimales_of(df, col), absent=absent_of(df, col),
                                   numerateur=df[col] if ind.startswith("nb_") else None)
                      for ind, col in wanted.items()]
            frames.append(_taille_menages(df, "CODGEO", niveau, year, cog, wanted["nb_menages_fiscaux"],
                                          wanted["nb_personnes_menages_fiscaux"]))
        else:
            require_columns(pd.DataFrame(columns=header), path, [f"TP60{yy}"])
            groupes = _groupes(header, yy, base_communale=False)
            df = read_validated(path, sep=";", code_column="CODGEO", niveau=niveau, marqueurs=MARQUEURS,
                                numeric=[f"TP60{yy}", *groupes.values()], rejets=rejets)
            pers = df["CODGEO"].map(persons[niveau]) if niveau in persons else None
            frames = [*_rates_without_numerator(df, "CODGEO", niveau, year, cog, {"taux_pauvrete": f"TP60{yy}"}, pers),
                      *_rates_without_numerator(df, "CODGEO", niveau, year, cog, groupes)]
        for frame in frames:
            result.add("observations", frame)
        result.file(path, len(df) + rejets.total, rejets, sum(len(x) for x in frames))
    return result

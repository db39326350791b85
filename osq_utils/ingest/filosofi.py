"""Readers of INSEE Filosofi files (income and poverty).

Three layouts: the 'structure et distribution' files by level and year
(filosofi_disp), the DoReMIFaSol commune/EPCI files of 2015-2016 with poverty
rates (filosofi_doremifasol), and the 2018 commune poverty file
(filosofi_pauvrete_2018). Filosofi year y follows the COG of 1 January y+1.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from osq_utils.catalogues.sources import Source
from osq_utils.ingest.base import IngestResult, PathOf, decimales_of, observations
from osq_utils.ingest.tabular import Rejets, read_csv_text, read_validated, require_columns

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
    "part_revenus_activite": "PACT",
    "part_prestations_sociales": "PPSOC",
    "part_indemnites_chomage": "PCHO",
}
DISP_REQUIRED = ["nb_menages_fiscaux", "nb_personnes_menages_fiscaux", "revenu_median"]
IRIS_COLUMNS = {
    "taux_pauvrete": "DISP_TP60",
    "revenu_median": "DISP_MED",
    "decile_1": "DISP_D1",
    "decile_9": "DISP_D9",
    "rapport_interdecile": "DISP_RD",
    "gini": "DISP_GI",
    "part_revenus_activite": "DISP_PACT",
    "part_prestations_sociales": "DISP_PPSOC",
    "part_indemnites_chomage": "DISP_PCHO",
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
        header = read_csv_text(path, sep=";").columns
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
        for ind, col in wanted.items():
            obs = observations(df["CODGEO"], niveau=niveau, indicateur=ind, annee=year, valeur=df[col], cog=cog,
                               decimales=decimales_of(df, col))
            result.add("observations", obs)
            n += len(obs)
        if {"nb_menages_fiscaux", "nb_personnes_menages_fiscaux"} <= wanted.keys():
            pers, men = df[wanted["nb_personnes_menages_fiscaux"]], df[wanted["nb_menages_fiscaux"]]
            obs = observations(
                df["CODGEO"], niveau=niveau, indicateur="taille_menages", annee=year,
                valeur=pers / men.where(men > 0), numerateur=pers, denominateur=men, cog=cog,
            )
            result.add("observations", obs)
            n += len(obs)
        result.file(path, len(df) + rejets.total, rejets, n)
    return result


def _read_iris(result: IngestResult, path: Path, year: int, yy: str) -> None:
    header = read_csv_text(path, sep=";").columns
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


def read_filosofi_doremifasol(source: Source, path_of: PathOf) -> IngestResult:
    """Commune and EPCI files of 2015 and 2016: poverty rates with their denominators."""
    result = IngestResult()
    for f in source.fichiers:
        path = path_of(source.id, f.chemin)
        year = _year_of(f.chemin)
        yy = f"{year % 100:02d}"
        niveau = "epci" if "epci" in f.chemin else "commune"
        cols = [f"NBMENFISC{yy}", f"NBPERSMENFISC{yy}", f"TP60{yy}", f"TP60AGE1{yy}", f"PIMP{yy}"]
        rejets = Rejets()
        df = read_validated(path, sep=";", code_column="CODGEO", niveau=niveau, numeric=cols, rejets=rejets)
        men, pers = df[f"NBMENFISC{yy}"], df[f"NBPERSMENFISC{yy}"]
        tp60, pimp = df[f"TP60{yy}"], df[f"PIMP{yy}"]
        frames = [
            observations(df["CODGEO"], niveau=niveau, indicateur="taux_pauvrete", annee=year, valeur=tp60,
                         numerateur=tp60 * pers / 100, denominateur=pers, cog=year + 1,
                         decimales=decimales_of(df, f"TP60{yy}")),
            observations(df["CODGEO"], niveau=niveau, indicateur="taux_pauvrete_moins_30", annee=year,
                         valeur=df[f"TP60AGE1{yy}"], cog=year + 1, decimales=decimales_of(df, f"TP60AGE1{yy}")),
            observations(df["CODGEO"], niveau=niveau, indicateur="part_menages_imposes", annee=year, valeur=pimp,
                         numerateur=pimp * men / 100, denominateur=men, cog=year + 1,
                         decimales=decimales_of(df, f"PIMP{yy}")),
        ]
        for frame in frames:
            result.add("observations", frame)
        result.file(path, len(df) + rejets.total, rejets, sum(len(x) for x in frames))
    return result


def read_filosofi_pauvrete_2018(source: Source, path_of: PathOf) -> IngestResult:
    """2018 commune poverty rates; the denominator (persons) comes from the 2018 DISP commune file."""
    result = IngestResult()
    persons_path = path_of("insee-filosofi-2014-2019-disp", "communes/FILO2018_DISP_COM.csv")
    persons = read_validated(persons_path, sep=";", code_column="CODGEO", niveau="commune", numeric=["NBPERS18"])
    persons = persons.set_index("CODGEO")["NBPERS18"]
    for f in source.fichiers:
        if not (f.chemin.startswith("FILO2018_DISP_Pauvres") and f.chemin.endswith(".csv")):
            continue
        path = path_of(source.id, f.chemin)
        rejets = Rejets()
        df = read_validated(path, sep=";", code_column="CODGEO", niveau="commune", numeric=["TP6018", "AGE1TP6018"], rejets=rejets)
        pers = df["CODGEO"].map(persons)
        frames = [
            observations(df["CODGEO"], niveau="commune", indicateur="taux_pauvrete", annee=2018, valeur=df["TP6018"],
                         numerateur=df["TP6018"] * pers / 100, denominateur=pers, cog=2019,
                         decimales=decimales_of(df, "TP6018")),
            observations(df["CODGEO"], niveau="commune", indicateur="taux_pauvrete_moins_30", annee=2018,
                         valeur=df["AGE1TP6018"], cog=2019, decimales=decimales_of(df, "AGE1TP6018")),
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

"""Readers of the territorial reference files: COG, COGugaison, Etalab, IRIS table.

They fill the territory tables (codes and labels per COG year), the
memberships (IRIS -> commune -> EPCI / département -> région), commune
populations and the year-to-year commune passage table.
"""

from __future__ import annotations

import json

import pandas as pd

from osq_utils.catalogues.sources import Source
from osq_utils.ingest.base import IngestResult, PathOf, memberships, observations, territories
from osq_utils.ingest.tabular import (
    Rejets,
    parse_numbers,
    read_csv_text,
    read_validated,
    require_columns,
    validate_codes,
)

SUPRA_LEVELS = {"EPCI": "epci", "DEP": "departement", "REG": "region"}


def read_cog(source: Source, path_of: PathOf) -> IngestResult:
    result = IngestResult()
    for f in source.fichiers:
        path = path_of(source.id, f.chemin)
        df = read_csv_text(path, sep=";")
        require_columns(df, path, ["typecom", "com", "dep", "reg", "libelle"])
        rejets = Rejets()
        keep = df["typecom"] == "COM"
        rejets.add("communes déléguées, associées et arrondissements municipaux (hors COG des communes)", int((~keep).sum()))
        com = df[keep]
        validate_codes(com, path, "com", "commune")
        result.add("territoires", territories(com["com"], com["libelle"], "commune", 2019))
        result.add("appartenances", memberships(com["com"], "commune", com["dep"], "departement", 2019))
        deps = com[["dep", "reg"]].drop_duplicates()
        result.add("appartenances", memberships(deps["dep"], "departement", deps["reg"], "region", 2019))
        result.file(path, len(df), rejets, 0)
    return result


def read_cogugaison(source: Source, path_of: PathOf) -> IngestResult:
    result = IngestResult()
    for f in source.fichiers:
        path = path_of(source.id, f.chemin)
        name = f.chemin.split("/")[-1]
        if name.startswith("table_supracom"):
            df = read_csv_text(path, sep=",")
            require_columns(df, path, ["cog_year", "CODGEO", "LIBGEO", "DEP", "REG", "EPCI"])
            validate_codes(df, path, "CODGEO", "commune")
            for year, part in df.groupby("cog_year"):
                year = int(year)
                result.add("territoires", territories(part["CODGEO"], part["LIBGEO"], "commune", year))
                result.add("appartenances", memberships(part["CODGEO"], "commune", part["EPCI"], "epci", year))
                result.add("appartenances", memberships(part["CODGEO"], "commune", part["DEP"], "departement", year))
                deps = part[["DEP", "REG"]].drop_duplicates()
                result.add("appartenances", memberships(deps["DEP"], "departement", deps["REG"], "region", year))
            result.file(path, len(df), None, 0)
        elif name.startswith("libelles_supracom"):
            df = read_csv_text(path, sep=",")
            require_columns(df, path, ["cog_year", "NIVGEO", "CODGEO", "LIBGEO"])
            rejets = Rejets()
            keep = df["NIVGEO"].isin(list(SUPRA_LEVELS))
            rejets.add("zonages d'étude non utilisés (arrondissements, unités urbaines, aires, zones d'emploi…)", int((~keep).sum()))
            for (year, nivgeo), part in df[keep].groupby(["cog_year", "NIVGEO"]):
                result.add("territoires", territories(part["CODGEO"], part["LIBGEO"], SUPRA_LEVELS[nivgeo], int(year)))
            result.file(path, len(df), rejets, 0)
        elif name.startswith("cog_communes_pop"):
            df = read_csv_text(path, sep=",")
            require_columns(df, path, ["cog_year", "CODGEO", "POP"])
            validate_codes(df, path, "CODGEO", "commune")
            nums = parse_numbers(df, path, ["POP", "cog_year"])
            n = 0
            for year, idx in nums.groupby("cog_year").groups.items():
                part = df.loc[idx]
                obs = observations(part["CODGEO"], niveau="commune", indicateur="population", annee=int(year),
                                   valeur=nums.loc[idx, "POP"], numerateur=nums.loc[idx, "POP"], cog=int(year))
                result.add("observations", obs)
                result.add("populations", pd.DataFrame({"cog": int(year), "code": part["CODGEO"].to_numpy(),
                                                        "population": nums.loc[idx, "POP"].to_numpy()}))
                n += len(obs)
            result.file(path, len(df), None, n)
        elif name.startswith("passage_cog"):
            df = read_csv_text(path, sep=",")
            require_columns(df, path, ["year_from", "year_to", "code_from", "code_to", "annee", "typemodif", "ratio"])
            validate_codes(df, path, "code_from", "commune")
            validate_codes(df, path, "code_to", "commune")
            nums = parse_numbers(df, path, ["year_from", "year_to", "ratio"])
            result.add("passages_cog", pd.DataFrame({
                "annee_depart": nums["year_from"].astype(int), "annee_arrivee": nums["year_to"].astype(int),
                "code_depart": df["code_from"], "code_arrivee": df["code_to"], "date_effet": df["annee"],
                "type_modif": df["typemodif"], "ratio": nums["ratio"],
            }))
            result.file(path, len(df), None, 0)
    return result


def read_etalab(source: Source, path_of: PathOf) -> IngestResult:
    """Etalab 'découpage administratif' 2026: communes, EPCI membership, départements, régions."""
    result = IngestResult()
    year = 2026
    for f in source.fichiers:
        path = path_of(source.id, f.chemin)
        name = f.chemin.split("/")[-1]
        if name.startswith("communes_"):
            df = read_csv_text(path, sep=",")
            require_columns(df, path, ["code", "nom", "type", "departement", "region"])
            rejets = Rejets()
            keep = df["type"] == "commune-actuelle"
            rejets.add("communes déléguées, associées et arrondissements", int((~keep).sum()))
            com = df[keep]
            validate_codes(com, path, "code", "commune")
            result.add("territoires", territories(com["code"], com["nom"], "commune", year))
            result.add("appartenances", memberships(com["code"], "commune", com["departement"], "departement", year))
            result.file(path, len(df), rejets, 0)
        elif name.startswith("epci_membres"):
            rejets = Rejets()
            df = read_csv_text(path, sep=",")
            require_columns(df, path, ["epci_code", "epci_nom", "commune_code"])
            validate_codes(df, path, "commune_code", "commune")
            validate_codes(df, path, "epci_code", "epci")
            epci = df[["epci_code", "epci_nom"]].drop_duplicates("epci_code")
            result.add("territoires", territories(epci["epci_code"], epci["epci_nom"], "epci", year))
            result.add("appartenances", memberships(df["commune_code"], "commune", df["epci_code"], "epci", year))
            result.file(path, len(df), rejets, 0)
        elif name.endswith(".json"):
            with open(path, encoding="utf-8") as fh:
                rows = pd.DataFrame(json.load(fh)).astype({"code": str})
            if name.startswith("departements"):
                result.add("territoires", territories(rows["code"], rows["nom"], "departement", year))
                result.add("appartenances", memberships(rows["code"], "departement", rows["region"].astype(str), "region", year))
            else:
                result.add("territoires", territories(rows["code"], rows["nom"], "region", year))
            result.file(path, len(rows), None, 0)
    result.add("territoires", pd.DataFrame([{"niveau": "france", "code": "FRM", "libelle": "France métropolitaine", "cog": year}]))
    return result


def read_iris_reference(source: Source, path_of: PathOf) -> IngestResult:
    """IRIS table on 1 January 2021 and commune -> EPCI 2020."""
    result = IngestResult()
    for f in source.fichiers:
        path = path_of(source.id, f.chemin)
        name = f.chemin.split("/")[-1]
        if name.startswith("iris_"):
            df = read_validated(path, sep=";", code_column="CODE_IRIS", niveau="iris", numeric=[],
                                keep=["LIB_IRIS", "TYP_IRIS", "DEPCOM"])
            validate_codes(df, path, "DEPCOM", "commune")
            result.add("territoires", territories(df["CODE_IRIS"], df["LIB_IRIS"], "iris", 2021))
            result.add("appartenances", memberships(df["CODE_IRIS"], "iris", df["DEPCOM"], "commune", 2021))
            result.add("iris_types", pd.DataFrame({"cog": 2021, "code": df["CODE_IRIS"], "type_iris": df["TYP_IRIS"]}))
            result.file(path, len(df), None, 0)
        elif name.startswith("EPCI_"):
            df = read_validated(path, sep=";", code_column="CODGEO", niveau="commune", numeric=[],
                                keep=["LIBGEO", "EPCI", "LIBEPCI", "DEP", "REG"])
            result.add("territoires", territories(df["CODGEO"], df["LIBGEO"], "commune", 2020))
            result.add("appartenances", memberships(df["CODGEO"], "commune", df["EPCI"], "epci", 2020))
            result.add("appartenances", memberships(df["CODGEO"], "commune", df["DEP"], "departement", 2020))
            epci = df[df["EPCI"].str.fullmatch(r"\d{9}")][["EPCI", "LIBEPCI"]].drop_duplicates("EPCI")
            result.add("territoires", territories(epci["EPCI"], epci["LIBEPCI"], "epci", 2020))
            deps = df[["DEP", "REG"]].drop_duplicates()
            result.add("appartenances", memberships(deps["DEP"], "departement", deps["REG"], "region", 2020))
            result.file(path, len(df), None, 0)
    return result

"""Readers of IRIS-level files: census 2016 (RP), BPE 2019 and CAF recipients.

These producers publish at IRIS level; commune figures are built later, in
indicateurs.derive, only where a commune's IRIS are all present.
"""

from __future__ import annotations

import re

import pandas as pd

from osq_utils.catalogues.sources import Source
from osq_utils.ingest.base import IngestResult, PathOf, observations, rate
from osq_utils.ingest.tabular import (
    Rejets,
    parse_numbers,
    read_csv_text,
    read_validated,
    require_columns,
    validate_codes,
    validate_unique,
)

# indicator -> (numerator columns, denominator columns), census 2016 by IRIS.
POP_AGES = ["P16_POP0014", "P16_POP1529", "P16_POP3044", "P16_POP4559", "P16_POP6074", "P16_POP75P"]
CS15 = [f"C16_POP15P_CS{i}" for i in range(1, 9)]
PMEN = ["C16_PMEN_MENSFAM", "C16_PMEN_MENHSEUL", "C16_PMEN_MENFSEUL", "C16_PMEN_MENCOUPSENF", "C16_PMEN_MENCOUPAENF", "C16_PMEN_MENFAMMONO"]
RP_FILES = {
    "IRIS_population_IR_Hab.csv": {
        "part_0_14": (["P16_POP0014"], POP_AGES),
        "part_15_29": (["P16_POP1529"], POP_AGES),
        "part_60_plus": (["P16_POP6074", "P16_POP75P"], POP_AGES),
        "part_75_plus": (["P16_POP75P"], POP_AGES),
        "part_cadres": (["C16_POP15P_CS3"], CS15),
        "part_ouvriers": (["C16_POP15P_CS6"], CS15),
        "part_retraites": (["C16_POP15P_CS7"], CS15),
    },
    "IRIS_household_IR_Hab.csv": {
        "part_familles_monoparentales": (["C16_PMEN_MENFAMMONO"], PMEN),
        "part_personnes_seules": (["C16_PMEN_MENHSEUL", "C16_PMEN_MENFSEUL"], PMEN),
    },
    "IRIS_housing_IR_Hab.csv": {
        "part_logements_hlm": (["P16_RP_LOCHLMV"], ["P16_RPMAISON", "P16_RPAPPART"]),
        "part_appartements": (["P16_RPAPPART"], ["P16_RPMAISON", "P16_RPAPPART"]),
    },
}


def _sum(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    # min_count: a blank part makes the sum missing, never a partial total.
    return df[cols].sum(axis=1, min_count=len(cols)).where(df[cols].notna().all(axis=1))


def read_rp_iris(source: Source, path_of: PathOf) -> IngestResult:
    result = IngestResult()
    for f in source.fichiers:
        name = f.chemin.split("/")[-1]
        path = path_of(source.id, f.chemin)
        if name not in RP_FILES:
            if name.endswith(".xlsx"):
                sheets = pd.read_excel(path, sheet_name=None, dtype=str)
                result.file(path, sum(len(s) for s in sheets.values()), None, 0)
            continue
        spec = RP_FILES[name]
        cols = sorted({c for num, den in spec.values() for c in num + den})
        rejets = Rejets()
        df = read_validated(path, sep=",", code_column="IRIS", niveau="iris", numeric=cols, rejets=rejets)
        n = 0
        for ind, (num_cols, den_cols) in spec.items():
            num, den = _sum(df, num_cols), _sum(df, den_cols)
            obs = observations(df["IRIS"], niveau="iris", indicateur=ind, annee=2016, valeur=rate(num, den),
                               numerateur=num, denominateur=den, cog=2016)
            result.add("observations", obs)
            n += len(obs)
        result.file(path, len(df) + rejets.total, rejets, n)
    return result


BPE_TYPES = {"medecins_generalistes": "D201", "pharmacies": "D301"}


def read_bpe(source: Source, path_of: PathOf) -> IngestResult:
    """BPE 2019 by IRIS: counts per facility type, at IRIS and commune level."""
    result = IngestResult()
    for f in source.fichiers:
        path = path_of(source.id, f.chemin)
        df = read_csv_text(path, sep=",")
        require_columns(df, path, ["DEPCOM", "DCIRIS", "TYPEQU", "NB_EQUIP", "AN"])
        validate_codes(df, path, "DEPCOM", "commune")
        validate_unique(df, path, ["DCIRIS", "TYPEQU"])
        nums = parse_numbers(df, path, ["NB_EQUIP", "AN"])
        df = pd.concat([df[["DEPCOM", "DCIRIS", "TYPEQU"]], nums], axis=1)
        # BPE writes IRIS codes as '62765_0101'; commune-only rows carry the commune code.
        df["DCIRIS"] = df["DCIRIS"].str.replace("_", "", regex=False)
        year = int(df["AN"].mode().iloc[0])
        communes = pd.Index(sorted(df["DEPCOM"].unique()))
        iris_rows = df[df["DCIRIS"].str.len() == 9]
        iris_codes = pd.Index(sorted(iris_rows["DCIRIS"].unique()))
        n = 0
        for ind, typequ in BPE_TYPES.items():
            sel = df[df["TYPEQU"] == typequ]
            # A commune or IRIS without the facility has 0 of it: BPE lists every facility.
            by_com = sel.groupby("DEPCOM")["NB_EQUIP"].sum().reindex(communes, fill_value=0)
            by_iris = sel[sel["DCIRIS"].str.len() == 9].groupby("DCIRIS")["NB_EQUIP"].sum().reindex(iris_codes, fill_value=0)
            for niveau, series in (("commune", by_com), ("iris", by_iris)):
                obs = observations(pd.Series(series.index, index=series.index), niveau=niveau, indicateur=ind,
                                   annee=year, valeur=series, numerateur=series, cog=year)
                result.add("observations", obs)
                n += len(obs)
        result.file(path, len(df), None, n)
    return result


CAF_COUNTS = {
    "allocataires_caf": ["A"],
    "personnes_couvertes_caf": ["PERCOU"],
    "allocataires_rsa": ["ARSAS"],
    "allocataires_aah": ["AAAH"],
    "allocataires_aide_logement": ["AAL", "AAPL"],
}


def read_caf_iris(source: Source, path_of: PathOf) -> IngestResult:
    result = IngestResult()
    for f in source.fichiers:
        path = path_of(source.id, f.chemin)
        match = re.search(r"(20\d\d)", f.chemin)
        if not match:
            raise ValueError(f"année introuvable dans le nom de fichier {f.chemin}")
        year = int(match.group(1))
        header = read_csv_text(path, sep=";").columns
        cols = sorted({c for v in CAF_COUNTS.values() for c in v} | ({"APRES50"} & set(header)))
        rejets = Rejets()
        df = read_validated(path, sep=";", code_column="CODGEO", niveau="iris", numeric=cols, rejets=rejets)
        n = 0
        for ind, parts in CAF_COUNTS.items():
            value = _sum(df, parts)
            obs = observations(df["CODGEO"], niveau="iris", indicateur=ind, annee=year, valeur=value, numerateur=value, cog=year)
            result.add("observations", obs)
            n += len(obs)
        if "APRES50" in df:
            obs = observations(df["CODGEO"], niveau="iris", indicateur="part_allocataires_dependants_50", annee=year,
                               valeur=rate(df["APRES50"], df["A"]), numerateur=df["APRES50"], denominateur=df["A"], cog=year)
            result.add("observations", obs)
            n += len(obs)
        result.file(path, len(df) + rejets.total, rejets, n)
    return result

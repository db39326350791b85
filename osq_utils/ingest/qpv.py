"""Readers of QPV figures: INSEE/ANCT tables (2015 geography) and the Occitanie file.

Two producer layouts, one reader each. QPV figures come from producers at
QPV level, never from summing IRIS.
"""

from __future__ import annotations

import re

import pandas as pd

from osq_utils.catalogues.sources import Source
from osq_utils.ingest.base import IngestResult, PathOf, observations
from osq_utils.ingest.tabular import (
    Rejets,
    parse_numbers,
    read_csv_text,
    require_columns,
    validate_codes,
    validate_unique,
)

TOTAL_ROW = {"Ensemble": "ligne de total « Ensemble des QPV »"}
# Filosofi by QPV: indicator -> lower-case column stem ('_aYY' appended).
FILO_QP = {
    "taux_pauvrete": ["tp60", "disp_tp60"],
    "revenu_median": ["disp_q2", "disp_med"],
    "decile_1": ["disp_d1"],
    "decile_9": ["disp_d9"],
    "gini": ["disp_gini"],
    "part_prestations_sociales": ["disp_ppsoc"],
}
IPRO = {"demandeurs_emploi_abc": "ABC", "taux_emploi": "TX_TOT_EMPL"}
TEXT_COLUMNS = {"codgeo", "libgeo", "lib_com", "nom_qp", "nom_commune"}


def _year_of(name: str) -> int:
    """'IPRO_2017.csv' -> 2017 (publication vintage); 'data_filo16_qp_revdis.csv' -> 2016 (reference year)."""
    match = re.search(r"(20\d\d)", name) or re.search(r"filo(\d\d)", name)
    if not match:
        raise ValueError(f"année introuvable dans le nom de fichier {name}")
    return int(match.group(1)) if len(match.group(1)) == 4 else 2000 + int(match.group(1))


def _read_anct(path, rejets: Rejets) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read an ANCT/INSEE QPV table; return codes and every numeric column parsed."""
    df = read_csv_text(path, sep=";")
    code_col = next(c for c in df.columns if c.lower() == "codgeo")
    df[code_col] = df[code_col].str.strip()
    total = df[code_col].isin(list(TOTAL_ROW))
    rejets.add(TOTAL_ROW["Ensemble"], int(total.sum()))
    df = df[~total].rename(columns={code_col: "CODGEO"})
    validate_codes(df, path, "CODGEO", "qpv")
    validate_unique(df, path, ["CODGEO"])
    numeric = [c for c in df.columns if c.lower() not in TEXT_COLUMNS and not c.upper().startswith("NOTE")]
    nums = parse_numbers(df, path, numeric)
    nums.columns = [c.strip() for c in nums.columns]
    return df, nums


def read_qpv_anct(source: Source, path_of: PathOf) -> IngestResult:
    result = IngestResult()
    for f in source.fichiers:
        path = path_of(source.id, f.chemin)
        year = _year_of(f.chemin.split("/")[-1])
        rejets = Rejets()
        df, nums = _read_anct(path, rejets)
        n = 0
        if f.chemin.startswith("filosofi/"):
            lower = {c.lower(): c for c in nums.columns}
            for ind, stems in FILO_QP.items():
                col = next((lower[f"{s}_a{year % 100:02d}"] for s in stems if f"{s}_a{year % 100:02d}" in lower), None)
                if col is None:
                    continue
                obs = observations(df["CODGEO"], niveau="qpv", indicateur=ind, annee=year, valeur=nums[col], cog=2015)
                result.add("observations", obs)
                n += len(obs)
        elif f.chemin.startswith("insertion-pro/"):
            for ind, col in IPRO.items():
                if col in nums:
                    value = nums[col]
                    obs = observations(df["CODGEO"], niveau="qpv", indicateur=ind, annee=year, valeur=value,
                                       numerateur=value if ind == "demandeurs_emploi_abc" else None, cog=2015)
                    result.add("observations", obs)
                    n += len(obs)
        result.file(path, len(df) + rejets.total, rejets, n)
    return result


def read_qpv_occitanie(source: Source, path_of: PathOf) -> IngestResult:
    """Hackaviz 2021 QPV file: Filosofi 2017 income (publication 2019), employment published 2020."""
    result = IngestResult()
    for f in source.fichiers:
        path = path_of(source.id, f.chemin)
        if f.chemin == "qp.csv":
            df = read_csv_text(path, sep=",")
            require_columns(df, path, ["code_qp", "tp60", "disp_q2", "tx_tot_empl"])
            validate_codes(df, path, "code_qp", "qpv")
            validate_unique(df, path, ["code_qp"])
            nums = parse_numbers(df, path, ["tp60", "disp_q2", "disp_d1", "disp_d9", "tx_tot_empl"])
            frames = [
                observations(df["code_qp"], niveau="qpv", indicateur="taux_pauvrete", annee=2017, valeur=nums["tp60"], cog=2015),
                observations(df["code_qp"], niveau="qpv", indicateur="revenu_median", annee=2017, valeur=nums["disp_q2"], cog=2015),
                observations(df["code_qp"], niveau="qpv", indicateur="taux_emploi", annee=2020, valeur=nums["tx_tot_empl"], cog=2015),
            ]
            for frame in frames:
                result.add("observations", frame)
            result.file(path, len(df), None, sum(len(x) for x in frames))
        elif f.chemin.endswith(".csv"):
            df = read_csv_text(path, sep=",")
            result.file(path, len(df), None, 0)
        else:
            result.file(path, 1, None, 0)
    return result

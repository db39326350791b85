"""Reader of the ANCT Observatoire des territoires' share of young people neither in work nor in education.

The observatory publishes the rate itself (from the census), without its numerator or denominator, at commune,
EPCI, département and région level: each level is read from its own file, never re-aggregated (the glossary
entry says `agregeable: false`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from osq_utils.catalogues.sources import Source
from osq_utils.ingest.base import IngestResult, PathOf, decimales_of, observations
from osq_utils.ingest.tabular import parse_numbers, read_csv_text, require_columns, validate_codes, validate_unique

NEET_FILES = {
    "neet_communes_2018.csv": "commune",
    "neet_epci_2018.csv": "epci",
    "neet_dpt_2018.csv": "departement",
    "neet_region_2018.csv": "region",
}
INDICATEUR = "part_jeunes_non_inseres"
COLUMNS = ["codgeo", "an", "part_non_inseres"]
COG_NEET = 2021  # commune and EPCI codes of the files are those of the COG 2021 (checked on the mirror)


def significant_decimals(values: pd.Series, published: int | None) -> int | None:
    """The precision of a column whose cells are padded with trailing zeros ('21,50' for 21.5).

    The fewest decimals that write every value exactly, at most the published count of digits.
    """
    values = values.dropna().to_numpy()
    if published is None or values.size == 0:
        return published
    for d in range(published + 1):
        scaled = values * 10**d
        if np.allclose(scaled, np.round(scaled), rtol=0, atol=1e-6):
            return d
    return published


def read_neet(source: Source, path_of: PathOf) -> IngestResult:
    result = IngestResult()
    for f in source.fichiers:
        name = f.chemin.split("/")[-1]
        if name not in NEET_FILES:
            continue
        niveau = NEET_FILES[name]
        path = path_of(source.id, f.chemin)
        df = read_csv_text(path, sep=";")
        require_columns(df, path, COLUMNS)
        validate_codes(df, path, "codgeo", niveau)
        validate_unique(df, path, ["codgeo", "an"])
        nums = parse_numbers(df, path, ["an", "part_non_inseres"])
        # The observatory writes its one-decimal rates with two digits ('21,50'): keep the precision it rounds to.
        decimales = significant_decimals(nums["part_non_inseres"], decimales_of(nums, "part_non_inseres"))
        n = 0
        for annee, rows in nums.groupby("an"):
            obs = observations(df.loc[rows.index, "codgeo"], niveau=niveau, indicateur=INDICATEUR, annee=int(annee),
                               valeur=rows["part_non_inseres"], cog=COG_NEET, decimales=decimales)
            result.add("observations", obs)
            n += len(obs)
        result.file(path, len(df), None, n)
    return result

"""Readers of IRIS-level files: census 2016 (RP), BPE 2019 (France entière) and CAF recipients.

These producers publish at IRIS level; commune figures are built later, in
indicateurs.derive, only where a commune's IRIS are all present.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from osq_utils.catalogues.sources import Source
from osq_utils.errors import OsqError
from osq_utils.ingest.arrondissements import is_arm, plm_totals
from osq_utils.ingest.base import IngestResult, PathOf, decimales_of, observations, rate
from osq_utils.ingest.tabular import (
    Rejets,
    line_of,
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
        remarques: dict[str, int] = {}
        for ind, (num_cols, den_cols) in spec.items():
            num, den = _sum(df, num_cols), _sum(df, den_cols)
            # HLM dwellings also count lodgings other than houses and flats (foyers…): where they outnumber the
            # denominator the share cannot be computed, and is not available rather than above 100 %.
            over = num > den
            if over.any():
                remarques[f"{ind} : numérateur au-delà du dénominateur, part non calculée"] = int(over.sum())
            obs = observations(df["IRIS"], niveau="iris", indicateur=ind, annee=2016,
                               valeur=rate(num, den).where(~over), numerateur=num, denominateur=den, cog=2016,
                               absent=over.to_numpy())
            result.add("observations", obs)
            n += len(obs)
        result.file(path, len(df) + rejets.total, rejets, n, remarques)
    return result


# Indicator -> its TYPEQU codes in INSEE's BPE 2019 nomenclature (domain D, « santé et action sociale »);
# labels as in the nomenclature, see each indicator's definition in data/glossaire.yml.
BPE_TYPES: dict[str, tuple[str, ...]] = {
    "medecins_generalistes": ("D201",),  # médecin omnipraticien
    "chirurgiens_dentistes": ("D221",),
    "sages_femmes": ("D231",),
    "infirmiers": ("D232",),
    "masseurs_kinesitherapeutes": ("D233",),
    "orthophonistes": ("D235",),
    "pharmacies": ("D301",),
    "hebergement_personnes_agees": ("D401",),
    "services_personnes_agees": ("D402", "D403"),  # soins à domicile, services d'aide
    "accueil_jeune_enfant": ("D502",),  # établissement d'accueil du jeune enfant
    "equipements_handicap": ("D601", "D602", "D603", "D604", "D605", "D606"),  # enfants et adultes handicapés
    "hebergement_insertion": ("D703", "D704", "D705", "D709"),  # CHRS, CPH, CADA, autres (adultes, familles)
}
BPE_COLUMNS = ["DEPCOM", "DCIRIS", "AN", "TYPEQU", "NB_EQUIP"]


def _check_bpe(df: pd.DataFrame, path) -> None:
    """Facility types and IRIS codes as the BPE writes them: 'D201', and '62765_0101' or the commune code."""
    bad_type = ~df["TYPEQU"].str.fullmatch(r"[A-G]\d{3}")
    iris_ok = df["DCIRIS"].str.fullmatch(r".{5}_\d{4}") & (df["DCIRIS"].str[:5] == df["DEPCOM"])
    bad_iris = ~(iris_ok | (df["DCIRIS"] == df["DEPCOM"]))
    for bad, column, message, fix in (
        (bad_type, "TYPEQU", "type d'équipement « {} » invalide", "un type d'équipement s'écrit « D201 » (lettre et 3 chiffres)."),
        (bad_iris, "DCIRIS", "IRIS « {} » invalide ou d'une autre commune",
         "DCIRIS vaut le code de la commune suivi de « _ » et de 4 chiffres, ou le code de la commune."),
    ):
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise OsqError(message.format(df[column].iloc[pos]), fichier=path, ligne=line_of(df, pos), colonne=column,
                           correction=fix + " Reprenez le fichier d'origine du producteur.")


def _whole_numbers(df: pd.DataFrame, path, columns: list[str]) -> pd.DataFrame:
    """parse_numbers for columns of plain whole numbers, fast on a million rows; any other cell goes through
    parse_numbers, which parses French numbers or reports the first bad cell."""
    cells = df[columns]
    if not all(cells[c].str.fullmatch(r"\d+").all() for c in columns):
        return parse_numbers(df, path, columns)
    out = cells.astype("int64").astype("float64")
    out.attrs["decimales"] = dict.fromkeys(columns, 0)
    return out


def _counts(sel: pd.DataFrame, key: str, codes, inds: list[str]) -> pd.DataFrame:
    """Facilities by territory (rows: every code of the file at that level, 0 where none) and indicator."""
    counts = sel.groupby([key, "indicateur"])["NB_EQUIP"].sum().unstack(fill_value=0)
    counts = counts.reindex(index=pd.Index(sorted(codes), name="code"), columns=inds, fill_value=0)
    return counts.rename_axis(columns=None).reset_index()


def read_bpe(source: Source, path_of: PathOf) -> IngestResult:
    """BPE 2019 by IRIS, France entière: counts per facility type at IRIS, commune and arrondissement level.

    A commune or IRIS of the file without a facility type has 0 of it (the BPE lists every facility); a
    commune absent from the file has no facility at all, and no row is written for it (the catalogue
    declares the source exhaustive). Paris, Lyon and Marseille are in the file by arrondissement: stored
    at level arm, and the commune as their sum.
    """
    result = IngestResult()
    code_to_ind = {t: ind for ind, types in BPE_TYPES.items() for t in types}
    inds = list(BPE_TYPES)
    for f in source.fichiers:
        if not f.chemin.endswith((".csv", ".csv.gz")):
            continue  # the mirror's PROVENANCE.md
        path = path_of(source.id, f.chemin)
        df = read_csv_text(path, sep=",")
        require_columns(df, path, BPE_COLUMNS)
        validate_codes(df, path, "DEPCOM", "commune")
        _check_bpe(df, path)
        validate_unique(df, path, ["DCIRIS", "TYPEQU"])
        nums = _whole_numbers(df, path, ["NB_EQUIP", "AN"])
        years = nums["AN"].dropna().unique()
        if len(years) != 1:
            raise OsqError(f"plusieurs années dans le fichier ({', '.join(str(int(y)) for y in sorted(years))})",
                           fichier=path, colonne="AN", correction="un fichier de la BPE porte une seule année : "
                           "reprenez le fichier d'origine du producteur.")
        year = int(years[0])
        decimales = decimales_of(nums, "NB_EQUIP")
        df = pd.concat([df[["DEPCOM", "DCIRIS", "TYPEQU"]], nums["NB_EQUIP"]], axis=1)
        df["DCIRIS"] = df["DCIRIS"].str.replace("_", "", regex=False)  # '62765_0101' -> IRIS '627650101'
        sel = df[df["TYPEQU"].isin(list(code_to_ind))].assign(indicateur=lambda d: d["TYPEQU"].map(code_to_ind))
        communes = _counts(sel, "DEPCOM", df["DEPCOM"].unique(), inds)
        arm = is_arm(communes["code"])
        levels = {
            "commune": pd.concat([communes[~arm], plm_totals(communes, "code", inds)], ignore_index=True),
            "arm": communes[arm],
            "iris": _counts(sel, "DCIRIS", df.loc[df["DCIRIS"].str.len() == 9, "DCIRIS"].unique(), inds),
        }
        n = 0
        for niveau, counts in levels.items():
            for ind in inds:
                obs = observations(counts["code"], niveau=niveau, indicateur=ind, annee=year, valeur=counts[ind],
                                   numerateur=counts[ind], cog=year, decimales=decimales)
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

"""Reader of the SSMSI bases of crimes and offences recorded by the police and the gendarmerie (département and
région bases, Ministère de l'Intérieur).

One row per indicator (`classe`), year and territory: the number of facts and the rate per 1,000 inhabitants,
or per 1,000 dwellings for burglaries (`tauxpourmille` = faits / POP or LOG × 1,000). The rows coded "NA"
(facts not attributed to a territory) are rejected and counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from osq_utils.catalogues.sources import Source
from osq_utils.errors import OsqError
from osq_utils.ingest.base import IngestResult, PathOf, decimales_of, observations
from osq_utils.ingest.tabular import (
    Rejets,
    line_of,
    parse_numbers,
    read_csv_text,
    require_columns,
    validate_codes,
    validate_unique,
)

# The producer's label of an indicator -> (OSQ code of the count, denominator column of its rate, unit of count
# as the glossary states it).
CLASSES = {
    "Cambriolages de logement": ("cambriolages_logement", "LOG", "infraction"),
    "Coups et blessures volontaires": ("coups_blessures_volontaires", "POP", "victime"),
    "Violences sexuelles": ("violences_sexuelles", "POP", "victime"),
    "Vols sans violence contre des personnes": ("vols_sans_violence_personnes", "POP", "victime entendue"),
    "Vols de véhicules": ("vols_vehicules", "POP", "véhicule"),
    "Destructions et dégradations volontaires": ("destructions_degradations", "POP", "infraction"),
    "Escroqueries": ("escroqueries", "POP", "victime"),
    "Usage de stupéfiants": ("usage_stupefiants", "POP", "Mis en cause"),
}
FILES = {"donnee-dep-2023.csv": ("Code.département", "departement"), "donnee-reg-2023.csv": ("Code.région", "region")}
NON_ATTRIBUE = "NA"
NUMBERS = ["faits", "POP", "LOG", "tauxpourmille"]
COG_SSMSI = 2023  # the edition's geography


def taux_code(code: str) -> str:
    return f"taux_{code}"


def read_ssmsi(source: Source, path_of: PathOf) -> IngestResult:
    result = IngestResult()
    for f in source.fichiers:
        name = f.chemin.split("/")[-1]
        if name not in FILES:
            continue
        code_col, niveau = FILES[name]
        path = path_of(source.id, f.chemin)
        df = read_csv_text(path, sep=";")
        require_columns(df, path, ["classe", "annee", code_col, "unité.de.compte", *NUMBERS])
        missing = sorted(set(CLASSES) - set(df["classe"]))
        if missing:
            raise OsqError(f"indicateur « {missing[0]} » absent de la colonne « classe »", fichier=path, colonne="classe",
                           correction="reprenez le fichier d'origine du SSMSI (16 indicateurs, libellés inchangés).")
        rejets = Rejets()
        lues = len(df)
        na = df[code_col] == NON_ATTRIBUE
        rejets.add("faits non attribués à un territoire (code « NA »)", int(na.sum()))
        df = df[~na]
        validate_codes(df, path, code_col, niveau)
        validate_unique(df, path, ["classe", "annee", code_col])
        bad_year = ~df["annee"].str.fullmatch(r"\d\d")
        if bad_year.any():
            pos = int(np.flatnonzero(bad_year.to_numpy())[0])
            raise OsqError(f"année « {df['annee'].iloc[pos]} » invalide", fichier=path, ligne=line_of(df, pos),
                           colonne="annee", correction="le SSMSI écrit l'année sur deux chiffres (« 23 » pour 2023).")
        kept = df["classe"].isin(list(CLASSES))
        rejets.add("indicateur non retenu par OSQ", int((~kept).sum()))
        df = df[kept]
        nums = parse_numbers(df, path, NUMBERS)
        n = 0
        for classe, rows in df.groupby("classe"):
            code, den_col, unite = CLASSES[str(classe)]
            units = set(rows["unité.de.compte"])
            if units != {unite}:
                raise OsqError(f"unité de compte « {', '.join(sorted(units))} » pour « {classe} » (attendue : « {unite} »)",
                               fichier=path, colonne="unité.de.compte",
                               correction="le glossaire décrit cet indicateur dans l'unité du SSMSI : si le producteur "
                               "l'a changée, mettez à jour la fiche du glossaire et ce lecteur.")
            part = nums.loc[rows.index]
            _check_rate(df.loc[rows.index], part, den_col, path)
            for annee, idx in rows.groupby("annee").groups.items():
                codes, v = df.loc[idx, code_col], part.loc[idx]
                year = 2000 + int(str(annee))
                # The file carries the unrounded quotient (binary float digits), not a rounded publication:
                # the rate is shown with the glossary's decimals.
                for obs in (
                    observations(codes, niveau=niveau, indicateur=code, annee=year, valeur=v["faits"],
                                 numerateur=v["faits"], cog=COG_SSMSI, decimales=decimales_of(nums, "faits")),
                    observations(codes, niveau=niveau, indicateur=taux_code(code), annee=year, valeur=v["tauxpourmille"],
                                 numerateur=v["faits"], denominateur=v[den_col], cog=COG_SSMSI),
                ):
                    result.add("observations", obs)
                    n += len(obs)
        result.file(path, lues, rejets, n)
    return result


def _check_rate(rows: pd.DataFrame, nums: pd.DataFrame, den_col: str, path) -> None:
    """tauxpourmille must be faits / den_col × 1,000: else the columns are not what this reader expects."""
    expected = nums["faits"] / nums[den_col] * 1000
    bad = ~np.isclose(nums["tauxpourmille"], expected, rtol=1e-6, atol=1e-9)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise OsqError(
            f"taux pour mille {nums['tauxpourmille'].iloc[pos]} différent de faits / {den_col} × 1 000 "
            f"({expected.iloc[pos]:.4f}) pour « {rows['classe'].iloc[pos]} »",
            fichier=path, ligne=line_of(rows, pos), colonne="tauxpourmille",
            correction="reprenez le fichier d'origine du SSMSI : ses colonnes ne sont pas celles attendues.")

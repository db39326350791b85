"""Reader of the Ministry of Education's social position index (IPS) of écoles and collèges (DEPP open data).

The producer publishes one IPS per school. OSQ stores, by commune, the number of schools with a published IPS
and their mean IPS, as a `moyenne` (numerator = sum of the IPS, denominator = number of schools): it
aggregates to EPCI and département as the mean of their schools, not weighted by pupils or population.
"""

from __future__ import annotations

import re

import pandas as pd

from osq_utils.catalogues.sources import Source
from osq_utils.errors import OsqError
from osq_utils.ingest.arrondissements import is_arm, plm_totals
from osq_utils.ingest.base import IngestResult, PathOf, observations
from osq_utils.ingest.garde import controler_colonne
from osq_utils.ingest.tabular import (
    Rejets,
    parse_numbers,
    read_csv_text,
    require_columns,
    validate_codes,
    validate_unique,
)

# File name -> (indicator of the mean IPS, indicator of the number of schools).
IPS_FILES = {
    "fr-en-ips_ecoles_2022.csv": ("ips_moyen_ecoles", "nb_ecoles_ips"),
    "fr-en-ips_colleges_2022.csv": ("ips_moyen_colleges", "nb_colleges_ips"),
}
RENTREE, COMMUNE, UAI, IPS = "Rentrée scolaire", "Code INSEE de la commune", "UAI", "IPS"
# Saint-Barthélemy and Saint-Martin are collectivités d'outre-mer, outside the COG of communes.
HORS_COG = r"97[78]\d\d"
COG_IPS = 2021  # the commune codes of the 2021-2022 files are those of the COG 2021 (checked on the mirror)


def read_ips(source: Source, path_of: PathOf) -> IngestResult:
    result = IngestResult()
    for f in source.fichiers:
        name = f.chemin.split("/")[-1]
        if name not in IPS_FILES:
            continue
        path = path_of(source.id, f.chemin)
        moyen, nombre = IPS_FILES[name]
        df = read_csv_text(path, sep=";")
        require_columns(df, path, [RENTREE, UAI, COMMUNE, IPS])
        rentrees = sorted(df[RENTREE].unique())
        if len(rentrees) != 1 or not re.fullmatch(r"(\d{4})-(\d{4})", rentrees[0]):
            raise OsqError(f"rentrées scolaires inattendues : {', '.join(rentrees)}", fichier=path, colonne=RENTREE,
                           correction="le lecteur attend une seule rentrée, écrite « 2021-2022 » : "
                           "filtrez le fichier du producteur sur une rentrée.")
        annee = int(rentrees[0][:4])
        validate_unique(df, path, [UAI])
        rejets = Rejets()
        outside = df[COMMUNE].str.fullmatch(HORS_COG)
        rejets.add("collectivité d'outre-mer hors du COG des communes (Saint-Barthélemy, Saint-Martin)", int(outside.sum()))
        blank = df[IPS].str.strip() == ""
        rejets.add("IPS non publié par le producteur", int((blank & ~outside).sum()))
        lues = len(df)
        df = df[~outside & ~blank]
        validate_codes(df, path, COMMUNE, "commune")
        ips = parse_numbers(df, path, [IPS])[IPS]
        controler_colonne(ips, moyen, path, df[UAI])  # before the average hides the school
        schools = pd.DataFrame({"code": df[COMMUNE].to_numpy(), "somme": ips.to_numpy(), "n": 1.0})
        by_code = schools.groupby("code", as_index=False)[["somme", "n"]].sum()
        arm = is_arm(by_code["code"])
        n = 0
        for niveau, part in (("commune", pd.concat([by_code[~arm], plm_totals(by_code, "code", ["somme", "n"])])),
                             ("arm", by_code[arm])):
            for obs in (
                observations(part["code"], niveau=niveau, indicateur=moyen, annee=annee, valeur=part["somme"] / part["n"],
                             numerateur=part["somme"], denominateur=part["n"], cog=COG_IPS),
                observations(part["code"], niveau=niveau, indicateur=nombre, annee=annee, valeur=part["n"],
                             numerateur=part["n"], cog=COG_IPS),
            ):
                result.add("observations", obs)
                n += len(obs)
        result.file(path, lues, rejets, n)
    return result

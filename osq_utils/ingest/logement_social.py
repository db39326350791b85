"""Reader of the social rental housing stock (SDES, RPLS) by commune on 1 January.

The file lists every commune holding social housing (a commune absent has none: the catalogue declares the
source exhaustive, and no zero is stored for it). The detail columns are blank (secret) under 11 dwellings;
`nb_ls` is always published. Paris, Lyon and Marseille are listed by arrondissement (DEPCOM_ARM): stored at
level arm, and the commune as their sum.
"""

from __future__ import annotations

import re

from osq_utils.catalogues.sources import Source
from osq_utils.errors import OsqError
from osq_utils.ingest.arrondissements import is_arm, plm_totals
from osq_utils.ingest.base import IngestResult, PathOf, decimales_of, observations, rate
from osq_utils.ingest.tabular import read_validated

CODE = "DEPCOM_ARM"
COUNTS = {"logements_sociaux": "nb_ls", "logements_sociaux_loues": "nb_loues", "logements_sociaux_vacants": "nb_vacants"}
TAUX_VACANCE = "taux_vacance_logements_sociaux"


def read_rpls(source: Source, path_of: PathOf) -> IngestResult:
    result = IngestResult()
    for f in source.fichiers:
        if not f.chemin.endswith(".csv"):
            continue  # the mirror's PROVENANCE.md
        path = path_of(source.id, f.chemin)
        match = re.search(r"_(20\d\d)\.csv$", f.chemin)
        if not match:
            raise OsqError("année du parc introuvable dans le nom du fichier", fichier=path,
                           correction="gardez le nom du fichier du miroir (…_jan_2024.csv : parc au 1er janvier 2024).")
        annee = int(match.group(1))  # stock on 1 January, in that year's COG (checked on the mirror for 2024)
        df = read_validated(path, sep=",", code_column=CODE, niveau="commune", numeric=list(COUNTS.values()))
        arm = is_arm(df[CODE])
        columns = list(COUNTS.values())
        n = 0
        for niveau, part, computed in (("commune", df[~arm], False), ("arm", df[arm], False),
                                       ("commune", plm_totals(df, CODE, columns), True)):
            for ind, col in COUNTS.items():
                decimales = None if computed else decimales_of(df, col)
                result.add("observations", observations(part[CODE], niveau=niveau, indicateur=ind, annee=annee,
                                                        valeur=part[col], numerateur=part[col], cog=annee,
                                                        decimales=decimales))
            # Vacancy among the dwellings offered for rent (let or vacant), as the SDES defines it.
            offered = part["nb_loues"] + part["nb_vacants"]
            vacance = observations(part[CODE], niveau=niveau, indicateur=TAUX_VACANCE, annee=annee,
                                   valeur=rate(part["nb_vacants"], offered), numerateur=part["nb_vacants"],
                                   denominateur=offered, cog=annee)
            vacance.loc[(offered == 0).to_numpy(), "statut"] = "absent"  # nothing offered for rent: no rate, no secret
            result.add("observations", vacance)
            n += len(part) * (len(COUNTS) + 1)
        result.file(path, len(df), None, n)
    return result

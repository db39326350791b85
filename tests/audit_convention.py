"""A partner convention stricter than the open-data rules, for the audit's tests: AAH recipients (allocation aux
adultes handicapés, a health-related benefit) are not published under 250, at every level.

The CAPSO store holds AAH counts for the IRIS of Longuenesse and Saint-Omer (CNAF, data_CAF_20xx_IRIS.csv), their
communes (sums of the IRIS, osq-calculs) and the quartiers prioritaires (ANCT, tableaux REVN/DEMO): this threshold
masks figures at the three levels (Longuenesse 185-218 from 2016 to 2020, every IRIS, QP062037 55-83).
"""

from __future__ import annotations

from pathlib import Path

SEUIL_AAH = 250
REGLE_AAH = f"""  - id: convention_aah_moins_de_{SEUIL_AAH}
    indicateurs: [allocataires_aah]
    variable: valeur
    seuils: {{public: {SEUIL_AAH}, partenaires: {SEUIL_AAH}}}
    description: Convention d'essai plus stricte que l'open data, allocataires de l'AAH de moins de {SEUIL_AAH} non diffusés.
"""
# The sources of the AAH counts: CNAF by IRIS (and the communes OSQ sums from them), ANCT by quartier.
SOURCES_AAH = ("cnaf-caf-iris-2016-2020", "insee-anct-qpv-2015")


def durcir_aah(donnees: Path) -> None:
    """Add the stricter AAH rule to the secret rules of a copy of the data folder."""
    for source in SOURCES_AAH:
        path = donnees / "secret" / f"{source}.yml"
        path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n" + REGLE_AAH, encoding="utf-8")

"""Ingestion: one reader per producer format, writes one source per transaction."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from osq_utils import store
from osq_utils.catalogues.glossaire import load_glossaire
from osq_utils.catalogues.sources import Source, load_catalogue
from osq_utils.catalogues.sources import source as source_du_catalogue
from osq_utils.errors import OsqError
from osq_utils.ingest import (
    comparateur,
    contours,
    delinquance,
    education,
    filosofi,
    garde,
    iris_data,
    jeunesse,
    logement_social,
    qpv,
    referentiels,
)
from osq_utils.ingest.base import IngestResult, PathOf
from osq_utils.sources import source_file

Reader = Callable[[Source, PathOf], IngestResult]

READERS: dict[str, Reader] = {
    "filosofi_disp": filosofi.read_filosofi_disp,
    "filosofi_doremifasol": filosofi.read_filosofi_doremifasol,
    "filosofi_pauvrete_2018": filosofi.read_filosofi_pauvrete_2018,
    "filosofi_communes": filosofi.read_filosofi_communes,
    "filosofi_supra": filosofi.read_filosofi_supra,
    "comparateur_territoires": comparateur.read_comparateur,
    "rp_iris": iris_data.read_rp_iris,
    "bpe": iris_data.read_bpe,
    "caf_iris": iris_data.read_caf_iris,
    "cog": referentiels.read_cog,
    "cogugaison": referentiels.read_cogugaison,
    "etalab_decoupage": referentiels.read_etalab,
    "iris_reference": referentiels.read_iris_reference,
    "tagc": referentiels.read_tagc,
    "contours_communes": contours.read_contours_communes,
    "contours_communes_france": contours.read_contours_communes_france,
    "contours_iris": contours.read_contours_iris,
    "contours_qpv": contours.read_contours_qpv,
    "qpv_2024": contours.read_qpv_2024,
    "qpv_anct": qpv.read_qpv_anct,
    "qpv_occitanie": qpv.read_qpv_occitanie,
    "ips_ecoles_colleges": education.read_ips,
    "jeunes_non_inseres": jeunesse.read_neet,
    "delinquance_ssmsi": delinquance.read_ssmsi,
    "rpls_communes": logement_social.read_rpls,
}

# Territories first: later steps (derived figures) rely on them.
ORDER = ["cog", "cogugaison", "etalab_decoupage", "iris_reference", "tagc"]


def ordered_sources(catalogue: dict[str, Source], ids: list[str] | None = None) -> list[Source]:
    chosen = [source_du_catalogue(i, catalogue) for i in ids] if ids else list(catalogue.values())
    return sorted(chosen, key=lambda s: (ORDER.index(s.lecteur) if s.lecteur in ORDER else len(ORDER), s.id))


def controler(con, source: Source, result: IngestResult, *, accepter_baisse: bool = False) -> None:
    """The guard (ingest.garde): refuse an insane load before it replaces the previous one."""
    garde.controler_volumes(source, result.report, store.previous_rows(con, source.id),
                            accepter_baisse=accepter_baisse, chemins=result.chemins)
    for frame in result.tables.get("populations", []):
        negative = frame["population"].to_numpy(dtype="float64") < 0
        if negative.any():
            i = int(negative.argmax())
            raise OsqError(f"population négative « {frame['population'].iloc[i]:g} » pour la commune "
                           f"{frame['code'].iloc[i]} (COG {frame['cog'].iloc[i]})", fichier=source.id,
                           correction="reprenez le fichier d'origine du producteur (« osq sources ») : la base garde "
                           "le chargement précédent.")
    glossaire = load_glossaire()
    for frame, prov in zip(result.tables.get("observations", []), result.provenances, strict=True):
        garde.controler_annees(frame, source, prov)
        garde.controler_valeurs(frame, glossaire, prov)


def ingest_source(con, source: Source, path_of: PathOf | None = None, *, accepter_baisse: bool = False) -> list[dict]:
    """Read one source, check it (controler) and replace its rows in the store (one transaction): a refused
    file leaves the previous load in place."""
    catalogue = None
    if path_of is None:
        catalogue = load_catalogue()

        def path_of(source_id: str, chemin: str) -> Path:  # noqa: F811
            return source_file(source_id, chemin, catalogue)

    reader = READERS[source.lecteur]
    result = reader(source, path_of)
    controler(con, source, result, accepter_baisse=accepter_baisse)
    store.replace_source(con, source.id, result.frames(), result.report)
    for superseded in source.remplace:  # a store built before still holds the rows it replaces
        store.replace_source(con, superseded, {}, [])
    return result.report

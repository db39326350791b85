"""The CAPSO tier: a small store cut at run time from the mirror (tests/decoupe.py), ingested by the
real readers. Only the Communauté d'agglomération du Pays de Saint-Omer is in it: its 53 communes,
their IRIS and QPV, the EPCI, département 62, its région and France."""

from __future__ import annotations

from pathlib import Path

import pytest
from decoupe import decouper_capso
from outils import build_site, ingest_all
from sites_essai import PARAMS_CINQ_NOTES


@pytest.fixture(scope="session")
def coupe(tmp_path_factory, mirror, catalogue) -> tuple[Path, dict]:
    """The mirror cut to the CAPSO: (folder, report)."""
    dest = tmp_path_factory.mktemp("capso") / "sources"
    return dest, decouper_capso(mirror, dest, catalogue)


@pytest.fixture(scope="session")
def store_file(coupe, catalogue) -> Path:
    dest, _ = coupe
    return ingest_all(dest.parent / "capso.duckdb", catalogue, lambda source_id, chemin: dest / source_id / chemin)


@pytest.fixture(scope="session")
def built_site(store_file, tmp_path_factory) -> Path:
    """The real `osq build` command (papermill kernels, pandoc) on two CAPSO communes."""
    out = tmp_path_factory.mktemp("rapports")
    build_site(store_file, out, "observatoire:\n  id: essai\n  titre: Observatoire d'essai\nnotes:\n"
               '  - modele: note_communale\n    territoires:\n      communes: ["62040", "62765"]\n')
    return out / "essai"


@pytest.fixture(scope="session")
def cinq_notes_pandoc(store_file, tmp_path_factory) -> Path:
    """`osq build --imprimables` with pandoc: rapports/cinq/ (site/, site-partenaires/, journaux…)."""
    out = tmp_path_factory.mktemp("cinq-pandoc")
    build_site(store_file, out, PARAMS_CINQ_NOTES, "--imprimables")
    return out / "cinq"


@pytest.fixture(scope="session")
def cinq_notes_quarto(store_file, tmp_path_factory, quarto_exe) -> Path:
    """The same build with Quarto (the one on the PATH, else the project's .outils/quarto)."""
    out = tmp_path_factory.mktemp("cinq-quarto")
    build_site(store_file, out, PARAMS_CINQ_NOTES, "--imprimables", quarto=quarto_exe)
    return out / "cinq"


@pytest.fixture(scope="session", params=["pandoc", "quarto"])
def rendu(request) -> str:
    """Each renderer in turn."""
    return request.param


@pytest.fixture(scope="session")
def cinq_notes(rendu, request) -> Path:
    """The five-note build of this renderer."""
    return request.getfixturevalue(f"cinq_notes_{rendu}")

"""Shared fixtures: a real DuckDB store built once from the real mirror files."""

from __future__ import annotations

from pathlib import Path

import pytest

from osq_utils import store
from osq_utils.catalogues.glossaire import load_glossaire
from osq_utils.catalogues.sources import load_catalogue
from osq_utils.ingest import ingest_source, ordered_sources
from osq_utils.ingest.derive import derive
from osq_utils.secret.vue import Vue
from osq_utils.sources import mirror_dir

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def mirror() -> Path:
    path = mirror_dir()
    if path is None or not path.is_dir():
        pytest.skip("miroir des sources absent (OSQ_MIRROR ou ../shared/sources)")
    return path


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="session")
def glossaire():
    return load_glossaire()


@pytest.fixture(scope="session")
def mirror_path_of(mirror):
    return lambda source_id, chemin: mirror / source_id / chemin


@pytest.fixture(scope="session")
def store_file(tmp_path_factory, catalogue, mirror_path_of) -> Path:
    """Every source of the mirror ingested into a fresh store, plus the derived figures."""
    path = tmp_path_factory.mktemp("store") / "osq.duckdb"
    con = store.connect(path)
    for source in ordered_sources(catalogue):
        ingest_source(con, source, mirror_path_of)
    derive(con)
    con.close()
    return path


@pytest.fixture
def con(store_file):
    connection = store.connect(store_file, read_only=True)
    yield connection
    connection.close()


@pytest.fixture
def vue(store_file):
    """The store as a note of the public profile reads it, without masks (no ledger)."""
    return Vue.ouvrir(store_file)


@pytest.fixture(scope="session")
def built_site(store_file, tmp_path_factory):
    """The real `osq build` command (papermill kernels, pandoc) on two CAPSO communes."""
    import os
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("rapports")
    params = out / "test.yml"
    params.write_text(
        "observatoire:\n  id: essai\n  titre: Observatoire d'essai\nnotes:\n"
        '  - modele: note_communale\n    territoires:\n      communes: ["62040", "62765"]\n',
        encoding="utf-8",
    )
    env = {**os.environ, "OSQ_STORE": str(store_file), "OSQ_QUARTO": "non"}
    proc = subprocess.run(
        [sys.executable, "-m", "osq_utils.cli", "build", str(params), "--jobs", "2", "--sortie", str(out)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out / "essai"

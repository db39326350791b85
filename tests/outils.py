"""Helpers of the test tiers (imported by their conftest files)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from osq_utils import store
from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.ingest import ingest_source, ordered_sources
from osq_utils.ingest.derive import derive


def ingest_all(path: Path, catalogue, path_of) -> Path:
    """Every source of the catalogue ingested with `path_of(source_id, chemin)` into a fresh store, plus derived figures."""
    con = store.connect(path)
    for source in ordered_sources(catalogue):
        ingest_source(con, source, path_of)
    derive(con)
    con.close()
    return path


def build_site(store_file: Path, out: Path, params_text: str, *extra: str) -> Path:
    """The real `osq build` command (papermill kernels, pandoc) on a params file written here."""
    params = out / "test.yml"
    params.write_text(params_text, encoding="utf-8")
    env = {**os.environ, "OSQ_STORE": str(store_file), "OSQ_QUARTO": "non"}
    proc = subprocess.run(
        [sys.executable, "-m", "osq_utils.cli", "build", str(params), "--jobs", "2", "--sortie", str(out), *extra],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out

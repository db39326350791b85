"""Helpers of the test tiers (imported by their conftest files)."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import psutil

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


def lire_comparateur(mirror: Path, source_id: str) -> list[dict[str, str]]:
    """The rows of the base of an edition of INSEE's comparateur de territoires, read from its zip as they are."""
    (path,) = (mirror / source_id).glob("*.zip")
    with zipfile.ZipFile(path) as zf:
        (name,) = [n for n in zf.namelist() if n.lower().startswith("base")]
        text = zf.read(name).decode("ascii")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


# Where `make test` installs Quarto (from ../shared/tools/quarto) when none is on the PATH.
QUARTO_DU_PROJET = PROJECT_ROOT / ".outils" / "quarto" / "bin" / "quarto"


def quarto_pour_tests() -> str | None:
    """The Quarto of the tests: the one on the PATH, else the project's (make test), else None."""
    return shutil.which("quarto") or (str(QUARTO_DU_PROJET) if QUARTO_DU_PROJET.is_file() else None)


def osq_build(store_file: Path, params: Path, out: Path, *extra: str, quarto: str | None = None,
              jobs: int = 2) -> subprocess.CompletedProcess:
    """The real `osq build` command, with pandoc (quarto=None) or with this Quarto executable."""
    env = {**os.environ, "OSQ_STORE": str(store_file), "OSQ_QUARTO": quarto or "non"}
    return subprocess.run(
        [sys.executable, "-m", "osq_utils.cli", "build", str(params), "--jobs", str(jobs), "--sortie", str(out), *extra],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=1200,
    )


def build_site(store_file: Path, out: Path, params_text: str, *extra: str, quarto: str | None = None) -> Path:
    """The real `osq build` command (papermill kernels, pandoc or Quarto) on a params file written here."""
    params = out / "test.yml"
    params.write_text(params_text, encoding="utf-8")
    proc = osq_build(store_file, params, out, *extra, quarto=quarto)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def vivants(procs: list[psutil.Process]) -> list[psutil.Process]:
    """The processes (psutil) of `procs` still running (a zombie has ended)."""
    out = []
    for proc in procs:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                out.append(proc)
        except psutil.NoSuchProcess:
            pass
    return out

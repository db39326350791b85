"""Fingerprints for incremental builds.

A note is re-executed only when its template, its parameters, the package code,
the reference files (glossary, sources catalogue) or the data in the store
changed. Quarto's freeze does not see data changes; this does.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from osq_utils import atomic

PACKAGE = Path(__file__).resolve().parents[1]
PROJECT_ROOT = PACKAGE.parent
REFERENCE_FILES = [PROJECT_ROOT / "data" / "glossaire.yml", PROJECT_ROOT / "data" / "sources.yml"]
# Reference folders a note or a page reads: secret rules, partner conventions, ABS themes, verbatims, guides.
REFERENCE_DIRS = [PROJECT_ROOT / "data" / d for d in ("secret", "conventions", "abs", "verbatims")] + [
    PROJECT_ROOT / "docs" / "guides"]

# Tables whose content a note may read, with the columns that matter.
STORE_TABLES = {
    "observations": "code, niveau, indicateur, annee, valeur, numerateur, denominateur, source, statut, cog, estime",
    "territoires": "niveau, code, libelle, cog, source",
    "appartenances": "cog, niveau, code, niveau_parent, code_parent, source",
    "geometries": "niveau, code, millesime, md5(wkb::VARCHAR), source",
    "passages_cog": "annee_depart, annee_arrivee, code_depart, code_arrivee, type_modif, ratio",
    "populations": "cog, code, population",
    "chargements": "source, fichier, lignes_lues, lignes_gardees, lignes_rejetees",
}


def _sha(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()


def file_hash(path: Path) -> str:
    return _sha(Path(path).read_bytes())


def code_fingerprint() -> str:
    """The package's Python code, templates and reference files."""
    import os

    glossary = [Path(os.environ["OSQ_GLOSSAIRE"])] if os.environ.get("OSQ_GLOSSAIRE") else []
    files = (sorted(PACKAGE.rglob("*.py")) + sorted((PACKAGE / "batch" / "templates").glob("*")) + REFERENCE_FILES + glossary
             + [f for d in REFERENCE_DIRS for f in sorted(d.glob("*")) if f.is_file()])
    def name(f: Path) -> str:
        return str(f.relative_to(PROJECT_ROOT)) if f.is_relative_to(PROJECT_ROOT) else str(f)

    return _sha(*(f"{name(f)}:{file_hash(f)}" for f in files if f.exists()))


def store_fingerprint(con) -> str:
    """Content of the store (order-independent hashes, computed by DuckDB in well under a second)."""
    parts = []
    for table, cols in STORE_TABLES.items():
        row = con.execute(f"SELECT count(*), coalesce(sum(hash({cols})), 0) FROM {table}").fetchone()
        parts.append(f"{table}:{row[0]}:{row[1]}")
    return _sha(*parts)


def combine(*parts: str) -> str:
    return _sha(*parts)


def job_fingerprint(template_hash: str, parametres: dict, code_fp: str, data_fp: str) -> str:
    return _sha(template_hash, json.dumps(parametres, sort_keys=True, ensure_ascii=False), code_fp, data_fp)


def load_state(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def save_state(path: Path, state: dict) -> None:
    """Atomic write: an interrupted build keeps the previous state file."""
    atomic.write_text(path, json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True))

"""Fingerprints for incremental builds.

A note is re-executed only when its template, its parameters (and the files they name), the
package code, the reference files (every file a catalogue loader reads: glossary, sources
catalogue, secret rules, conventions, themes, groupings, verbatims, guides) or the data in the
store changed. Quarto's freeze does not see data changes; this does.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from osq_utils import atomic
from osq_utils.catalogues.racine import affichable
from osq_utils.catalogues.references import fichiers_references

PACKAGE = Path(__file__).resolve().parents[1]

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
    """The package's Python code and templates, and every reference file the catalogues read."""
    files = (sorted(PACKAGE.rglob("*.py")) + sorted((PACKAGE / "batch" / "templates").glob("*"))
             + fichiers_references())
    return _sha(*(f"{affichable(f)}:{file_hash(f)}" for f in files if f.is_file()))


def store_fingerprint(con) -> str:
    """Content of the store (order-independent hashes, computed by DuckDB in well under a second)."""
    parts = []
    for table, cols in STORE_TABLES.items():
        row = con.execute(f"SELECT count(*), coalesce(sum(hash({cols})), 0) FROM {table}").fetchone()
        parts.append(f"{table}:{row[0]}:{row[1]}")
    return _sha(*parts)


def store_fingerprint_garde(con, store_file: Path, cache: Path) -> str:
    """store_fingerprint, kept in `cache` with the store file's identity (path, inode, size, modification and
    change times): a build with nothing to do does not hash the store again (0.6 s of a one-second no-op)."""
    st = Path(store_file).stat()
    cle = [str(Path(store_file).resolve()), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
    try:
        garde = json.loads(Path(cache).read_text(encoding="utf-8"))
        if garde.get("cle") == cle:
            return str(garde["empreinte"])
    except (OSError, ValueError, KeyError, AttributeError):
        pass  # no cache yet, or unreadable: computed again
    empreinte = store_fingerprint(con)
    atomic.write_text(Path(cache), json.dumps({"cle": cle, "empreinte": empreinte}))
    return empreinte


def combine(*parts: str) -> str:
    return _sha(*parts)


def job_fingerprint(template_hash: str, parametres: dict, code_fp: str, data_fp: str) -> str:
    """A note's fingerprint; a parameter naming a file (groupings) or a folder (the evaluation's inputs) counts by
    the content of the files."""
    named = [Path(v) for v in parametres.values() if isinstance(v, str) and v and "\n" not in v and len(v) < 1024]
    paths = [p for p in named if p.suffix in (".yml", ".yaml") and p.is_file()]
    paths += [f for p in named if p.is_dir() for f in sorted(p.rglob("*")) if f.is_file()]
    files = sorted(f"{p}:{file_hash(p)}" for p in paths)
    return _sha(template_hash, json.dumps(parametres, sort_keys=True, ensure_ascii=False), code_fp, data_fp, *files)


def load_state(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def save_state(path: Path, state: dict) -> None:
    """Atomic write: an interrupted build keeps the previous state file."""
    atomic.write_text(path, json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True))

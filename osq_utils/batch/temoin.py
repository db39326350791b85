"""The witness of a clean build: a rebuild with nothing changed answers without loading the build.

After a build with no failed note and no leak, `osq build` writes a witness
(`<sortie>/.temoins/<key>.json`, one per params file and options) holding the identity (modification time,
size) of every file that build read or wrote: the package's code, the templates, the data root (reference
files, fetched sources), the params file and every file it names, the store, and every file and folder under
the observatory's output folder. A folder's identity changes when a file is added to it or removed from it.

The next `osq build` with the same options compares them with `os.stat` alone (stdlib only: no pandas,
DuckDB nor Jupyter imported): all equal, the same day, the same environment (`OSQ_*`, PATH for Quarto)
and no other command holding the observatory's or the store's lock, it prints the last summary and stops. Anything
else (or `--force`) runs the build, which removes the witness first: an interrupted build leaves none.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from osq_utils import atomic, verrou
from osq_utils.catalogues.racine import PROJECT_ROOT, dossier_donnees, dossier_modeles

DOSSIER = ".temoins"
VERSION = 1
PACKAGE = Path(__file__).resolve().parents[1]


def _cle(params: Path, options: dict) -> str:
    texte = json.dumps({"params": str(Path(params).resolve()), **options}, sort_keys=True)
    return hashlib.sha256(texte.encode()).hexdigest()[:24]


def chemin(sortie: Path, params: Path, options: dict) -> Path:
    return Path(sortie).resolve() / DOSSIER / f"{_cle(params, options)}.json"


def contexte() -> dict:
    """What a build depends on besides files: the day (the freshness page is dated), the environment."""
    env = {k: v for k, v in os.environ.items() if k.startswith("OSQ_")}
    return {"jour": datetime.date.today().isoformat(), "env": env, "path": os.environ.get("PATH", ""),
            "python": sys.executable, "version": VERSION}


def _identite(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size]


def _arbre(dossier: Path) -> Iterable[str]:
    """Every file and folder under `dossier` (itself included), bytecode caches and locks left out."""
    if not dossier.is_dir():
        return
    yield str(dossier)
    pile = [str(dossier)]
    while pile:
        courant = pile.pop()
        try:
            entrees = list(os.scandir(courant))
        except OSError:
            continue
        for e in entrees:
            if e.name == "__pycache__" or e.name.endswith(".verrou"):
                continue
            yield e.path
            if e.is_dir(follow_symlinks=False):
                pile.append(e.path)


def entrees(root: Path, store_file: Path, fichiers: Iterable[Path]) -> list[str]:
    """The paths a build's witness watches: code, templates and data root (files and folders), the files the
    params name, the store, and the output folder `root`."""
    paths: dict[str, None] = {}
    for dossier in (PACKAGE, dossier_modeles(), dossier_donnees()):
        paths.update(dict.fromkeys(_arbre(Path(dossier).resolve())))
    paths.update(dict.fromkeys(str(Path(f).resolve()) for f in (*fichiers, store_file, PROJECT_ROOT / "_quarto.yml")))
    paths.update(dict.fromkeys(_arbre(Path(root).resolve())))
    return list(paths)


def ecrire(temoin: Path, watched: Iterable[str], resume: dict) -> None:
    """Write the witness of a clean build (after every write of that build)."""
    data = {"contexte": contexte(), "fichiers": {p: _identite(p) for p in watched}, "resume": resume}
    atomic.write_text(temoin, json.dumps(data, ensure_ascii=False))


def effacer(temoin: Path) -> None:
    """A build starts: the witness of the previous one no longer holds."""
    temoin.unlink(missing_ok=True)


def rien_a_faire(temoin: Path) -> dict | None:
    """The last build's summary when nothing it read or wrote has changed since, else None."""
    try:
        data = json.loads(temoin.read_text(encoding="utf-8"))
        fichiers, resume = data["fichiers"], data["resume"]
        racine, locks = Path(resume["racine"]), (Path(resume["verrou_observatoire"]), Path(resume["verrou_base"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if data.get("contexte") != contexte():
        return None
    # Another command at work (a build of this observatory, a delivery into the store): the build reports it.
    if verrou.occupe(locks[0]) or verrou.occupe(locks[1], exclusif=False):
        return None
    if any(p not in fichiers for p in _arbre(racine)):
        return None  # a file appeared in the output folder
    if any(_identite(p) != ident for p, ident in fichiers.items()):
        return None
    return resume

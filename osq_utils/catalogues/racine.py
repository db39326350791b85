"""Where the project's files are: the one home of the project root and the data root.

- the data root is `$OSQ_DONNEES`, else the project's `data/` folder: the reference files
  (glossary, sources catalogue, secret rules, conventions, themes, groupings, verbatims), the
  fetched sources (`sources/`) and the default store (`osq.duckdb`);
- the note templates are `$OSQ_NOTEBOOKS`, else the project's `notebooks/` folder;
- the analyst's guides are `docs/guides/`.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def dossier_donnees() -> Path:
    """The data root: $OSQ_DONNEES (an observatory's own data folder), else the project's data/."""
    return Path(os.environ.get("OSQ_DONNEES") or PROJECT_ROOT / "data").resolve()


def chemin_donnees(*parts: str) -> Path:
    """A path under the data root, e.g. chemin_donnees("secret") or chemin_donnees("abs", "themes.yml")."""
    return dossier_donnees().joinpath(*parts)


def dossier_modeles() -> Path:
    """The note templates: $OSQ_NOTEBOOKS (an observatory's own templates), else the project's notebooks/."""
    return Path(os.environ.get("OSQ_NOTEBOOKS") or PROJECT_ROOT / "notebooks")


def dossier_guides() -> Path:
    """The analyst's guides in French (published on the site)."""
    return PROJECT_ROOT / "docs" / "guides"


def affichable(path: Path | str) -> str:
    """A path as a user reads it: relative to the project when it lies inside it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)

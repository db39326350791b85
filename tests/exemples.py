"""Hand-written inputs shared by tests of several tiers (never figures: texts and files made for a test)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat import v4

VALID = """\
verbatims:
  - id: v1
    texte: "Un texte."
    theme: logement
    territoire: {niveau: commune, code: "62765"}
    locuteur: habitant
    structure: null
    date: "2022-03"
    atelier: "atelier test"
    diffusion: public
    source: {titre: "Document test", editeur: null, annee: 2022, fichier: null}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "verbatims.yml"
    path.write_text(text, encoding="utf-8")
    return path


def where(text: str, needle: str, nth: int = 1) -> tuple[int, int]:
    """1-based (line, column) of the nth occurrence of needle."""
    pos = -1
    for _ in range(nth):
        pos = text.index(needle, pos + 1)
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _bad_folder(tmp_path, name, text):
    folder = tmp_path / "secret"
    folder.mkdir()
    (folder / name).write_text(text, encoding="utf-8")
    return folder


GOOD = """source: cnaf-caf-iris-2016-2020
description: Essai.
regles:
  - id: effectifs
    indicateurs: [allocataires_rsa]
    variable: valeur
    seuils: {public: 5, partenaires: 3}
    description: Effectifs de moins de 5.
"""


NAV = [("Accueil", "index.html"), ("Notes", "notes/index.html")]


def _code(source: str, tags: list[str] | None = None) -> nbformat.NotebookNode:
    cell = v4.new_code_cell(source)
    if tags:
        cell.metadata["tags"] = tags
    return cell

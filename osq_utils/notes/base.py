"""What a kind of note is: the one description each kind module declares (see notes/__init__.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from osq_utils.catalogues.glossaire import Glossaire
from osq_utils.catalogues.racine import dossier_modeles
from osq_utils.errors import OsqError

# Territories a note shows, by level: {"commune": {"62040", …}, "epci": {…}, …}
Territoires = dict[str, set[str]]


class ParametreInvalide(OsqError):
    """A note's parameter is wrong. `chemin` locates it under the note's entry of the params file
    (e.g. ("parametres", "qpv", 1)); plan and `osq check` turn it into a line and a column."""

    def __init__(self, message: str, chemin: tuple = (), correction: str | None = None) -> None:
        super().__init__(message, correction=correction)
        self.chemin = tuple(chemin)


@dataclass(frozen=True)
class TypeNote:
    """One kind of note: its template, the territory it is about and what it shows.

    - modele: the template (notebooks/<modele>.ipynb) and the params file's `modele:` value;
    - niveau / parametre: the level of the note's territory and the papermill parameter holding its code;
    - libelle / pluriel / prefixe: the kind's names (site index) and the prefix of its pages' slugs;
    - par_theme / theme_defaut: one note per theme (ABS), and the theme `osq preview` takes by default;
    - parametres: the keys allowed under the entry's `parametres:` (passed to the template as they are);
    - valider(con, code, parametres, glossaire): checks the parameters against the store, at plan
      time and by `osq check`; raises ParametreInvalide;
    - territoires(con, code, parametres): the territories whose figures the note shows, by level.
      The ledger of masked values, the exports and the audit all use this one answer;
    - apercu(con, code): the parameters `osq preview` gives a note of this kind (none by default).
    """

    modele: str
    niveau: str
    parametre: str
    libelle: str
    pluriel: str
    prefixe: str
    territoires: Callable[[Any, str, dict], Territoires]
    par_theme: bool = False
    theme_defaut: str | None = None
    parametres: tuple[str, ...] = ()
    valider: Callable[[Any, str, dict, Glossaire], None] | None = field(default=None, compare=False)
    apercu: Callable[[Any, str], dict] | None = field(default=None, compare=False)

    def slug(self, code: str, theme: str | None = None) -> str:
        """The note's page name: <prefixe>-<code>[-<theme>]."""
        return f"{self.prefixe}-{code}" + (f"-{theme}" if theme else "")

    @property
    def template(self) -> Path:
        return dossier_modeles() / f"{self.modele}.ipynb"


def union(*parts: Territoires) -> Territoires:
    """Territories of several notes (or parts of one), level by level."""
    out: Territoires = {}
    for part in parts:
        for niveau, codes in part.items():
            out.setdefault(niveau, set()).update(c for c in codes if c)
    return out

"""What a kind of note is: the one description each kind module declares (see notes/__init__.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from osq_utils import territoires as terr
from osq_utils.catalogues.glossaire import Glossaire
from osq_utils.catalogues.racine import dossier_modeles
from osq_utils.errors import OsqError

# Sections of the automatic commentary (notes.commentaire): the summary at the top, the reading after the table,
# the reading of the evolution figure, the communes that stand out (an intercommunality's note). Each kind declares
# the ones its template writes (TypeNote.sections_commentaire).
SECTIONS_COMMENTAIRE = ("synthese", "lecture", "evolution", "communes")
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
    - apercu(con, code): the parameters `osq preview` gives a note of this kind (none by default);
    - sections_commentaire: the sections of automatic commentary its template writes (notes.commentaire), each of
      which the params file may switch off (`commentaire:` of the note's entry).
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
    sections_commentaire: tuple[str, ...] = ()

    def slug(self, code: str, theme: str | None = None) -> str:
        """The note's page name: <prefixe>-<code>[-<theme>]."""
        return f"{self.prefixe}-{code}" + (f"-{theme}" if theme else "")

    @property
    def template(self) -> Path:
        return dossier_modeles() / f"{self.modele}.ipynb"

    def code_parametre(self, con: Any, valeur: Any) -> str:
        """The code of the note's territory as its template received it (`parametre`), as a string.

        `osq build` passes strings. `papermill -p code_commune 62014` passes the number 62014, and 01001
        becomes 1001: a number is restored as the code it names (a commune's lost leading zero put back when
        only that code exists), or the note stops with a French message."""
        if isinstance(valeur, str):
            return valeur
        entier = int(valeur) if isinstance(valeur, (int, float)) and not isinstance(valeur, bool) \
            and float(valeur).is_integer() and valeur >= 0 else None
        if entier is None:
            raise OsqError(f"paramètre {self.parametre} : {valeur!r} n'est pas un code de territoire",
                           correction=f"passez le code tel quel avec -r : papermill -r {self.parametre} 62040 … "
                                      "(-p lit 62040 comme un nombre).")
        texte = str(entier)
        if self.niveau == "commune":
            known = terr.communes_actuelles(con)
            codes = {c for c in (texte, texte.zfill(5)) if len(c) == 5 and (c in known or terr.existe(con, "arm", c))}
            if len(codes) == 1:
                return codes.pop()
            return terr.code_commune(con, texte).code  # raises the French reason: merged, unknown…
        if self.niveau == "qpv":
            raise OsqError(f"paramètre {self.parametre} : le nombre {texte} n'est pas un code de quartier prioritaire",
                           correction=f"un code QPV s'écrit QP suivi de six chiffres : -p {self.parametre} QP062036.")
        if terr.existe(con, self.niveau, texte):
            return texte
        raise OsqError(f"paramètre {self.parametre} : {self.niveau} « {texte} » inconnu",
                       correction=f"donnez le code officiel, tel quel avec -r : papermill -r {self.parametre} "
                                  "200069037 … pour une intercommunalité (SIREN à 9 chiffres).")


def union(*parts: Territoires) -> Territoires:
    """Territories of several notes (or parts of one), level by level."""
    out: Territoires = {}
    for part in parts:
        for niveau, codes in part.items():
            out.setdefault(niveau, set()).update(c for c in codes if c)
    return out

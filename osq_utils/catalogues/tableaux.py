"""Tables an observatory writes itself (CSV or Excel): every cell as text, every row with its place in the file.

Used by the loaders of the observatory's own inputs (evaluation of the contrat de ville). A CSV is
UTF-8 with `;` (the French spreadsheet export); an Excel file is read from its first sheet, its header
on the first non-empty row. Errors name the file, the line (the spreadsheet's row number), the column
(its header, and its letter in a spreadsheet) and the fix:

    t = lire_tableau(path, quoi="tableau des actions")
    t.exiger(["annee", "pilier"])
    for i, row in t.lignes():            # i: position, for t.erreur(...)
        ...
        raise t.erreur("pilier inconnu", i, "pilier", correction="…")

Numbers are parsed explicitly (`nombre`): decimal comma or point, spaces as thousands separators;
a blank cell is missing (None), never 0.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from osq_utils.errors import OsqError

EXTENSIONS_CSV = (".csv",)
EXTENSIONS_EXCEL = (".xlsx", ".xlsm", ".xls", ".ods")
_SEPARATEURS = {";": "point-virgule « ; »", ",": "virgule « , »", "\t": "tabulation"}
_ESPACES = re.compile(r"[\s\u00a0\u202f]")
_NOMBRE = re.compile(r"[-+]?\d+(?:\.\d+)?")


def _lettre(index: int) -> str:
    """Spreadsheet column letter of a 0-based index (0 -> A, 26 -> AA)."""
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


def _texte(cell) -> str:
    """A spreadsheet cell as the text the analyst typed: integers without '.0', dates in ISO."""
    if cell is None or (isinstance(cell, float) and pd.isna(cell)):
        return ""
    if isinstance(cell, bool):
        return "oui" if cell else "non"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat() if cell.time() == dt.time(0) else cell.isoformat(sep=" ")
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return str(cell).strip()


@dataclass
class Tableau:
    """A table read as text: `donnees` (one row per non-empty line, '' for a blank cell), the file line
    of each row and, for a spreadsheet, the letter of each column."""

    chemin: Path
    quoi: str
    donnees: pd.DataFrame
    numeros: list[int]
    lettres: dict[str, str]

    def __len__(self) -> int:
        return len(self.donnees)

    def colonne(self, nom: str | None) -> str | None:
        """How an error names a column: « qpv » in a CSV, « C (qpv) » in a spreadsheet."""
        if nom is None:
            return None
        return f"{self.lettres[nom]} ({nom})" if nom in self.lettres else nom

    def erreur(self, message: str, position: int | None = None, colonne: str | None = None,
               correction: str | None = None) -> OsqError:
        """A located error: `position` is the row's position (None: the header line)."""
        ligne = self.numeros[position] if position is not None else self.ligne_entete
        return OsqError(message, fichier=self.chemin, ligne=ligne, colonne=self.colonne(colonne), correction=correction)

    @property
    def ligne_entete(self) -> int:
        return (self.numeros[0] - 1) if self.numeros else 1

    def exiger(self, colonnes: list[str] | tuple[str, ...]) -> None:
        """Fail on the first missing column, naming the closest headers present."""
        for col in colonnes:
            if col not in self.donnees.columns:
                proches = difflib.get_close_matches(col, list(self.donnees.columns), n=2, cutoff=0.6)
                indice = f" (colonnes proches : {', '.join(proches)})" if proches else ""
                raise self.erreur(f"{self.quoi} : colonne obligatoire « {col} » absente{indice}", None, None,
                                  f"ajoutez la colonne « {col} » à la ligne d'en-tête.")

    def refuser_inconnues(self, permises: list[str] | tuple[str, ...]) -> None:
        """Fail on a header that is not one of `permises` (a typo would silently drop a column)."""
        for col in self.donnees.columns:
            if col not in permises:
                proches = difflib.get_close_matches(col, list(permises), n=1, cutoff=0.6)
                indice = f" (vouliez-vous écrire « {proches[0]} » ?)" if proches else ""
                raise self.erreur(f"{self.quoi} : colonne « {col} » inconnue{indice}", None, col,
                                  f"colonnes possibles : {', '.join(permises)}.")

    def lignes(self) -> Iterator[tuple[int, dict[str, str]]]:
        yield from enumerate(self.donnees.to_dict("records"))

    def nombre(self, position: int, colonne: str, *, entier: bool = False, positif: bool = True) -> float | None:
        """The number in a cell (French or English decimal separator); None for a blank cell."""
        brut = str(self.donnees.iloc[position][colonne]) if colonne in self.donnees.columns else ""
        texte = _ESPACES.sub("", brut).replace(",", ".")
        if texte == "":
            return None
        if not _NOMBRE.fullmatch(texte):
            raise self.erreur(f"{self.quoi} : « {brut} » n'est pas un nombre", position, colonne,
                              "écrivez un nombre (par exemple 1250 ou 1 250,50), ou laissez la cellule vide "
                              "si la valeur n'est pas connue (jamais 0 à la place d'une valeur inconnue).")
        value = float(texte)
        if entier and not value.is_integer():
            raise self.erreur(f"{self.quoi} : « {brut} » n'est pas un nombre entier", position, colonne,
                              "écrivez un effectif entier, ou laissez la cellule vide s'il n'est pas connu.")
        if positif and value < 0:
            raise self.erreur(f"{self.quoi} : « {brut} » est négatif", position, colonne,
                              "écrivez une valeur positive ou nulle.")
        return value


def lire_tableau(chemin: Path | str, *, quoi: str = "tableau") -> Tableau:
    """Read a CSV (UTF-8, `;`) or the first sheet of a spreadsheet, every cell as text."""
    chemin = Path(chemin)
    if not chemin.is_file():
        raise OsqError(f"{quoi} introuvable", fichier=chemin,
                       correction="vérifiez le chemin : il est relatif au dossier du fichier qui le nomme.")
    suffixe = chemin.suffix.lower()
    if suffixe in EXTENSIONS_CSV:
        brut, premiere = _lire_csv(chemin, quoi)
    elif suffixe in EXTENSIONS_EXCEL:
        brut, premiere = _lire_classeur(chemin, quoi)
    else:
        raise OsqError(f"{quoi} : format « {chemin.suffix or 'sans extension'} » non pris en charge", fichier=chemin,
                       correction="enregistrez le tableau en CSV (séparateur point-virgule, UTF-8) ou en Excel (.xlsx).")
    if brut.empty:
        raise OsqError(f"{quoi} vide", fichier=chemin, ligne=1,
                       correction="écrivez une ligne d'en-tête (les noms des colonnes) puis une ligne par élément.")
    entete = [_texte(c) for c in brut.iloc[0]]
    garder = [j for j, nom in enumerate(entete) if nom != ""]
    noms = [entete[j] for j in garder]
    vus: dict[str, int] = {}
    for j, nom in zip(garder, noms):
        if nom in vus:
            raise OsqError(f"{quoi} : colonne « {nom} » écrite deux fois", fichier=chemin, ligne=premiere,
                           colonne=_lettre(j) if suffixe in EXTENSIONS_EXCEL else nom,
                           correction="gardez une seule colonne de ce nom.")
        vus[nom] = j
    corps = brut.iloc[1:, garder]
    corps.columns = noms
    cellules = corps.apply(lambda col: col.map(_texte)) if len(corps) else corps.astype(str)
    non_vides = (cellules != "").any(axis=1)
    numeros = [premiere + int(k) for k in range(1, len(brut)) if non_vides.iloc[k - 1]]
    lettres = {nom: _lettre(j) for j, nom in zip(garder, noms)} if suffixe in EXTENSIONS_EXCEL else {}
    return Tableau(chemin, quoi, cellules[non_vides].reset_index(drop=True), numeros, lettres)


def _lire_csv(chemin: Path, quoi: str) -> tuple[pd.DataFrame, int]:
    try:
        texte = chemin.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OsqError(f"{quoi} illisible : il n'est pas encodé en UTF-8 (octet {exc.start})", fichier=chemin, ligne=1,
                       correction="enregistrez le fichier en « CSV UTF-8 (délimité par des points-virgules) ».") from None
    entete = texte.splitlines()[0] if texte.strip() else ""
    if entete and ";" not in entete:
        trouve = max(_SEPARATEURS, key=entete.count)
        vu = f"le fichier semble utiliser la {_SEPARATEURS[trouve]}" if entete.count(trouve) else "une seule colonne lue"
        raise OsqError(f"{quoi} : séparateur attendu : point-virgule « ; » ; {vu}", fichier=chemin, ligne=1, colonne=1,
                       correction="enregistrez le fichier en « CSV UTF-8 (délimité par des points-virgules) ».")
    try:
        brut = pd.read_csv(chemin, sep=";", header=None, dtype=str, keep_default_na=False, na_values=[],
                           encoding="utf-8-sig", skip_blank_lines=False, engine="python")
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise OsqError(f"{quoi} : une ligne a plus de cellules que la ligne d'en-tête", fichier=chemin,
                       ligne=int(m.group(1)) if m else None,
                       correction="retirez les points-virgules en trop, ou mettez entre guillemets un texte "
                                  "qui contient un point-virgule.") from None
    return brut.fillna(""), 1


def _lire_classeur(chemin: Path, quoi: str) -> tuple[pd.DataFrame, int]:
    try:
        brut = pd.read_excel(chemin, sheet_name=0, header=None, dtype=object, engine="calamine")
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes a French message naming the file
        raise OsqError(f"{quoi} illisible ({exc.__class__.__name__})", fichier=chemin,
                       correction="ouvrez le fichier dans un tableur et enregistrez-le à nouveau en .xlsx.") from None
    pleines = [i for i in range(len(brut)) if any(_texte(c) for c in brut.iloc[i])]
    if not pleines:
        return brut.iloc[0:0], 1
    debut = pleines[0]
    return brut.iloc[debut:].reset_index(drop=True), debut + 1

"""Partner deliveries (Excel .xlsx or CSV) read as their provider convention declares, without new code.

A convention (data/conventions/<fournisseur>.yml) says who delivers what, how often, at which
geographic scale and under which secrecy clauses, and how to read each delivered table: sheet,
rows above the header, header rows (merged cells), code column, year, decimal mark, encoding,
total-row and footnote markers, and which column feeds which glossary indicator.

Rates are never read from the delivery: they are recomputed from their numerator and denominator
columns. A blank or secret-marked cell is stored as missing with the status 'secret' (or 'absent'
when the convention says blanks mean "not available"), never as 0.

The glossary is read as data (data/glossaire.yml), not through osq_utils.indicateurs: ingestion
comes before the indicators step.
"""

from __future__ import annotations


import csv
import fnmatch
import json
import math
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from osq_utils import store
from osq_utils.errors import OsqError
from osq_utils.ingest.tabular import CODE_LENGTHS, CODE_PATTERNS, _example

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
CONVENTIONS_DIR = PROJECT_ROOT / "data" / "conventions"
GLOSSAIRE = PROJECT_ROOT / "data" / "glossaire.yml"

PERIODICITES = {"mensuelle": 1, "trimestrielle": 3, "semestrielle": 6, "annuelle": 12}
FORMATS = ("xlsx", "csv")
ECHELLES = ("iris", "commune", "qpv", "epci")
# Same factors as osq_utils.agregation.FACTORS (not imported: ingestion comes before indicators).
FACTORS = {"taux": 100.0, "moyenne": 1.0, "densite": 10000.0}
PROFILS = ("public", "partenaires")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_THOUSANDS_DOT = re.compile(r"-?\d{1,3}(\.\d{3})+")


# --------------------------------------------------------------------------- convention


@dataclass(frozen=True)
class Colonne:
    """One delivered indicator: a count column, or the numerator and denominator of a rate."""

    indicateur: str
    type: str  # glossary type
    entete: str | None  # column read as the value (compte, non_additif)
    numerateur: str | None = None
    denominateur: str | None = None

    def entetes(self) -> list[str]:
        return [c for c in (self.entete, self.numerateur, self.denominateur) if c]


@dataclass(frozen=True)
class Fichier:
    """How to read one delivered table (one sheet of a workbook, or one CSV)."""

    motif: str  # glob on the delivered file name
    feuille: str | int | None  # sheet name, or 1-based sheet number
    echelle: str
    lignes_a_sauter: int
    lignes_entete: int
    colonne_code: str
    annee: int | None
    colonne_annee: str | None
    annee_dans_nom: bool
    decimale: str
    separateur: str
    encodage: str
    marques_total: tuple[str, ...]
    marques_note: tuple[str, ...]
    marques_secret: tuple[str, ...]
    cellule_vide: str  # secret | absent
    zeros_initiaux: str  # restaurer | refuser
    colonnes: tuple[Colonne, ...]


@dataclass(frozen=True)
class Convention:
    source: str
    fournisseur: str
    role_contact: str
    periodicite: str
    format: str
    echelle: str
    clauses_secret: dict
    derniere_livraison: date | None
    fichiers: tuple[Fichier, ...]
    chemin: str = ""


def _to_python(node, marks: dict, path: tuple):
    """Plain Python values from a composed YAML node, recording each path's (line, column)."""
    marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out = {}
        for key_node, value_node in node.value:
            marks[path + (key_node.value, "__key__")] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key_node.value] = _to_python(value_node, marks, path + (key_node.value,))
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(v, marks, path + (i,)) for i, v in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node)) if node.tag != "tag:yaml.org,2002:str" else node.value


def read_glossaire_types(path: Path | str | None = None) -> dict[str, dict]:
    """code -> {type, niveaux} of every glossary indicator (the glossary file read as data)."""
    path = Path(path or os.environ.get("OSQ_GLOSSAIRE") or GLOSSAIRE)
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    return {str(e["code"]): {"type": e.get("type"), "niveaux": list(e.get("niveaux") or [])} for e in raw["indicateurs"]}


def load_convention(path: Path | str, glossaire: Path | str | dict | None = None) -> Convention:
    """Read and validate one provider convention; errors name the line, the column and the fix."""
    path = Path(path)
    types = glossaire if isinstance(glossaire, dict) else read_glossaire_types(glossaire)
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise OsqError(f"YAML illisible ({exc.problem})", fichier=path, ligne=mark.line + 1 if mark else None,
                       colonne=mark.column + 1 if mark else None,
                       correction="corrigez l'indentation ou la ponctuation à cet endroit.") from None
    marks: dict = {}
    data = _to_python(node, marks, ()) if node is not None else None

    def fail(message: str, where: tuple, correction: str):
        while where and where not in marks:
            where = where[:-1]
        line, col = marks.get(where, (1, 1))
        raise OsqError(message, fichier=path, ligne=line, colonne=col, correction=correction)

    if not isinstance(data, dict):
        fail("le fichier doit décrire une convention (clés fournisseur, periodicite, format, echelle, fichiers…)", (),
             "partez d'un fichier existant de data/conventions/.")
    for key in ("fournisseur", "role_contact", "periodicite", "format", "echelle", "clauses_secret", "fichiers"):
        if key not in data:
            fail(f"clé « {key} » manquante", (), f"ajoutez « {key}: … » au premier niveau du fichier.")

    def choice(where: tuple, value, allowed) -> str:
        value = str(value)
        if value not in allowed:
            fail(f"« {where[-1]} » vaut « {value} » : valeur inconnue", where, f"choisissez parmi : {', '.join(allowed)}.")
        return value

    periodicite = choice(("periodicite",), data["periodicite"], list(PERIODICITES))
    fmt = choice(("format",), data["format"], FORMATS)
    echelle = choice(("echelle",), data["echelle"], ECHELLES)
    source = str(data.get("source") or f"livraison-{path.stem}")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", source):
        fail(f"identifiant de source « {source} » invalide", ("source",),
             "écrivez un identifiant en minuscules, chiffres et tirets, ex. livraison-caf-pas-de-calais.")
    derniere = data.get("derniere_livraison")
    if derniere is not None and not isinstance(derniere, date):
        fail(f"date de dernière livraison « {derniere} » illisible", ("derniere_livraison",),
             "écrivez la date au format AAAA-MM-JJ, ex. 2024-06-30, ou « null » si rien n'a encore été livré.")
    clauses = _check_clauses(data["clauses_secret"], types, fail)
    if not isinstance(data["fichiers"], list) or not data["fichiers"]:
        fail("« fichiers » doit être une liste non vide", ("fichiers",),
             "décrivez chaque tableau livré sous « fichiers: » en commençant par « - motif: … ».")
    fichiers = tuple(_check_fichier(raw, ("fichiers", i), fmt, echelle, types, fail) for i, raw in enumerate(data["fichiers"]))
    return Convention(source=source, fournisseur=str(data["fournisseur"]), role_contact=str(data["role_contact"]),
                      periodicite=periodicite, format=fmt, echelle=echelle, clauses_secret=clauses,
                      derniere_livraison=derniere.date() if isinstance(derniere, datetime) else derniere,
                      fichiers=fichiers, chemin=str(path))


def _check_clauses(raw, types: dict, fail) -> dict:
    """Secrecy clauses: a text and rules shaped like data/secret/*.yml (thresholds per profile)."""
    here = ("clauses_secret",)
    if not isinstance(raw, dict) or "texte" not in raw:
        fail("« clauses_secret » doit contenir au moins « texte » (la clause de la convention)", here,
             "recopiez la clause de secret de la convention sous « texte: » et ses seuils sous « regles: ».")
    for i, regle in enumerate(raw.get("regles") or []):
        where = here + ("regles", i)
        if not isinstance(regle, dict):
            fail("chaque règle de secret doit être un dictionnaire", where, "commencez la règle par « - id: … ».")
        for key in ("id", "indicateurs", "variable", "seuils"):
            if key not in regle:
                fail(f"règle de secret n° {i + 1} : clé « {key} » manquante", where, f"ajoutez « {key}: … » (voir data/secret/README.md).")
        for j, code in enumerate(regle["indicateurs"] or []):
            if str(code) not in types:
                fail(f"règle de secret : indicateur « {code} » absent du glossaire", where + ("indicateurs", j),
                     "utilisez un code de data/glossaire.yml.")
        seuils = regle["seuils"]
        for profil in PROFILS:
            value = seuils.get(profil) if isinstance(seuils, dict) else None
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                fail(f"règle de secret « {regle['id']} » : seuil « {profil} » manquant ou non numérique", where + ("seuils",),
                     "écrivez « seuils: {public: 5, partenaires: 5} ».")
    return raw


def _check_fichier(raw, here: tuple, fmt: str, echelle: str, types: dict, fail) -> Fichier:
    if not isinstance(raw, dict):
        fail("chaque fichier doit être un dictionnaire", here, "commencez sa description par « - motif: … ».")
    for key in ("colonne_code", "colonnes"):
        if key not in raw:
            fail(f"clé « {key} » manquante pour ce fichier", here, f"ajoutez « {key}: … » à ce fichier.")
    echelle = str(raw.get("echelle", echelle))
    if echelle not in ECHELLES:
        fail(f"échelle « {echelle} » inconnue", here + ("echelle",), f"choisissez parmi : {', '.join(ECHELLES)}.")
    feuille = raw.get("feuille")
    if fmt == "xlsx" and feuille is None:
        fail("feuille non précisée pour un classeur Excel", here, "ajoutez « feuille: <nom de l'onglet> » ou « feuille: 1 » (première feuille).")
    if isinstance(feuille, int) and feuille < 1:
        fail(f"numéro de feuille {feuille} invalide", here + ("feuille",), "les feuilles se comptent à partir de 1.")

    def integer(key: str, default: int, minimum: int) -> int:
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            fail(f"« {key} » doit être un entier d'au moins {minimum}", here + (key,), f"écrivez un nombre entier, ex. {max(default, minimum)}.")
        return value

    annee, colonne_annee, dans_nom = raw.get("annee"), raw.get("colonne_annee"), bool(raw.get("annee_dans_nom", False))
    if sum(x is not None and x is not False for x in (annee, colonne_annee, dans_nom or None)) != 1:
        fail("l'année doit être donnée d'une seule façon", here,
             "écrivez « annee: 2024 », « colonne_annee: <en-tête> » ou « annee_dans_nom: true » (une seule des trois).")
    if annee is not None and (isinstance(annee, bool) or not isinstance(annee, int) or not 1990 <= annee <= 2100):
        fail(f"année « {annee} » invalide", here + ("annee",), "écrivez l'année sur quatre chiffres, ex. 2023.")
    decimale = str(raw.get("decimale", ","))
    if decimale not in (",", "."):
        fail(f"séparateur décimal « {decimale} » inconnu", here + ("decimale",), "écrivez « decimale: ',' » ou « decimale: '.' ».")
    encodage = str(raw.get("encodage", "utf-8-sig"))
    try:
        "é".encode(encodage)
    except LookupError:
        fail(f"encodage « {encodage} » inconnu", here + ("encodage",), "écrivez par exemple utf-8 ou latin-1.")
    cellule_vide = str(raw.get("cellule_vide", "secret"))
    if cellule_vide not in ("secret", "absent"):
        fail(f"« cellule_vide » vaut « {cellule_vide} »", here + ("cellule_vide",), "écrivez secret (par défaut) ou absent.")
    zeros = str(raw.get("zeros_initiaux", "restaurer"))
    if zeros not in ("restaurer", "refuser"):
        fail(f"« zeros_initiaux » vaut « {zeros} »", here + ("zeros_initiaux",), "écrivez restaurer (par défaut) ou refuser.")

    colonnes_raw = raw["colonnes"]
    if not isinstance(colonnes_raw, dict) or not colonnes_raw:
        fail("« colonnes » doit associer des en-têtes à des indicateurs", here + ("colonnes",),
             "écrivez « colonnes: » puis une ligne « En-tête de la colonne: code_indicateur » par colonne.")
    colonnes = []
    for entete, target in colonnes_raw.items():
        where = here + ("colonnes", entete)
        spec = target if isinstance(target, dict) else {"indicateur": target}
        code = str(spec.get("indicateur"))
        if code not in types:
            fail(f"indicateur « {code} » absent du glossaire", where,
                 "ajoutez d'abord l'indicateur à data/glossaire.yml (définition, type, niveaux, sources), ou corrigez son code.")
        kind = types[code]["type"]
        niveaux = types[code]["niveaux"]
        if niveaux and echelle not in niveaux:
            fail(f"l'indicateur « {code} » n'est pas déclaré à l'échelle « {echelle} » dans le glossaire", where,
                 f"ajoutez « {echelle} » à la liste « niveaux » de « {code} » dans data/glossaire.yml.")
        if kind in FACTORS:
            num, den = spec.get("numerateur"), spec.get("denominateur")
            if not num or not den:
                fail(f"« {code} » est un {kind} : il est recalculé à partir de son numérateur et de son dénominateur", where,
                     f"écrivez « {entete}: {{indicateur: {code}, numerateur: <en-tête>, denominateur: <en-tête>}} ».")
            colonnes.append(Colonne(code, kind, None, _norm(num), _norm(den)))
        else:
            colonnes.append(Colonne(code, kind, _norm(entete)))
    return Fichier(
        motif=str(raw.get("motif", "*")), feuille=feuille, echelle=echelle,
        lignes_a_sauter=integer("lignes_a_sauter", 0, 0), lignes_entete=integer("lignes_entete", 1, 1),
        colonne_code=_norm(raw["colonne_code"]), annee=annee, colonne_annee=_norm(colonne_annee) if colonne_annee else None,
        annee_dans_nom=dans_nom, decimale=decimale, separateur=str(raw.get("separateur", ";")), encodage=encodage,
        marques_total=tuple(str(m) for m in raw.get("marques_total", ["Total", "Ensemble"])),
        marques_note=tuple(str(m) for m in raw.get("marques_note", ["Source", "Note", "Champ", "Lecture", "("])),
        marques_secret=tuple(str(m) for m in raw.get("marques_secret", ["s", "secret", "nd"])),
        cellule_vide=cellule_vide, zeros_initiaux=zeros, colonnes=tuple(colonnes),
    )


def load_conventions(folder: Path | str | None = None, glossaire: Path | str | dict | None = None) -> dict[str, Convention]:
    """Every data/conventions/*.yml, by source id."""
    folder = Path(folder or CONVENTIONS_DIR)
    types = glossaire if isinstance(glossaire, dict) else read_glossaire_types(glossaire)
    out: dict[str, Convention] = {}
    for path in sorted(folder.glob("*.yml")):
        conv = load_convention(path, types)
        if conv.source in out:
            raise OsqError(f"source « {conv.source} » déjà déclarée par {out[conv.source].chemin}", fichier=path,
                           correction="donnez à chaque convention un identifiant « source » différent.")
        out[conv.source] = conv
    return out


def fraicheur(conventions: dict[str, Convention] | list[Convention], aujourdhui: date) -> pd.DataFrame:
    """One row per convention: last delivery, next expected delivery, late or not (for a freshness page)."""
    rows = []
    for conv in (conventions.values() if isinstance(conventions, dict) else conventions):
        prochaine = None
        if conv.derniere_livraison is not None:
            prochaine = (pd.Timestamp(conv.derniere_livraison) + pd.DateOffset(months=PERIODICITES[conv.periodicite])).date()
        rows.append({"source": conv.source, "fournisseur": conv.fournisseur, "periodicite": conv.periodicite,
                     "derniere_livraison": conv.derniere_livraison, "prochaine_livraison": prochaine,
                     "en_retard": prochaine is not None and prochaine < aujourdhui})
    return pd.DataFrame(rows, columns=["source", "fournisseur", "periodicite", "derniere_livraison",
                                       "prochaine_livraison", "en_retard"])


# --------------------------------------------------------------------------- reading a delivery


def _norm(text) -> str:
    """Header text with spaces, line breaks and no-break spaces collapsed."""
    return _SPACES.sub(" ", str(text)).strip()


def _letter(j: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(j + 1)


@dataclass
class _Table:
    sheet: str  # ", feuille « IRIS »" for a workbook, "" for a CSV
    rows: list[tuple[int, list]]  # (row number as the user sees it, cell values)


def _read_xlsx(path: Path, spec: Fichier) -> _Table:
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, InvalidFileException) as exc:  # zip or XML error: not a workbook
        raise OsqError(f"classeur Excel illisible ({exc})", fichier=path,
                       correction="enregistrez la livraison au format Excel .xlsx, ou déclarez « format: csv » dans la convention.") from None
    names = wb.sheetnames
    if isinstance(spec.feuille, int):
        if spec.feuille > len(names):
            raise OsqError(f"le classeur n'a que {len(names)} feuille(s) ({', '.join(names)}), pas de feuille n° {spec.feuille}",
                           fichier=path, correction="corrigez « feuille » dans la convention.")
        ws = wb[names[spec.feuille - 1]]
    else:
        match = [n for n in names if _norm(n).casefold() == _norm(spec.feuille).casefold()]
        if not match:
            raise OsqError(f"feuille « {spec.feuille} » absente ; feuilles du classeur : {', '.join(names)}", fichier=path,
                           correction="corrigez « feuille » dans la convention ou renommez l'onglet comme convenu avec le fournisseur.")
        ws = wb[match[0]]
    merged = {}
    for rng in ws.merged_cells.ranges:
        value = ws.cell(rng.min_row, rng.min_col).value
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                merged[(r, c)] = value
    rows = []
    for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
        rows.append((r, [merged.get((r, c), v) for c, v in enumerate(row, start=1)]))
    return _Table(f", feuille « {ws.title} »", rows)


def _read_csv(path: Path, spec: Fichier) -> _Table:
    try:
        with open(path, encoding=spec.encodage, newline="") as fh:
            lines = list(csv.reader(fh, delimiter=spec.separateur))
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise OsqError(f"encodage illisible : le fichier n'est pas en {spec.encodage}", fichier=path, ligne=line,
                       correction="déclarez le bon encodage dans la convention (« encodage: latin-1 » pour un export Excel "
                       "Windows), ou réenregistrez le fichier en UTF-8.") from None
    rows = [(i, list(cells)) for i, cells in enumerate(lines, start=1)]
    # An upper header row of a CSV has no merged cells: a blank cell continues the title on its left.
    first = spec.lignes_a_sauter
    for k in range(first, min(first + spec.lignes_entete - 1, len(rows))):
        cells = rows[k][1]
        for j in range(1, len(cells)):
            if not str(cells[j]).strip():
                cells[j] = cells[j - 1]
    return _Table("", rows)


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _starts(text: str, markers: tuple[str, ...]) -> bool:
    t = text.casefold()
    return any(t.startswith(m.casefold()) for m in markers)


def _headers(table: _Table, spec: Fichier) -> list[str]:
    start, n = spec.lignes_a_sauter, spec.lignes_entete
    header_rows = [cells for _, cells in table.rows[start:start + n]]
    width = max((len(c) for c in header_rows), default=0)
    out = []
    for j in range(width):
        parts: list[str] = []
        for cells in header_rows:
            v = cells[j] if j < len(cells) else None
            if not _blank(v) and (not parts or parts[-1] != _norm(v)):
                parts.append(_norm(v))
        out.append(" / ".join(parts))
    return out


def _column(headers: list[str], name: str, table: _Table, spec: Fichier, path: Path) -> int:
    key = name.casefold()
    for j, h in enumerate(headers):
        if h.casefold() == key:
            return j
    import difflib

    close = difflib.get_close_matches(name, [h for h in headers if h], n=3, cutoff=0.5)
    hint = f" En-têtes proches : {' ; '.join(f'« {c} »' for c in close)}." if close else ""
    first = spec.lignes_a_sauter + 1
    raise OsqError(
        f"colonne « {name} » introuvable dans l'en-tête (lignes {first} à {first + spec.lignes_entete - 1}).{hint} "
        f"En-têtes lus : {' ; '.join(f'{_letter(j)} « {h} »' for j, h in enumerate(headers) if h)}",
        fichier=f"{path}{table.sheet}", ligne=first, colonne=name,
        correction="corrigez l'en-tête dans la convention (les en-têtes fusionnés sur plusieurs lignes s'écrivent "
        "« Haut / Bas »), ou vérifiez « lignes_a_sauter » et « lignes_entete ».")


def _where(table: _Table, headers: list[str], j: int) -> str:
    return f"{_letter(j)} (« {headers[j]} »)"


def _code(value, niveau: str, spec: Fichier, ctx) -> tuple[str, bool]:
    """The territory code as a string; (code, restored) where restored says a lost leading zero was put back."""
    if isinstance(value, bool):
        ctx.fail(f"code {niveau} « {value} » invalide", "reprenez le code du territoire.")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip() if value is not None else ""
    length = CODE_LENGTHS.get(niveau)
    if length and text.isdigit() and len(text) == length - 1:
        if spec.zeros_initiaux == "restaurer":
            return "0" + text, True
        ctx.fail(f"code {niveau} « {text} » à {len(text)} caractères : le zéro initial a été perdu (« 0{text} » attendu). "
                 "Un tableur a sans doute converti les codes en nombres.",
                 "importez la colonne des codes au format Texte, ou déclarez « zeros_initiaux: restaurer » dans la convention.")
    if not re.fullmatch(CODE_PATTERNS[niveau], text):
        what = "vide" if not text else f"« {text} » invalide"
        ctx.fail(f"code {niveau} {what}", f"un code {niveau} s'écrit comme {_example(niveau)} ; corrigez la cellule.")
    return text, False


def _number(value, spec: Fichier, ctx) -> tuple[float, str]:
    """(number, statut) of a cell: blank or secret mark -> (nan, secret|absent); text parsed with the declared decimal."""
    if _blank(value):
        return np.nan, spec.cellule_vide
    if isinstance(value, (bool, datetime, date)):
        ctx.fail(f"valeur « {value} » qui n'est pas un nombre", "saisissez un nombre, ou laissez la cellule vide si la valeur est secrète.")
    if isinstance(value, (int, float)):
        return float(value), "ok"
    text = str(value).strip()
    if text.casefold() in (m.casefold() for m in spec.marques_secret):
        return np.nan, "secret"
    cleaned = _SPACES.sub("", text)
    if spec.decimale == ",":
        if _THOUSANDS_DOT.fullmatch(cleaned) or ("." in cleaned and "," in cleaned):
            ctx.fail(f"nombre « {text} » ambigu : le point n'est pas le séparateur décimal déclaré (virgule)",
                     "écrivez les milliers sans point (espace ou rien) et les décimales avec une virgule.")
        cleaned = cleaned.replace(",", ".")
    elif "," in cleaned:
        ctx.fail(f"nombre « {text} » avec une virgule, alors que la convention déclare le point décimal",
                 "corrigez « decimale » dans la convention ou la cellule.")
    try:
        return float(cleaned), "ok"
    except ValueError:
        ctx.fail(f"valeur non numérique « {text} » dans une colonne de nombres",
                 "saisissez un nombre (virgule décimale acceptée) ou laissez la cellule vide si la valeur est secrète ; "
                 f"les marques de secret reconnues sont : {', '.join(spec.marques_secret)}.")


class _Where:
    """Locates errors: file, sheet, row as the user sees it, column letter and header."""

    def __init__(self, path: Path, table: _Table, headers: list[str]):
        self.path, self.table, self.headers = path, table, headers
        self.row: int | None = None
        self.col: int | None = None

    def fail(self, message: str, correction: str):
        colonne = _where(self.table, self.headers, self.col) if self.col is not None else None
        raise OsqError(message, fichier=f"{self.path}{self.table.sheet}", ligne=self.row, colonne=colonne, correction=correction)


def _read_table(path: Path, spec: Fichier, conv: Convention) -> tuple[pd.DataFrame, dict]:
    table = _read_xlsx(path, spec) if conv.format == "xlsx" else _read_csv(path, spec)
    headers = _headers(table, spec)
    if not any(headers):
        raise OsqError(f"ligne d'en-tête vide (ligne {spec.lignes_a_sauter + 1})", fichier=f"{path}{table.sheet}",
                       ligne=spec.lignes_a_sauter + 1,
                       correction="vérifiez « lignes_a_sauter » (lignes de titre au-dessus de l'en-tête) dans la convention.")
    j_code = _column(headers, spec.colonne_code, table, spec, path)
    j_year = _column(headers, spec.colonne_annee, table, spec, path) if spec.colonne_annee else None
    needed = {h: _column(headers, h, table, spec, path) for col in spec.colonnes for h in col.entetes()}
    fixed_year = spec.annee
    if spec.annee_dans_nom:
        found = re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", path.stem)
        if len(found) != 1:
            raise OsqError(f"année introuvable (ou ambiguë) dans le nom du fichier « {path.name} »", fichier=path,
                           correction="nommez la livraison avec son année, ex. allocataires_2023.xlsx, ou déclarez « annee: » dans la convention.")
        fixed_year = int(found[0])

    ctx = _Where(path, table, headers)
    rejets: dict[str, int] = {}
    remarques: dict[str, int] = {}
    records, seen = [], {}
    lues, in_notes = 0, False
    for rownum, cells in table.rows[spec.lignes_a_sauter + spec.lignes_entete:]:
        if all(_blank(v) for v in cells):
            continue
        lues += 1
        first_text = _norm(next(v for v in cells if not _blank(v)))
        if in_notes or _starts(first_text, spec.marques_note):
            in_notes = True
            rejets["note sous le tableau"] = rejets.get("note sous le tableau", 0) + 1
            continue
        code_cell = cells[j_code] if j_code < len(cells) else None
        if _starts(first_text, spec.marques_total) or (isinstance(code_cell, str) and _starts(_norm(code_cell), spec.marques_total)):
            rejets["ligne de total"] = rejets.get("ligne de total", 0) + 1
            continue
        ctx.row, ctx.col = rownum, j_code
        code, restored = _code(code_cell, spec.echelle, spec, ctx)
        if restored:
            remarques["codes complétés d'un zéro initial"] = remarques.get("codes complétés d'un zéro initial", 0) + 1
        if fixed_year is not None:
            year = fixed_year
        else:
            ctx.col = j_year
            raw_year = cells[j_year] if j_year < len(cells) else None
            value, _ = _number(raw_year, spec, ctx)
            if not (not math.isnan(value) and float(value).is_integer() and 1990 <= value <= 2100):
                ctx.fail(f"année « {raw_year} » invalide", "écrivez l'année sur quatre chiffres, ex. 2023.")
            year = int(value)
        if (code, year) in seen:
            ctx.col = j_code
            ctx.fail(f"code « {code} » en double pour {year} (lignes {seen[(code, year)]} et {rownum})",
                     "supprimez la ligne en trop : chaque territoire ne figure qu'une fois par année.")
        seen[(code, year)] = rownum
        values = {}
        for h, j in needed.items():
            ctx.col = j
            values[h] = _number(cells[j] if j < len(cells) else None, spec, ctx)
        records.append((code, year, values))
    obs = [_observation(code, year, values, col, spec.echelle) for code, year, values in records for col in spec.colonnes]
    frame = pd.DataFrame(obs, columns=["code", "niveau", "indicateur", "annee", "valeur", "numerateur", "denominateur", "statut"])
    report = {"fichier": f"{path.name}{table.sheet}", "lignes_lues": lues, "lignes_gardees": len(records),
              "lignes_rejetees": lues - len(records), "raisons": rejets, "remarques": remarques,
              "observations": len(frame)}
    return frame, report


def _observation(code: str, year: int, values: dict, col: Colonne, niveau: str) -> dict:
    """One stored observation; a rate is recomputed from its parts, a missing part is never 0."""
    row = {"code": code, "niveau": niveau, "indicateur": col.indicateur, "annee": year}
    if col.entete:
        value, statut = values[col.entete]
        numerateur = value if col.type == "compte" else np.nan
        return {**row, "valeur": value, "numerateur": numerateur, "denominateur": np.nan, "statut": statut}
    (num, s_num), (den, s_den) = values[col.numerateur], values[col.denominateur]
    if s_num != "ok" or s_den != "ok" or den <= 0:
        statut = s_num if s_num != "ok" else (s_den if s_den != "ok" else "absent")
        # No numerator next to a secret value: it would reveal it.
        return {**row, "valeur": np.nan, "numerateur": np.nan, "denominateur": den if s_den == "ok" else np.nan, "statut": statut}
    return {**row, "valeur": num / den * FACTORS[col.type], "numerateur": num, "denominateur": den, "statut": "ok"}


def read_delivery(convention: Convention, path: Path | str) -> tuple[pd.DataFrame, list[dict]]:
    """Read every table the convention declares for this file: (observations, load report rows).

    The observations have the store's columns (source = the convention's source id).
    """
    path = Path(path)
    if not path.is_file():
        raise OsqError("fichier de livraison introuvable", fichier=path, correction="vérifiez le chemin du fichier livré.")
    suffix = path.suffix.lower().lstrip(".")
    if suffix != convention.format:
        raise OsqError(f"la convention {Path(convention.chemin).name} attend un fichier {convention.format}, "
                       f"pas un fichier .{suffix}", fichier=path,
                       correction=f"demandez la livraison au format {convention.format} ou corrigez « format » dans la convention.")
    specs = [f for f in convention.fichiers if fnmatch.fnmatch(path.name.casefold(), f.motif.casefold())]
    if not specs:
        raise OsqError(f"aucun tableau de la convention ne correspond à « {path.name} » "
                       f"(motifs : {', '.join(f.motif for f in convention.fichiers)})", fichier=path,
                       correction="renommez la livraison comme convenu, ou ajoutez son « motif » dans la convention.")
    frames, report = [], []
    for spec in specs:
        frame, row = _read_table(path, spec, convention)
        frames.append(frame)
        report.append(row)
    obs = pd.concat(frames, ignore_index=True)
    obs["source"] = convention.source
    obs["cog"] = None
    obs["estime"] = False
    return store.normalise_observations(obs), report


def ingest_delivery(con, convention: Convention, path: Path | str) -> list[dict]:
    """Read a delivery and write it in one transaction, with its load report (table chargements).

    A delivery replaces only what it delivers (same source, indicator, level and year): earlier
    years of a periodic delivery stay. Nothing is written when the file is invalid.
    """
    obs, report = read_delivery(convention, path)
    # Codes of another vintage or mistyped are kept (the partner's figure is real) but reported.
    known = {r[0] for r in con.execute("SELECT DISTINCT code FROM territoires WHERE niveau IN (SELECT UNNEST(?))",
                                       [sorted(obs["niveau"].unique())]).fetchall()}
    unknown = len(set(obs["code"]) - known)
    if known and unknown and report:
        report[0]["remarques"]["codes absents du référentiel des territoires"] = unknown
    keys = obs[["indicateur", "niveau", "annee"]].drop_duplicates()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with store.transaction(con):
        con.register("_osq_keys", keys)
        try:
            con.execute("DELETE FROM observations o WHERE source = ? AND EXISTS (SELECT 1 FROM _osq_keys k WHERE "
                        "k.indicateur = o.indicateur AND k.niveau = o.niveau AND k.annee = o.annee)", [convention.source])
        finally:
            con.unregister("_osq_keys")
        con.register("_osq_frame", obs)
        try:
            cols = ", ".join(store.OBS_COLUMNS)
            con.execute(f"INSERT INTO observations ({cols}) SELECT {cols} FROM _osq_frame")
        finally:
            con.unregister("_osq_frame")
        for row in report:
            con.execute("DELETE FROM chargements WHERE source = ? AND fichier = ?", [convention.source, row["fichier"]])
            con.execute("INSERT INTO chargements VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [convention.source, row["fichier"], row["lignes_lues"], row["lignes_gardees"], row["lignes_rejetees"],
                         json.dumps(row["raisons"], ensure_ascii=False), row["observations"], now])
    return report

"""Partner deliveries (Excel .xlsx or CSV) read as their provider convention declares, without new code.

A convention (data/conventions/<fournisseur>.yml) says who delivers what, how often, at which
geographic scale and under which secrecy clauses, and how to read each delivered table: sheet,
rows above the header, header rows (merged cells), code column, year, decimal mark, encoding,
total-row and footnote markers, and which column feeds which glossary indicator.

Rates are never read from the delivery: they are recomputed from their numerator and denominator
columns. A blank or secret-marked cell is stored as missing with the status 'secret' (or 'absent'
when the convention says blanks mean "not available"), never as 0.

The conventions themselves are read and validated by `osq_utils.catalogues.conventions`.
"""

from __future__ import annotations

import csv
import difflib
import fnmatch
import json
import math
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import NoReturn, cast

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from osq_utils import store
from osq_utils.catalogues.conventions import ESPACES as _SPACES
from osq_utils.catalogues.conventions import Colonne, Convention, Fichier
from osq_utils.catalogues.conventions import normalise_entete as _norm
from osq_utils.catalogues.glossaire import FACTEURS, load_glossaire
from osq_utils.errors import OsqError
from osq_utils.ingest.garde import Provenance, controler_valeurs
from osq_utils.ingest.tabular import CODE_LENGTHS, CODE_PATTERNS, _example

_THOUSANDS_DOT = re.compile(r"-?\d{1,3}(\.\d{3})+")


# --------------------------------------------------------------------------- reading a delivery


def _letter(j: int) -> str:
    return get_column_letter(j + 1)


@dataclass
class _Table:
    sheet: str  # ", feuille « IRIS »" for a workbook, "" for a CSV
    rows: list[tuple[int, list]]  # (row number as the user sees it, cell values)


def _read_xlsx(path: Path, spec: Fichier) -> _Table:
    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, InvalidFileException) as exc:  # zip or XML error: not a workbook
        raise OsqError(f"classeur Excel illisible ({exc})", fichier=path,
                       correction="enregistrez la livraison au format Excel .xlsx, ou déclarez « format: csv » "
                                  "dans la convention.") from None
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


_NOMS_SEPARATEURS = {";": "le point-virgule « ; »", ",": "la virgule « , »", "\t": "la tabulation", "|": "la barre « | »"}


def _cause_probable(headers: list[str], name: str, spec: Fichier) -> tuple[str, str] | None:
    """Why a CSV header misses an expected column, when the file says it: another separator or encoding."""
    text = " ".join(headers)
    if "\x00" in text:
        return (f"le fichier semble encodé en UTF-16 (octets nuls), alors que la convention déclare {spec.encodage}",
                "réenregistrez le fichier en UTF-8 ou en latin-1 (« CSV » dans Excel), et déclarez cet encodage "
                "dans la convention (« encodage: »).")
    for sep, label in _NOMS_SEPARATEURS.items():
        if sep != spec.separateur and any(name.casefold() in _norm(p).casefold() for h in headers
                                          for p in h.split(sep) if sep in h):
            return (f"le fichier est séparé par {label}, alors que la convention déclare "
                    f"{_NOMS_SEPARATEURS.get(spec.separateur, spec.separateur)}",
                    f"déclarez « separateur: \"{sep}\" » dans la convention si le fournisseur livre désormais ainsi, "
                    "ou demandez le fichier au format convenu.")
    if spec.encodage.replace("-", "").lower() != "utf8":
        try:
            as_utf8 = text.encode(spec.encodage).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            as_utf8 = None
        if as_utf8 is not None and as_utf8 != text and name.casefold() in _norm(as_utf8).casefold():
            return (f"le fichier est encodé en UTF-8, alors que la convention déclare {spec.encodage} "
                    f"(les accents se lisent « {next(w for w in text.split() if w not in as_utf8.split())} »)",
                    "déclarez « encodage: utf-8 » dans la convention si le fournisseur livre désormais en UTF-8, "
                    f"ou demandez le fichier en {spec.encodage}.")
    return None


def _column(headers: list[str], name: str, table: _Table, spec: Fichier, path: Path) -> int:
    key = name.casefold()
    for j, h in enumerate(headers):
        if h.casefold() == key:
            return j
    cause = _cause_probable(headers, name, spec) if not table.sheet else None
    if cause:
        message, correction = cause
        raise OsqError(f"colonne « {name} » introuvable : {message}", fichier=f"{path}{table.sheet}",
                       ligne=spec.lignes_a_sauter + 1, colonne=name, correction=correction)
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


def _code(value, niveau: str, spec: Fichier, ctx: _Where) -> tuple[str, bool]:
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


def _number(value, spec: Fichier, ctx: _Where) -> tuple[float, str]:
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

    def fail(self, message: str, correction: str) -> NoReturn:
        colonne = _where(self.table, self.headers, self.col) if self.col is not None else None
        raise OsqError(message, fichier=f"{self.path}{self.table.sheet}", ligne=self.row, colonne=colonne, correction=correction)


CORRECTION_LIVRAISON = ("corrigez la cellule, ou demandez au fournisseur une livraison corrigée : rien n'a été "
                        "chargé, la base garde les livraisons précédentes.")


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
                           correction="nommez la livraison avec son année, ex. allocataires_2023.xlsx, ou déclarez "
                                      "« annee: » dans la convention.")
        fixed_year = int(found[0])

    ctx = _Where(path, table, headers)
    glossaire = load_glossaire()
    rejets: dict[str, int] = {}
    remarques: dict[str, int] = {}
    records = []
    seen: dict[tuple[str, int], int] = {}
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
            j = cast(int, j_year)  # no fixed year: the convention declares « colonne_annee »
            ctx.col = j
            raw_year = cells[j] if j < len(cells) else None
            value, _ = _number(raw_year, spec, ctx)
            if not (not math.isnan(value) and float(value).is_integer()):
                ctx.fail(f"année « {raw_year} » invalide", "écrivez l'année sur quatre chiffres, ex. 2023.")
            year = int(value)
        first, last = spec.annees_possibles()
        if not first <= year <= last:
            when = "dans le futur" if year > last else f"antérieure à {first}"
            ctx.fail(f"année {year} impossible ({when}) : une livraison porte sur les années {first} à {last}",
                     "corrigez l'année (colonne, nom du fichier ou « annee: » de la convention) ; pour une série plus "
                     "ancienne, déclarez « premiere_annee: » dans la convention.")
        if (code, year) in seen:
            ctx.col = j_code
            ctx.fail(f"code « {code} » en double pour {year} (lignes {seen[(code, year)]} et {rownum})",
                     "supprimez la ligne en trop : chaque territoire ne figure qu'une fois par année.")
        seen[(code, year)] = rownum
        values = {}
        for h, j in needed.items():
            ctx.col = j
            values[h] = _number(cells[j] if j < len(cells) else None, spec, ctx)
        records.append((code, year, values, rownum))
    columns = ["code", "niveau", "indicateur", "annee", "valeur", "numerateur", "denominateur", "statut"]
    frames = []
    lignes = np.array([r[3] for r in records], dtype="int64")
    for col in spec.colonnes:
        part = pd.DataFrame([_observation(code, year, values, col, spec.echelle) for code, year, values, _ in records],
                            columns=columns)
        def head(h: str | None) -> str | None:
            return _where(table, headers, needed[h]) if h else None

        prov = Provenance(colonne=head(col.entete) or head(col.numerateur), lignes=lignes,
                          numerateur=head(col.numerateur) or head(col.entete), denominateur=head(col.denominateur),
                          fichier=f"{path}{table.sheet}")
        controler_valeurs(part, glossaire, prov, entiers=not spec.effectifs_ponderes, correction=CORRECTION_LIVRAISON)
        frames.append(part)
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
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
    return {**row, "valeur": num / den * FACTEURS[col.type], "numerateur": num, "denominateur": den, "statut": "ok"}


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

"""Write realistic partner deliveries at test time, with values cut from real published files.

Nothing here invents a figure: the callers pass values read from the store built from the mirror
(or from the mirror's CSV files). These helpers only reproduce the shape of real deliveries: title
rows, merged header rows, several sheets, codes stored as numbers, French decimal commas, latin-1
CSV, totals rows and footnotes under the table.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from openpyxl import Workbook

NNBSP = "\u202f"


def _blank_if_nan(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _as_number_code(code: str) -> int:
    """A code as a spreadsheet stores it once typed as a number: 010040101 -> 10040101."""
    return int(code)


def _french(value: float, decimals: int | None = None) -> str:
    """12345.678 -> '12 345,678' (narrow no-break space, decimal comma), as French exports write it."""
    text = f"{value:,.{decimals}f}" if decimals is not None else f"{value:,}"
    return text.replace(",", NNBSP).replace(".", ",")


def write_caf_workbook(path: Path, year: int, rows: list[dict]) -> Path:
    """A CAF-style workbook: 'Lisez-moi', 'Allocataires' (two merged header rows), 'Ressources'.

    rows: dicts code, libelle, allocataires, rsa, aah, logement, dependants (NaN = secret).
    """
    wb = Workbook()
    notice = wb.active
    notice.title = "Lisez-moi"
    notice["A1"] = f"Livraison CAF : allocataires par IRIS au 31 décembre {year}"
    notice["A3"] = "Les cellules vides ou marquées « s » sont soumises au secret statistique."

    ws = wb.create_sheet("Allocataires")
    ws["A1"] = f"Allocataires CAF par IRIS au 31/12/{year}"
    # Header on rows 3-4, merged like a hand-made table.
    ws["A3"], ws["B3"], ws["C3"], ws["F3"] = "Code IRIS", "Libellé IRIS", "Foyers allocataires", "Allocataires d'une\naide au logement (1)"
    ws["C4"], ws["D4"], ws["E4"] = "Ensemble", "dont RSA", "dont AAH"
    for rng in ("A3:A4", "B3:B4", "C3:E3", "F3:F4"):
        ws.merge_cells(rng)
    r = 5
    for row in rows:
        allocataires = _blank_if_nan(row["allocataires"])
        # Some counts typed as text with a thousands space, as a copy-paste from a PDF leaves them.
        if allocataires is not None and allocataires >= 1000:
            allocataires = _french(int(allocataires))
        rsa = _blank_if_nan(row["rsa"])
        ws.append([_as_number_code(row["code"]), row["libelle"], allocataires, "s" if rsa is None else rsa,
                   _blank_if_nan(row["aah"]), _blank_if_nan(row["logement"])])
        r += 1
    ws.append(["Total", None, None, None, None, None])  # totals row (left empty: it is rejected anyway)
    ws.append([])
    ws.append([f"Source : CAF, fichier des allocataires au 31/12/{year}."])
    ws.append(["(1) ALF, ALS ou APL."])

    res = wb.create_sheet("Ressources")
    res["A1"] = "Allocataires selon la part des prestations dans leurs ressources"
    res.append([])
    res.append(["Code IRIS", "Allocataires", "Allocataires dont les prestations font 50 % ou plus des ressources",
                "Part des allocataires dépendants à 50 % ou plus"])
    for row in rows:
        alloc, dep = _blank_if_nan(row["allocataires"]), _blank_if_nan(row["dependants"])
        part = _french(dep / alloc * 100, 1) if alloc and dep is not None else "s"
        res.append([_as_number_code(row["code"]), alloc, dep, part])
    res.append(["Ensemble", None, None, None])
    res.append(["Champ : foyers allocataires percevant au moins une prestation."])
    wb.save(path)
    return path


def write_single_sheet(path: Path, sheet: str, header: list[str], rows: list[list], title: str | None = None) -> Path:
    """A one-sheet workbook: optional title row and blank row, one header row, the rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append([title])
        ws.append([])
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def write_csv_latin1(path: Path, header: list[str], rows: list[list], notes: list[str] = (), decimals: int | None = None) -> Path:
    """A ';' CSV in latin-1 (Excel on Windows): numbers with a decimal comma, footnotes under the table."""
    def cell(v):
        if isinstance(v, float):
            return "" if math.isnan(v) else _french(v, decimals).replace(NNBSP, "")
        return v

    with open(path, "w", encoding="latin-1", newline="") as fh:
        out = csv.writer(fh, delimiter=";")
        out.writerow(header)
        for row in rows:
            out.writerow([cell(v) for v in row])
        out.writerow([])
        for note in notes:
            out.writerow([note])
    return path

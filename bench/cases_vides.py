"""Share of empty value cells in the tables of published notes (issue: every comparison filled).

A value cell is a cell of a table body outside the label columns (theme, indicator, year, territory, rank).
It is empty when it reads a mark instead of a figure: « s » (secret), « np » (not published by the producer at
that level), « nd » (absent from the observatory's sources), « - » or nothing. Counts each mark, and the number
of distinct indicators the note's tables compare.

Usage:
  python bench/cases_vides.py rapports/capso/site communale-62040 communale-62765 epci-200069037
  python bench/cases_vides.py rapports/capso/site --tout          # every note of the site
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from bs4 import BeautifulSoup

LABELS = {"thème", "indicateur", "année", "territoire", "commune", "rang", "quartier", "iris", "indicateur (année)"}
MARKS = {"s", "np", "nd", "-", ""}


def mesurer(page: Path) -> dict:
    """Cells, empty cells by mark, and indicators compared, over every table of one page."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    marks: Counter[str] = Counter()
    cells = 0
    indicateurs: set[str] = set()
    for table in soup.find_all("table"):
        heads = [th.get_text(" ", strip=True).lower() for th in table.select("thead tr:last-child th")]
        for tr in table.select("tbody tr"):
            tds = tr.find_all(["td", "th"])
            if len(tds) <= 1:  # a group heading row (theme)
                continue
            # Label columns spanning the header rows (rowspan) are missing from the last header row.
            offset = max(0, len(tds) - len(heads))
            for i, td in enumerate(tds):
                head = "territoire" if i < offset else heads[i - offset]
                text = td.get_text(" ", strip=True)
                if head in LABELS:
                    if head.startswith("indicateur") and text:
                        indicateurs.add(text)
                    continue
                cells += 1
                if text in MARKS:
                    marks[text or "(vide)"] += 1
    vides = sum(marks.values())
    return {"cellules": cells, "vides": vides, "part": vides / cells if cells else 0.0, "marques": dict(marks),
            "indicateurs": len(indicateurs)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", type=Path, help="dossier du site construit (…/site)")
    parser.add_argument("notes", nargs="*", help="identifiants des notes (nom du fichier sans .html)")
    parser.add_argument("--tout", action="store_true", help="toutes les notes du site")
    args = parser.parse_args(argv)
    pages = sorted((args.site / "notes").glob("*.html")) if args.tout else [
        args.site / "notes" / f"{n}.html" for n in args.notes]
    total = Counter()
    for page in pages:
        if not page.exists():
            print(f"Erreur : page absente {page}", file=sys.stderr)
            return 2
        m = mesurer(page)
        total.update({"cellules": m["cellules"], "vides": m["vides"]})
        detail = ", ".join(f"{k} {v}" for k, v in sorted(m["marques"].items()))
        print(f"{page.stem:45} {m['vides']:4}/{m['cellules']:4} cases vides = {m['part']:5.1%} "
              f"({detail or 'aucune'}) ; {m['indicateurs']} indicateurs comparés")
    if len(pages) > 1 and total["cellules"]:
        print(f"{'ensemble':45} {total['vides']:4}/{total['cellules']:4} = {total['vides'] / total['cellules']:5.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

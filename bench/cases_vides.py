"""Share of empty value cells in the tables of published notes (issue: every comparison filled).

A value cell is a cell of a table body outside the label columns (theme, indicator, year, territory, rank).
It is empty when it reads a mark instead of a figure: « s » (secret), « np » (not published by the producer at
that level), « nd » (absent from the observatory's sources), « - » or nothing. Counts each mark, and the number
of distinct indicators the note's tables compare.

The table of a note's figures that no reference territory has (id « osq-sc-… », present.tables
.tableau_sans_comparaison) compares nothing: its cells are counted apart (« hors comparaison »), and its
indicators are not counted as compared. « à l'ancienne » gives the share as if each of its rows were still a row
of the comparison table, its reference cells empty (as many as the note's first comparison table has).

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
    hors, references = 0, 0
    for table in soup.find_all("table"):
        holder = table.find_parent(id=True)
        if holder is not None and holder["id"].startswith("osq-sc-"):
            hors += len(table.select("tbody tr td:last-child"))
            continue
        heads = [th.get_text(" ", strip=True).lower() for th in table.select("thead tr:last-child th")]
        if not references and "année" in heads:  # the first comparison table: its territory columns
            references = len(heads) - heads.index("année") - 2
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
    ancien = (vides + hors * references) / (cells + hors * (references + 1)) if cells + hors else 0.0
    return {"cellules": cells, "vides": vides, "part": vides / cells if cells else 0.0, "marques": dict(marks),
            "indicateurs": len(indicateurs), "hors": hors, "ancien": ancien}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", type=Path, help="dossier du site construit (…/site)")
    parser.add_argument("notes", nargs="*", help="identifiants des notes (nom du fichier sans .html)")
    parser.add_argument("--tout", action="store_true", help="toutes les notes du site")
    args = parser.parse_args(argv)
    pages = sorted((args.site / "notes").glob("*.html")) if args.tout else [
        args.site / "notes" / f"{n}.html" for n in args.notes]
    total = Counter()
    par_type: dict[str, Counter] = {}
    for page in pages:
        if not page.exists():
            print(f"Erreur : page absente {page}", file=sys.stderr)
            return 2
        m = mesurer(page)
        total.update({"cellules": m["cellules"], "vides": m["vides"]})
        par_type.setdefault(page.stem.split("-")[0], Counter()).update(
            {"cellules": m["cellules"], "vides": m["vides"], "notes": 1})
        detail = ", ".join(f"{k} {v}" for k, v in sorted(m["marques"].items()))
        print(f"{page.stem:45} {m['vides']:4}/{m['cellules']:4} cases vides = {m['part']:5.1%} "
              f"({detail or 'aucune'}) ; {m['indicateurs']} indicateurs comparés ; {m['hors']} chiffres hors "
              f"comparaison (à l'ancienne : {m['ancien']:5.1%})")
    if len(par_type) > 1:
        for kind, c in sorted(par_type.items()):
            if c["cellules"]:
                print(f"{'type ' + kind + ' (' + str(c['notes']) + ' notes)':45} {c['vides']:4}/{c['cellules']:4} = "
                      f"{c['vides'] / c['cellules']:5.1%}")
    if len(pages) > 1 and total["cellules"]:
        print(f"{'ensemble':45} {total['vides']:4}/{total['cellules']:4} = {total['vides'] / total['cellules']:5.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

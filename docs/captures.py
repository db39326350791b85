"""Screenshots of a built site, one per kind of note, for the documentation (docs/captures/).

Usage: python docs/captures.py rapports/capso/site [--chromium /usr/bin/chromium]
Takes the index and the first note of each kind (slug prefix), full page, 1200 px wide.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

KINDS = ["communale", "quartier", "epci", "abs", "evaluation"]


def main() -> None:
    parser = argparse.ArgumentParser(description="Captures d'écran du site publié")
    parser.add_argument("site", type=Path, help="dossier du site, par exemple rapports/capso/site")
    parser.add_argument("--sortie", type=Path, default=Path(__file__).parent / "captures")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    pages = {"index": args.site / "index.html"}
    for kind in KINDS:
        found = sorted((args.site / "notes").glob(f"{kind}-*.html"))
        if found:
            pages[kind] = found[0]
    args.sortie.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        for name, path in pages.items():
            page.goto(path.resolve().as_uri())
            page.screenshot(path=str(args.sortie / f"{name}.png"), full_page=True)
            print(f"{name}: {path.name}")
        browser.close()


if __name__ == "__main__":
    main()

"""Open a région's built site in headless Chromium and reach communes from its home page (issue 18, « done when »):
three clicks (département, intercommunality, commune) for a sample of communes of every département, one search
for others, and the map of intercommunalities to an EPCI note and on to one of its communes.

Usage (after `python bench/bench_build.py --params params/hauts-de-france.yml --garder /tmp/region`, or
`osq build params/hauts-de-france.yml --sortie /tmp/region`):
  python bench/verifier_site_region.py /tmp/region/hauts-de-france/site --par-departement 5
Prints each path taken and its time; exit code 1 if a commune cannot be reached.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from navigateur import chromium, serve  # noqa: E402  (the tests' Chromium and local server)

from osq_utils import store as st  # noqa: E402
from osq_utils.batch.plan import plan as make_plan  # noqa: E402
from osq_utils.catalogues.racine import PROJECT_ROOT  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description="Parcours du site d'une région dans Chromium")
    parser.add_argument("site", type=Path)
    parser.add_argument("--params", default=str(PROJECT_ROOT / "params" / "hauts-de-france.yml"))
    parser.add_argument("--par-departement", type=int, default=5)
    args = parser.parse_args()
    con = st.connect(str(st.store_path()), read_only=True)
    plan = make_plan(con, args.params)
    con.close()
    par_dep: dict[str, list] = {}
    for code, (dep, dep_nom, epci, epci_nom) in sorted(plan.rubriques.items()):
        par_dep.setdefault(dep, []).append((code, dep_nom, epci, epci_nom))
    libelle = {j.code: j.libelle for j in plan.jobs if j.modele == "note_communale"}
    echecs = 0
    with chromium() as browser, serve(args.site) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for dep, items in par_dep.items():
            pas = max(1, len(items) // args.par_departement)
            for code, dep_nom, _epci, epci_nom in items[::pas][: args.par_departement]:
                nom = f"{libelle[code]} ({code})".replace("'", "’")  # the page prints French apostrophes
                t = time.perf_counter()
                try:  # three clicks
                    page.goto(url + "index.html")
                    page.locator("summary", has_text=f"{dep_nom} ({dep})").first.click()
                    page.locator("details[open] summary", has_text=epci_nom).first.click()
                    page.get_by_role("link", name=nom, exact=True).first.click()
                    page.wait_for_url(f"**/notes/communale-{code}.html", timeout=10_000)
                    assert nom.rsplit(" (", 1)[0] in page.locator("h1").first.inner_text().replace("'", "’")
                    clics = time.perf_counter() - t
                    t = time.perf_counter()  # one search, by code
                    page.goto(url + "index.html")
                    page.locator("#filtre-notes").fill(code)
                    page.get_by_role("link", name=nom, exact=True).first.click()
                    page.wait_for_url(f"**/notes/communale-{code}.html", timeout=10_000)
                    print(f"{dep} {nom} : 3 clics {clics:.1f} s, une recherche {time.perf_counter() - t:.1f} s")
                except Exception as exc:  # noqa: BLE001 - reported, counted, the next commune tried
                    echecs += 1
                    print(f"{dep} {nom} : ÉCHEC {type(exc).__name__} : {str(exc).splitlines()[0]}")
        # The map of intercommunalities: the first EPCI leads to its note, whose map leads to a commune.
        page.goto(url + "index.html")
        zone = page.locator("#carte-accueil a.osq-couche-epci").first
        epci = zone.get_attribute("data-osq-code")
        zone.click()
        page.wait_for_url(f"**/notes/epci-{epci}.html")
        commune = page.locator("a.osq-couche-commune").first
        code = commune.get_attribute("data-osq-code")
        commune.click()
        page.wait_for_url(f"**/notes/communale-{code}.html")
        print(f"carte : intercommunalité {epci} puis commune {code}")
    print(f"{echecs} commune(s) non atteinte(s)")
    return 1 if echecs else 0


if __name__ == "__main__":
    sys.exit(main())

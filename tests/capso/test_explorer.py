"""A reader explores the published site (issue 17), in a real headless Chromium, with pandoc and with Quarto.

The five-note build of tests/capso/conftest.py (one note of each kind, both profiles) on the CAPSO store cut
from the mirror: the reader enters by the home page's map (clicks Arques and lands on its note), reads a value
by hover and by keyboard focus, on the home map and in the note's map and evolution chart, follows the
« Données » links, compares Arques with Longuenesse on the comparison page, and the browser asks nothing
outside the site (Playwright's request log). The values read are checked against the published CSV export.
"""

from __future__ import annotations

import csv
import re

import pytest
from navigateur import chromium, serve
from sites_essai import DOSSIERS_PROFILS

from osq_utils.catalogues.glossaire import load_glossaire
from osq_utils.present import fr

pytestmark = pytest.mark.slow

ARQUES, LONGUENESSE = "62040", "62525"


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _chiffres(site) -> list[dict]:
    with open(site / "donnees" / "chiffres.csv", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def _derniere(rows: list[dict], code: str, indicateur: str) -> dict:
    own = [r for r in rows if r["code"] == code and r["indicateur"] == indicateur and r["niveau"] == "commune"]
    ok = [r for r in own if r["statut"] == "ok"]
    return max(ok or own, key=lambda r: int(r["annee"]))


def _attendu(row: dict, indicateur: str) -> str:
    """The published figure as a reader reads it (French format, the glossary's unit), spaces as the page's text
    gives them to a reader (inner_text, split on any space)."""
    ind = load_glossaire()[indicateur]
    if row["statut"] != "ok":
        return fr.MARQUE_SECRET if row["statut"] == "secret" else fr.MARQUE_ABSENT
    return " ".join(fr.valeur(float(row["valeur"].replace(",", ".")), ind.unite,
                              fr.precision(None, ind.decimales)).split())


def _infobulle(page) -> str:
    bulle = page.locator(".osq-infobulle")
    bulle.wait_for(state="visible", timeout=5000)
    return " ".join(bulle.inner_text().split())


def _tab_jusqua(page, predicate_js: str, limite: int = 400) -> bool:
    for _ in range(limite):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!el && ({predicate_js}); }}"):
            return True
    return False


@pytest.mark.parametrize("profil", ["public", "partenaires"])
def test_reader_enters_by_the_map_reads_values_and_compares(cinq_notes, browser, profil):
    site = cinq_notes / DOSSIERS_PROFILS[profil]
    rows = _chiffres(site)
    revenu = _attendu(_derniere(rows, ARQUES, "revenu_median"), "revenu_median")
    with serve(site) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        requests: list[str] = []
        erreurs: list[str] = []
        page.on("request", lambda req: requests.append(req.url))
        page.on("pageerror", lambda exc: erreurs.append(str(exc)))
        page.goto(base + "index.html")

        # The home map: Arques by hover, then by keyboard focus; its value is the published one.
        arques = page.locator(f'#carte-accueil [data-osq-code="{ARQUES}"]').first
        arques.hover()
        texte = _infobulle(page)
        assert texte.startswith("Arques") and revenu in texte, (texte, revenu)
        page.mouse.move(0, 0)
        page.locator("body").click(position={"x": 1, "y": 1})
        assert _tab_jusqua(page, f'el.getAttribute("data-osq-code") === "{ARQUES}" || '
                                 f'!!el.querySelector && !!el.querySelector(\'[data-osq-code="{ARQUES}"]\')'), \
            "Arques n'est pas atteinte au clavier sur la carte"
        assert revenu in _infobulle(page)
        # The map's table (its keyboard and screen-reader equivalent) says the same.
        page.locator("#carte-accueil .osq-donnees").first.click()
        ligne = page.locator("#carte-accueil-donnees tr", has_text="Arques").first
        assert revenu in " ".join(ligne.inner_text().split())

        # Clicking Arques on the map opens its note.
        page.goto(base + "index.html")
        page.locator(f'#carte-accueil a[data-osq-code="{ARQUES}"]').first.click()
        page.wait_for_load_state()
        assert page.url.endswith("notes/communale-62040.html"), page.url
        assert "Arques" in page.locator("h1").first.inner_text()

        # In the note: the map and the evolution chart show their values on hover and on focus.
        carte = page.locator("#fig-carte [data-osq-info]").first
        carte.hover()
        assert _infobulle(page)
        point = page.locator("#fig-evolution [data-osq-info]").first
        point.focus()
        texte_point = _infobulle(page)
        assert re.search(r"\d{4} : ", texte_point) or "secret" in texte_point, texte_point
        # Each figure's « Données » link leads to a table of the figures it draws.
        for figure in ("#fig-carte", "#fig-evolution"):
            lien = page.locator(f"{figure} a.osq-donnees").first
            href = lien.get_attribute("href") or ""  # Quarto's navigation script makes it absolute
            assert "#" in href and href.split("#")[0] in ("", base + "notes/communale-62040.html"), (figure, href)
            cible = "#" + href.split("#", 1)[1]
            assert page.locator(f"{cible} table, table{cible}, {cible}").count() >= 1, (figure, cible)

        # The comparison page: Arques and Longuenesse side by side, from the published figures.
        page.goto(base + "comparer.html")
        _choisir(page, 0, ARQUES)
        _choisir(page, 1, LONGUENESSE)
        table = page.locator("table").first
        entete = " ".join(table.locator("thead").inner_text().split())
        assert "Arques" in entete and "Longuenesse" in entete, entete
        ligne = table.locator("tbody tr", has_text="Niveau de vie médian").first
        cellules = [" ".join(c.split()) for c in ligne.locator("td").all_inner_texts()]
        assert any(revenu in c for c in cellules), (cellules, revenu)
        attendu_l = _attendu(_derniere(rows, LONGUENESSE, "revenu_median"), "revenu_median")
        assert any(attendu_l in c for c in cellules), (cellules, attendu_l)
        page.close()
    dehors = [u for u in requests if not u.startswith(base) and not u.startswith(("data:", "blob:", "about:"))]
    assert dehors == [], dehors
    assert erreurs == [], erreurs  # no script error on any page (Quarto's navigation script and the maps' links)
    assert len(requests) > 10


def _choisir(page, i: int, code: str) -> None:
    select = page.locator("select").nth(i)
    valeur = select.locator("option").evaluate_all(
        f"(opts) => (opts.find(o => o.value === '{code}' || o.value.endsWith(':{code}')) || {{}}).value")
    assert valeur, f"{code} absent du choix n° {i + 1}"
    select.select_option(valeur)

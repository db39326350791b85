"""The comparison page (« Comparer des territoires », issue 17) in a real headless Chromium, with pandoc and with
Quarto: the five-note build of tests/capso/conftest.py (its EPCI note shows the 53 CAPSO communes, so Arques
62040 and Longuenesse 62525 are both there). The values read are those of the note's comparison table and of
the CSV export; a masked figure reads « s »; nothing is requested outside the site; axe-core finds no serious
or critical violation at 1280 and 360 px."""

from __future__ import annotations

import csv
import json
import re

import pytest
from navigateur import chromium, serve
from sites_essai import DOSSIERS_PROFILS, NOTES_CINQ

from osq_utils.batch import comparaison
from osq_utils.catalogues.glossaire import load_glossaire
from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.present import fr

pytestmark = pytest.mark.slow

ARQUES, LONGUENESSE = "62040", "62525"
REVENU = "revenu_median"
AXE = PROJECT_ROOT / "tests" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _donnees(site) -> dict:
    text = (site / "donnees" / comparaison.FICHIER).read_text(encoding="utf-8")
    m = re.fullmatch(r"window\.OSQ_COMPARAISON = (.*);\n", text, re.S)
    assert m, text[:80]
    return json.loads(m.group(1))


def _chiffres(site) -> list[dict]:
    with open(site / "donnees" / "chiffres.csv", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def _norm(text: str) -> str:
    return " ".join(text.split())


def _choisir(page, i: int, cle: str) -> None:
    page.focus(f"#cmp-t{i}")  # as a keyboard user would; select_option itself moves no focus
    page.select_option(f"#cmp-t{i}", cle)


def _ligne(page, libelle: str) -> list[str]:
    ligne = page.locator("#cmp-defile tbody tr", has=page.locator("th[scope=row] a", has_text=libelle)).first
    return [_norm(c) for c in ligne.locator("td").all_inner_texts()]


def _cellule_note(page, libelle: str, territoire: str) -> tuple[str, str] | None:
    """(year, cell) of a note's comparison table at (indicator, territory column)."""
    return page.evaluate("""([libelle, territoire]) => {
        for (const table of document.querySelectorAll('main table')) {
            const heads = [...table.querySelectorAll('thead th')].map(th => th.textContent.trim());
            const col = heads.indexOf(territoire), an = heads.indexOf('Année');
            if (col < 0 || an < 0) continue;
            for (const tr of table.querySelectorAll('tbody tr')) {
                const cells = [...tr.children];
                if (cells.length === heads.length && cells[0].textContent.trim() === libelle)
                    return [cells[an].textContent.trim(), cells[col].textContent];
            }
        }
        return null;
    }""", [libelle, territoire])


def _attendu(rows: list[dict], code: str, annee: int | None = None) -> tuple[int, str]:
    """(year, text) of a commune's published median income in the CSV export (its latest year by default), as
    the notes format it."""
    own = [r for r in rows if r["code"] == code and r["indicateur"] == REVENU and r["niveau"] == "commune"
           and r["statut"] == "ok" and (annee is None or int(r["annee"]) == annee)]
    last = max(own, key=lambda r: int(r["annee"]))
    ind = load_glossaire()[REVENU]
    text = fr.valeur(float(last["valeur"].replace(",", ".")), ind.unite, fr.precision(None, ind.decimales))
    return int(last["annee"]), _norm(text)


def test_compare_arques_and_longuenesse(cinq_notes, browser):
    site = cinq_notes / "site"
    libelle = load_glossaire()[REVENU].libelle
    with serve(site) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda req: requests.append(req.url))
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(base + "comparer.html")
        # No address: the first two communes.
        communes = [t for t in _donnees(site)["territoires"] if t["niveau"] == "commune"]
        assert page.input_value("#cmp-t1") == communes[0]["cle"] and page.input_value("#cmp-t2") == communes[1]["cle"]
        assert page.locator("label[for=cmp-t1]").inner_text() == "Territoire 1"
        assert page.locator("#cmp-t1 optgroup").first.get_attribute("label") == "Communes"

        _choisir(page, 1, ARQUES)
        _choisir(page, 2, LONGUENESSE)
        assert page.url.endswith(f"#{ARQUES},{LONGUENESSE}")
        assert page.evaluate("document.activeElement.id") == "cmp-t2"  # focus stays on the control
        assert page.locator("#cmp-statut").inner_text() == "Tableau mis à jour : 2 territoires"
        entete = _norm(page.locator("#cmp-defile thead").inner_text())
        assert "Arques" in entete and "Longuenesse" in entete, entete
        cellules = _ligne(page, libelle)
        assert len(cellules) == 2 and all(re.search(r"\d", c) for c in cellules), cellules

        # Both columns: the CSV export's latest figure, as the notes format it, at the year the row shows.
        rows = _chiffres(site)
        (annee_a, attendu_a), (annee_l, attendu_l) = _attendu(rows, ARQUES), _attendu(rows, LONGUENESSE)
        attendus = [attendu_a, attendu_l] if annee_a == annee_l else [f"{attendu_a} ({annee_a})",
                                                                     f"{attendu_l} ({annee_l})"]
        assert cellules == attendus, (cellules, attendus)
        if annee_a == annee_l:
            entete_ligne = page.locator("#cmp-defile th[scope=row]", has_text=libelle).first.inner_text()
            assert str(annee_a) in entete_ligne

        # Arques's note prints its comparison table with the same formatter: at the note's year, the same text.
        page.goto(base + f"notes/{NOTES_CINQ['note_communale']}.html")
        note = _cellule_note(page, libelle, "Arques")
        assert note is not None, "tableau de comparaison de la note introuvable"
        assert _norm(note[1]) == _attendu(rows, ARQUES, int(note[0]))[1], note

        # A shared link gives the same choice; add and remove a third territory.
        page.goto(base + f"comparer.html#{ARQUES},{LONGUENESSE}")
        assert page.input_value("#cmp-t1") == ARQUES and page.input_value("#cmp-t2") == LONGUENESSE
        assert _ligne(page, libelle) == cellules
        page.click("#cmp-ajouter")
        assert page.evaluate("document.activeElement.id") == "cmp-t3"
        assert page.locator("#cmp-defile thead th").count() == 4
        assert page.locator("#cmp-statut").inner_text() == "Tableau mis à jour : 3 territoires"
        assert page.url.count(",") == 2
        page.get_by_role("button", name="Retirer le territoire 3").click()
        assert page.locator("#cmp-defile thead th").count() == 3 and page.locator("#cmp-t3").count() == 0
        assert page.url.endswith(f"#{ARQUES},{LONGUENESSE}")
        for _ in range(comparaison.MAX_TERRITOIRES - 2):
            page.click("#cmp-ajouter")
        assert page.locator("select").count() == comparaison.MAX_TERRITOIRES
        assert page.locator("#cmp-ajouter").is_disabled()
        # Every indicator links to its glossary entry.
        href = page.locator("#cmp-defile th[scope=row] a").first.get_attribute("href")
        assert href.startswith("glossaire.html#")
        page.close()
    assert errors == [], errors
    dehors = [u for u in requests if not u.startswith(base)]
    assert dehors == [], dehors
    assert any(u.endswith("donnees/comparaison.js") for u in requests)


@pytest.mark.parametrize("profil", ["public", "partenaires"])
def test_a_masked_figure_reads_s_and_its_value_is_nowhere(cinq_notes, browser, profil):
    """Every masked cell of the profile's ledger, at the year the page shows, reads « s »; one is checked in the
    browser."""
    site = cinq_notes / DOSSIERS_PROFILS[profil]
    donnees = _donnees(site)
    par_cle = {(t["niveau"], t["code"]): t for t in donnees["territoires"]}
    with open(cinq_notes / f"masques-{profil}.csv", encoding="utf-8") as fh:
        masques = list(csv.DictReader(fh, delimiter=";"))
    montres = []
    for m in masques:
        t = par_cle.get((m["niveau"], m["code"]))
        cell = t and t["valeurs"].get(m["indicateur"])
        if cell and cell[1] == int(m["annee"]):
            assert cell[0] == "s" and cell[2] == "secret", (m, cell)
            montres.append((t, m["indicateur"]))
    if profil == "partenaires" and not montres:
        pytest.skip("aucune valeur masquée montrée par la page pour les partenaires")
    assert montres, "aucune valeur masquée à la dernière année d'un territoire de la page"
    t, code = montres[0]
    libelle = load_glossaire()[code].libelle
    autre = next(x for x in donnees["territoires"] if x["cle"] != t["cle"])
    with serve(site) as base:
        page = browser.new_page()
        page.goto(base + f"comparer.html#{t['cle']},{autre['cle']}")
        cellules = _ligne(page, libelle)
        assert cellules[0].split(" (")[0] == "s", cellules
        assert "secret statistique" in page.locator(".cmp-legende").first.inner_text()
        page.close()


@pytest.mark.parametrize("width", [1280, 360], ids=["ecran", "mobile"])
def test_axe_and_reflow(cinq_notes, browser, width, tmp_path):
    if not AXE.is_file():
        pytest.skip("axe-core absent : lancer « npm ci --prefix tests »")
    with serve(cinq_notes / "site") as base:
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(base + f"comparer.html#{ARQUES},{LONGUENESSE}")
        page.click("#cmp-ajouter")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(f"axe.run(document, {{runOnly: {AXE_TAGS!r}}})")
        assert result["passes"]
        blocking = [f"[{v['impact']}] {v['id']} : {v['help']}" for v in result["violations"] if v["impact"] in BLOCKING]
        assert blocking == [], "\n".join(blocking)
        # The page never scrolls sideways: the table scrolls in its own focusable, named region.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        region = page.locator("#cmp-defile")
        assert region.get_attribute("role") == "region" and region.get_attribute("tabindex") == "0"
        assert region.get_attribute("aria-label")
        assert page.locator("#cmp-defile caption").inner_text().startswith("Indicateurs comparés")
        assert page.locator("#cmp-defile th[scope=col]").count() == 4
        if width == 360:  # the first column stays in place while the table scrolls
            before = page.locator("#cmp-defile th[scope=row]").first.bounding_box()
            region.evaluate("el => { el.scrollLeft = 200; }")
            after = page.locator("#cmp-defile th[scope=row]").first.bounding_box()
            assert region.evaluate("el => el.scrollLeft") > 0
            assert abs(before["x"] - after["x"]) < 1
        page.screenshot(path=str(tmp_path / f"comparer-{width}.png"), full_page=True)
        page.close()

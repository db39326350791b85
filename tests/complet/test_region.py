"""A région's observatory (issue 18): params/hauts-de-france.yml plans a note for every commune of the région and
for each of its intercommunalities, and the home page leads to any commune in three clicks or one search.

The plan is checked against Etalab's découpage administratif 2026 in the mirror (the file the store's latest
membership comes from, read here with pandas). The home page is checked in headless Chromium on a small build
from the whole-mirror store: communes of two départements and three intercommunalities, and the CAPSO's note;
the map's threshold is lowered so that this small site gets the région's map of intercommunalities.
"""

from __future__ import annotations

import pandas as pd
import pytest
from navigateur import chromium, serve

from osq_utils.batch import accueil
from osq_utils.batch import plan as pl
from osq_utils.batch.build import build
from osq_utils.catalogues.racine import PROJECT_ROOT

pytestmark = pytest.mark.slow
HAUTS_DE_FRANCE = "32"
# Arques and Saint-Omer (CA du Pays de Saint-Omer), Béthune (CA de Béthune-Bruay), Lille and Roubaix (Métropole
# Européenne de Lille); the CAPSO's note.
COMMUNES = ["62040", "62765", "62119", "59350", "59512"]


def test_the_region_plans_every_commune_and_intercommunality(con, mirror_path_of):
    communes = pd.read_csv(mirror_path_of("etalab-decoupage-administratif-2026", "communes_2026_all_types.csv"),
                           dtype=str)
    communes = communes[(communes["region"] == HAUTS_DE_FRANCE) & (communes["type"] == "commune-actuelle")]
    membres = pd.read_csv(mirror_path_of("etalab-decoupage-administratif-2026", "epci_membres_2026.csv"), dtype=str)
    epcis = set(membres.loc[membres["commune_code"].isin(communes["code"]), "epci_code"])
    plan = pl.plan(con, PROJECT_ROOT / "params" / "hauts-de-france.yml")
    assert sorted(j.code for j in plan.jobs if j.modele == "note_communale") == sorted(communes["code"])
    assert {j.code for j in plan.jobs if j.modele == "note_epci"} == epcis
    assert len(communes) == 3782 and len(epcis) == 92  # as published in 2026
    # The home page's headings: each commune under its département and intercommunality.
    assert {d for d, *_ in plan.rubriques.values()} == {"02", "59", "60", "62", "80"}
    assert plan.rubriques["62040"][1:] == ("Pas-de-Calais", "200069037", "CA du Pays de Saint-Omer")


@pytest.fixture(scope="module")
def site(store_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("region")
    params = out / "region.yml"
    params.write_text("observatoire:\n  id: region\n  titre: Essai régional\nnotes:\n  - modele: note_communale\n"
                      f"    territoires:\n      communes: {COMMUNES}\n  - modele: note_epci\n    territoires:\n"
                      '      epci: "200069037"\n'.replace("'", '"'), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OSQ_QUARTO", "non")
        mp.setattr(accueil, "COMMUNES_MAX_CARTE", 10)  # this small site gets the région's map
        report = build(params, store_file=store_file, sortie=out / "r", n_jobs=2)
    assert report.count("ok") == len(COMMUNES) + 1, [r.erreur for r in report.failed]
    return report.site


def test_home_page_leads_to_any_commune_in_three_clicks_or_one_search(site):
    with chromium() as browser, serve(site) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        dehors = []
        page.on("request", lambda r: dehors.append(r.url) if not r.url.startswith(url) else None)
        page.goto(url + "index.html")
        # Three clicks: the département, the intercommunality, the commune.
        assert not page.get_by_role("link", name="Roubaix (59512)").is_visible()
        page.locator("summary", has_text="Nord (59)").click()
        page.locator("summary", has_text="Métropole Européenne de Lille").click()
        page.get_by_role("link", name="Roubaix (59512)").click()
        page.wait_for_url("**/notes/communale-59512.html")
        assert "Roubaix" in page.locator("h1").first.inner_text()
        # One search: the filter opens the headings of what it finds, accents and case ignored.
        page.goto(url + "index.html")
        page.locator("#filtre-notes").fill("bethune")
        lien = page.get_by_role("link", name="Béthune (62119)")
        assert lien.is_visible()
        assert page.locator("#filtre-compte").inner_text() == "1 note affichée"
        assert not page.locator("summary", has_text="Nord (59)").is_visible()  # no match there
        lien.click()
        page.wait_for_url("**/notes/communale-62119.html")
        # The map of intercommunalities: the CAPSO leads to its note, whose map leads to Arques' note.
        page.goto(url + "index.html")
        zone = page.locator('#carte-accueil a.osq-couche-epci[data-osq-code="200069037"]')
        assert zone.get_attribute("href").endswith("notes/epci-200069037.html")
        assert page.locator("#carte-accueil a.osq-couche-commune").count() == 0
        zone.click()
        page.wait_for_url("**/notes/epci-200069037.html")
        page.locator('a.osq-couche-commune[data-osq-code="62040"]').first.click()
        page.wait_for_url("**/notes/communale-62040.html")
        assert dehors == []
        page.close()


def _lignes(path) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", decimal=",", dtype={"code": str}, encoding="utf-8-sig")


def test_exports_and_comparison_are_cut_by_departement(site):
    donnees = site / "donnees"
    assert sorted(p.name for p in donnees.iterdir()) == [
        "chiffres-59.csv", "chiffres-59.xlsx", "chiffres-62.csv", "chiffres-62.xlsx",
        "comparaison-59.js", "comparaison-62.js"]
    nord, pdc = _lignes(donnees / "chiffres-59.csv"), _lignes(donnees / "chiffres-62.csv")
    communes = {code for code, niveau in zip(pdc["code"], pdc["niveau"]) if niveau == "commune"}
    assert {"62040", "62765", "62119"} <= communes and "59350" not in communes
    assert {"59350", "59512"} <= set(nord.loc[nord["niveau"] == "commune", "code"])
    assert "200069037" in set(pdc.loc[pdc["niveau"] == "epci", "code"])
    assert "200069037" not in set(nord.loc[nord["niveau"] == "epci", "code"])
    for part, dep in ((nord, "59"), (pdc, "62")):  # each with its own département and the common references
        assert set(part.loc[part["niveau"] == "departement", "code"]) == {dep}
        assert "france" in set(part["niveau"])
    # Every territory of the notes is in one share (a région's figures are all published, once).
    assert set(nord["code"]) | set(pdc["code"]) >= set(COMMUNES) | {"200069037"}
    with chromium() as browser, serve(site) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url + "comparer.html")
        page.get_by_role("link", name="Pas-de-Calais (62)").click()
        page.wait_for_url("**/comparer-62.html")
        page.goto(url + "comparer-62.html#62040,62119")
        ligne = page.locator("table.cmp tr", has_text="Population municipale").first
        texte = " ".join(ligne.inner_text().split())
        for code in ("62040", "62119"):
            row = pdc[(pdc["code"] == code) & (pdc["indicateur"] == "population") & (pdc["statut"] == "ok")]
            valeur = int(row.sort_values("annee")["valeur"].iloc[-1])
            assert f"{valeur:,}".replace(",", " ") in texte.replace("\u202f", " ").replace("\xa0", " "), texte
        page.close()

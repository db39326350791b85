
"""End to end: papermill executes the commune note for real communes, pandoc publishes the site."""

from __future__ import annotations

import nbformat
import papermill as pm
import pytest
from bs4 import BeautifulSoup

from osq_utils.catalogues.racine import PROJECT_ROOT

pytestmark = pytest.mark.slow


def test_index_links_every_note(built_site):
    index = (built_site / "site" / "index.html").read_text(encoding="utf-8")
    assert 'lang="fr"' in index
    for slug in ("communale-62040", "communale-62765"):
        assert f"notes/{slug}.html" in index
        assert (built_site / "site" / "notes" / f"{slug}.html").exists()


def test_arques_note_shows_real_figures_in_french(built_site):
    page = (built_site / "site" / "notes" / "communale-62040.html").read_text(encoding="utf-8")
    assert "Arques" in page
    assert "20,0\u00a0%" in page  # Filosofi 2021 poverty rate (cc_filosofi_2021_COM.csv, TP6021 = 20,0)
    assert "CA du Pays de Saint-Omer" in page
    assert "Source : Insee, Filosofi" in page
    assert "Traceback" not in page and "code_commune" not in page
    assert "Données manquantes" in page  # Arques is absent from the CAF file by IRIS
    # The evolution chart and the intercommunality's map, drawn in the page (interactive SVG): every point and
    # every commune named and valued, Arques outlined on the map.
    soup = BeautifulSoup(page, "html.parser")
    assert len(soup.select("#fig-evolution .osq-courbes [data-osq-info]")) >= 10
    carte = soup.select("#fig-carte .osq-carte")
    assert len(carte) == 1 and len(carte[0].select("[data-osq-info]")) == 53  # the CAPSO's communes
    assert [z["data-osq-code"] for z in carte[0].select(".osq-accent")] == ["62040"]
    assert "Figure\u00a01" in page or "Figure 1" in page


def test_saint_omer_note_marks_missing_values_nd_never_zero(built_site):
    page = (built_site / "site" / "notes" / "communale-62765.html").read_text(encoding="utf-8")
    assert "29,0\u00a0%" in page  # Filosofi 2021 poverty rate of Saint-Omer (cc_filosofi_2021_COM.csv, TP6021 = 29,0)
    assert ">nd<" in page  # e.g. départemental poverty rate: not published in the mirror
    assert "CNAF, allocataires par IRIS 2020 (calcul OSQ)" in page  # figures OSQ computes cite their origin


def test_glossary_and_sources_pages(built_site):
    glossary = (built_site / "site" / "glossaire.html").read_text(encoding="utf-8")
    assert 'id="taux_pauvrete"' in glossary and "non additif" in glossary
    sources = (built_site / "site" / "sources.html").read_text(encoding="utf-8")
    assert "Licence Ouverte" in sources and "Rapport de chargement" in sources


def test_executed_notebooks_keep_string_codes(built_site):
    nb = nbformat.read(built_site / "notebooks" / "communale-62040.ipynb", as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert 'code_commune = "62040"' in injected.source


def test_template_runs_with_its_default_parameters(store_file, tmp_path, monkeypatch):
    # As in JupyterLab: no parameter given, the defaults of the 'parameters' cell must run.
    monkeypatch.setenv("OSQ_STORE", str(store_file))
    out = tmp_path / "defaut.ipynb"
    pm.execute_notebook(str(PROJECT_ROOT / "notebooks" / "note_communale.ipynb"), str(out), kernel_name="python3",
                        progress_bar=False, cwd=str(PROJECT_ROOT / "notebooks"))
    nb = nbformat.read(out, as_version=4)
    assert not any(o.get("output_type") == "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs)

"""`osq preview` for communes all over France, for a municipal arrondissement, and its French refusals.

The real command runs on the whole mirror's store (papermill kernel, pandoc). Names are read at run time
from INSEE's 2024 table d'appartenance géographique. Many cells of the tables may read `nd` (sources not yet
read nationally): the page must render, with the map of the commune's intercommunality.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from python_calamine import CalamineWorkbook

from osq_utils import territoires
from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.sources import mirror_dir

TAGC_2024 = mirror_dir() / "insee-tagc-2024" / "table-appartenance-geo-communes-2024.xlsx"
# One commune in each of five départements outside 42, 62, 77, 94: Gironde, Bas-Rhin, Finistère,
# Corse-du-Sud, La Réunion; and the 12th arrondissement of Paris.
COMMUNES = ["33063", "67482", "29019", "2A004", "97411", "75112"]


def tagc_2024(name: str) -> pd.DataFrame:
    rows = CalamineWorkbook.from_path(str(TAGC_2024)).get_sheet_by_name(name).to_python(skip_empty_area=False)
    return pd.DataFrame(rows[6:], columns=rows[5]).astype(str)


@pytest.fixture(scope="module")
def tagc():
    com, arm, zones = (tagc_2024(n) for n in ("COM", "ARM", "Zones_supra_communales"))
    return pd.concat([com, arm]).set_index("CODGEO"), zones


def preview(store_file, out, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OSQ_STORE": str(store_file), "OSQ_QUARTO": "non", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "osq_utils.cli", "preview", *args, "--sortie", str(out)],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
@pytest.mark.parametrize("code", COMMUNES)
def test_commune_note_with_its_intercommunality_map(store_file, con, tmp_path, tagc, code):
    territories, _ = tagc
    proc = preview(store_file, tmp_path, "note_communale", code)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = tmp_path / "site" / "notes" / f"communale-{code}.html"
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    text = soup.get_text(" ", strip=True)
    assert territories.loc[code, "LIBGEO"] in soup.title.text
    # The commune's EPCI (INSEE's table) is a column of the comparison, under its latest name in the store.
    assert territoires.libelle(con, "epci", territories.loc[code, "EPCI"]) in text
    assert "Carte non disponible" not in text
    # The map, drawn in the page (interactive SVG): the intercommunality's communes, the note's commune outlined.
    maps = soup.select("#fig-carte .osq-carte")
    assert len(maps) == 1
    assert len(maps[0].select("[data-osq-info]")) >= 2 and len(maps[0].select(".osq-accent")) == 1


@pytest.mark.slow
@pytest.mark.parametrize("code", ["33063", "13205"])
def test_abs_note_of_any_commune(store_file, con, tmp_path, tagc, code):
    territories, _ = tagc
    proc = preview(store_file, tmp_path, "abs_ccas", code, "--theme", "sante")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = tmp_path / "site" / "notes" / f"abs-{code}-sante.html"
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    assert territories.loc[code, "LIBGEO"] in soup.title.text
    assert territoires.libelle(con, "epci", territories.loc[code, "EPCI"]) in soup.get_text(" ", strip=True)


@pytest.mark.parametrize(("code", "expected"), [("62210", "(62154)"), ("1053", "« 01053 »"), ("99999", "inconnu")])
def test_preview_refuses_in_french(store_file, tmp_path, code, expected):
    proc = preview(store_file, tmp_path, "note_communale", code)
    assert proc.returncode == 2
    said = " ".join((proc.stdout + proc.stderr).split())
    assert expected in said and "Correction" in said
    assert not (tmp_path / "notebooks").exists()  # refused before any note runs

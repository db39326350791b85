
"""A new user's path (docs/guides): a new indicator, delivered in a new Excel file, appears after a rebuild.

Runs the guides' own example files (docs/guides/exemples/) with the real commands (osq livraison, osq build).
The delivered figure is cut at run time from the real CNAF file: Saint-Omer's recipients of the prime
d'activité in 2019, the sum of APPA over its IRIS in data_CAF_2019_IRIS.csv.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys

import openpyxl
import pytest
import yaml

from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.present import fr

pytestmark = pytest.mark.slow
EXEMPLES = PROJECT_ROOT / "docs" / "guides" / "exemples"


def _appa_saint_omer(mirror) -> float:
    with open(mirror / "cnaf-caf-iris-2016-2020" / "data_CAF_2019_IRIS.csv", encoding="utf-8") as fh:
        values = [row["APPA"] for row in csv.DictReader(fh, delimiter=";") if row["CODGEO"].startswith("62765")]
    assert values and all(v.strip() for v in values)  # every IRIS published: the sum is the commune's figure
    return float(sum(int(v) for v in values))


def test_new_indicator_from_a_new_excel_delivery(mirror, store_file, tmp_path):
    # 1. The glossary gets the guide's new indicator (a copy: the repository is left untouched).
    glossary = yaml.safe_load((PROJECT_ROOT / "data" / "glossaire.yml").read_text(encoding="utf-8"))
    glossary["indicateurs"] += yaml.safe_load((EXEMPLES / "indicateur-prime-activite.yml").read_text(encoding="utf-8"))
    glossary_file = tmp_path / "glossaire.yml"
    glossary_file.write_text(yaml.safe_dump(glossary, allow_unicode=True, sort_keys=False), encoding="utf-8")
    store = tmp_path / "osq.duckdb"
    shutil.copy(store_file, store)
    env = {**os.environ, "OSQ_GLOSSAIRE": str(glossary_file), "OSQ_STORE": str(store), "OSQ_QUARTO": "non"}

    # 2. The partner's workbook, as delivered: a title, the header, codes stored as numbers, a total, a note.
    value = _appa_saint_omer(mirror)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Prime d'activité par commune, décembre 2019"])
    sheet.append(["Code commune", "Commune", "Foyers allocataires de la prime d'activité"])
    sheet.append([62765, "Saint-Omer", value])
    sheet.append(["Total", None, value])
    sheet.append(["Source : CAF, fichier allocataires au 31/12/2019."])
    delivery = tmp_path / "prime_activite_2019.xlsx"
    book.save(delivery)

    def osq(*args):
        proc = subprocess.run([sys.executable, "-m", "osq_utils.cli", *args], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc

    # 3. Loaded without code, then 4. rebuilt.
    osq("livraison", str(EXEMPLES / "convention-caf-communes.yml"), str(delivery))
    params = tmp_path / "p.yml"
    params.write_text('observatoire:\n  id: parcours\n  titre: Parcours\nnotes:\n  - modele: note_communale\n'
                      '    territoires:\n      communes: ["62765"]\n', encoding="utf-8")
    osq("build", str(params), "--jobs", "1", "--sortie", str(tmp_path / "rapports"))

    # 5. The new indicator is in the commune note and on the freshness page.
    site = tmp_path / "rapports" / "parcours" / "site"
    page = (site / "notes" / "communale-62765.html").read_text(encoding="utf-8")
    row = next(r for r in page.split("<tr") if "Allocataires de la prime d" in r)
    assert fr.nombre(value) in row and "2019" in row
    etat = (site / "etat-des-donnees.html").read_text(encoding="utf-8")
    row = next(r for r in etat.split("<tr") if "Allocataires de la prime d" in r)
    assert ">2019<" in row and "à jour" in row

"""`osq audit` on a real build whose convention is stricter than the open-data rules (issue 13).

The CAPSO's own rules mask nothing on most notes: an audit of such a site compares nothing. Here a convention
forbids AAH counts under 250 (tests/audit_convention.py): the build of Longuenesse's health ABS note (its IRIS
table) and of the quartier Quai du Commerce - Saint Sépulcre (QP062037) masks AAH figures of a commune, of IRIS
and of a QPV. The build audits its site (`osq build` exits 4 on a leak); the audit is run again here, then on a
copy where leaks of each level are planted.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from audit_convention import REGLE_AAH, durcir_aah
from bs4 import BeautifulSoup
from outils import osq_build

from osq_utils.batch import audit as A
from osq_utils.catalogues.racine import chemin_donnees
from osq_utils.secret import registre

PARAMS = """\
observatoire:
  id: stricte
  titre: Observatoire d'essai (convention plus stricte)
notes:
  - modele: abs_ccas
    territoires: {communes: ["62525"]}
    themes: [sante]
  - modele: note_quartier
    territoires: {qpv: ["QP062037"]}
"""
PAGE = "notes/abs-62525-sante.html"  # Longuenesse
ID_REGLE = REGLE_AAH.split("id: ", 1)[1].split("\n", 1)[0]


@pytest.fixture(scope="module")
def stricte(store_file, tmp_path_factory) -> Path:
    """The real `osq build --imprimables` (pandoc) with the stricter convention in a copy of the data folder (its
    output folder): PDF and Word versions show the masked cells' neighbours too (a masked 20 beside « 2016 »)."""
    root = tmp_path_factory.mktemp("convention-stricte")
    data = root / "donnees"
    shutil.copytree(chemin_donnees(), data, ignore=shutil.ignore_patterns("osq.duckdb*", "sources"))
    durcir_aah(data)
    params = root / "stricte.yml"
    params.write_text(PARAMS, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OSQ_DONNEES", str(data))
        proc = osq_build(store_file, params, root / "rapports", "--imprimables")
    assert proc.returncode == 0, proc.stdout + proc.stderr  # 4: the build's own audit found a leak
    return root / "rapports" / "stricte"


@pytest.fixture
def ledger(stricte):
    return registre.lire(stricte / "masques-public.csv")


def test_the_convention_masks_communes_iris_and_quartiers(ledger):
    aah = ledger[ledger["regle"] == ID_REGLE]
    levels = aah.groupby("niveau").size().to_dict()
    assert set(levels) == {"commune", "iris", "qpv"} and len(aah) >= 10, levels
    assert (aah["valeur"] < 250).all()
    # Longuenesse's figure is the sum of its five IRIS (CNAF, data_CAF_20xx_IRIS.csv; osq-calculs), all masked.
    commune = aah[(aah["code"] == "62525") & (aah["annee"] == 2020)]["valeur"].item()
    iris = aah[aah["code"].str.startswith("62525") & (aah["niveau"] == "iris") & (aah["annee"] == 2020)]
    assert len(iris) == 5 and iris["valeur"].sum() == commune


def test_the_stricter_build_passes_its_audit(stricte, ledger, capsys):
    site = stricte / "site"
    page = BeautifulSoup((site / PAGE).read_text(encoding="utf-8"), "html.parser").get_text(" ")
    assert "Longuenesse" in page and "Aviateurs" in page  # the IRIS table is published, its AAH cells masked
    rapport = A.verifier(site, ledger)
    assert rapport.fuites == [] and rapport.valeurs == len(ledger)
    assert rapport.fichiers["pdf"] == rapport.fichiers["docx"] == 2
    assert A.main(site) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert f"{len(ledger)} valeurs masquées" in err and "aucune n'y apparaît" in err


def test_planted_leaks_of_each_level_are_caught(stricte, ledger, tmp_path):
    site = tmp_path / "stricte" / "site"
    shutil.copytree(stricte, site.parent)
    values = {(r.code, r.annee): r for r in ledger[ledger["regle"] == ID_REGLE].itertuples()}
    commune, iris, qpv = values[("62525", 2020)], values[("625250101", 2020)], values[("QP062037", 2019)]
    path = site / PAGE
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    soup.find("main").append(BeautifulSoup(
        f"<p>En 2020, {commune.valeur:.0f} habitants de Longuenesse percevaient l'allocation aux adultes "
        f"handicapés.</p><p>IRIS 625250101 : {iris.valeur:.0f} allocataires de l'AAH en 2020.</p>", "html.parser"))
    path.write_text(str(soup), encoding="utf-8")
    (site / "donnees" / "aah.json").write_text(json.dumps(
        {"code": "QP062037", "annee": 2019, "allocataires_aah": qpv.valeur}), encoding="utf-8")
    found = {(f.fichier, f.territoire, f.annee) for f in A.audit(site, ledger) if f.indicateur == "allocataires_aah"}
    assert found == {(PAGE, "Longuenesse", 2020), (PAGE, iris.territoire, 2020),
                     ("donnees/aah.json", qpv.territoire, 2019)}


"""`osq build --imprimables`: a PDF and a Word version of every note, linked, incremental, audited."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from osq_utils.batch import audit
from osq_utils.catalogues.racine import PROJECT_ROOT

pytestmark = pytest.mark.slow


def _build(params, out, store_file, *extra):
    env = {**os.environ, "OSQ_STORE": str(store_file), "OSQ_QUARTO": "non"}
    return subprocess.run([sys.executable, "-m", "osq_utils.cli", "build", str(params), "--jobs", "1",
                           "--sortie", str(out), *extra], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def site_imprimable(store_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("imprimables-build")
    params = out / "p.yml"
    params.write_text('observatoire:\n  id: essai\n  titre: Essai\nnotes:\n  - modele: note_communale\n'
                      '    territoires:\n      communes: ["62040"]\n', encoding="utf-8")
    proc = _build(params, out, store_file, "--imprimables")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return params, out, out / "essai" / "site"


def test_every_note_gets_pdf_and_docx_linked_and_listed(site_imprimable):
    _, _, site = site_imprimable
    notes = site / "notes"
    assert (notes / "communale-62040.pdf").read_bytes()[:5] == b"%PDF-"
    assert (notes / "communale-62040.docx").stat().st_size > 10_000
    page = (notes / "communale-62040.html").read_text(encoding="utf-8")
    assert 'href="communale-62040.pdf"' in page and 'href="communale-62040.docx"' in page
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="notes/communale-62040.pdf"' in index and 'href="notes/communale-62040.docx"' in index


def test_printable_versions_are_incremental(site_imprimable, store_file):
    params, out, site = site_imprimable
    before = (site / "notes" / "communale-62040.pdf").stat().st_mtime_ns
    proc = _build(params, out, store_file, "--imprimables")
    assert proc.returncode == 0, proc.stderr
    assert (site / "notes" / "communale-62040.pdf").stat().st_mtime_ns == before


def test_audit_reads_the_printable_versions(site_imprimable, tmp_path):
    # Arques' median income 2019, 18 520 € (Insee FILO2019_DISP_COM.csv, Q219: the comparison table's year),
    # declared masked: the audit must find it in the PDF and the Word version too, not only in the HTML page.
    _, _, site = site_imprimable
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    (copy / "notes" / "communale-62040.html").unlink()
    for export in (copy / "donnees").glob("*"):
        export.unlink()
    ledger = pd.DataFrame([{"niveau": "commune", "code": "62040", "territoire": "Arques", "indicateur": "revenu_median",
                            "indicateur_libelle": "Niveau de vie médian", "unite": "€", "decimales": 0,
                            "annee": 2019, "valeur": 18520.0}])
    fuites = audit.audit(copy, ledger)
    assert {f.fichier for f in fuites} >= {"notes/communale-62040.pdf", "notes/communale-62040.docx"}

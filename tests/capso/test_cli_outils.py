
"""`osq preview` (one note, fast) and `osq check` (validation without building)."""

from __future__ import annotations

import os
import subprocess
import sys

from osq_utils.catalogues.racine import PROJECT_ROOT


def _osq(store_file, *args):
    env = {**os.environ, "OSQ_STORE": str(store_file), "OSQ_QUARTO": "non"}
    return subprocess.run([sys.executable, "-m", "osq_utils.cli", *args], cwd=PROJECT_ROOT, env=env,
                           capture_output=True, text=True, timeout=300)


def test_preview_one_note(store_file, tmp_path):
    proc = _osq(store_file, "preview", "note_communale", "62765", "--sortie", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    page = tmp_path / "site" / "notes" / "communale-62765.html"
    assert str(page) in proc.stderr.replace("\n", "")
    html = page.read_text(encoding="utf-8")
    # Saint-Omer's 2016 median income, Insee FILO2016_DISP_COM.csv Q216 = 16 070 €: in the full comparison table.
    assert "Saint-Omer" in html and "Chiffres clés" in html


def test_preview_unknown_territory_is_a_french_error(store_file, tmp_path):
    proc = _osq(store_file, "preview", "note_communale", "99999", "--sortie", str(tmp_path))
    assert proc.returncode == 2 and "inconnu" in proc.stderr

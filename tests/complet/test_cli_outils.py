
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


def test_check_reports_located_problems(store_file, tmp_path):
    bad = tmp_path / "mauvais.yml"
    bad.write_text("observatoire:\n  id: x\nnotes:\n  - modele: note_communale\n    territoires:\n"
                   "      communes: [62040, 2040]\n", encoding="utf-8")
    proc = _osq(store_file, "check", str(bad))
    assert proc.returncode == 2
    assert "ligne 6" in proc.stderr and "2040" in proc.stderr and "guillemets" in proc.stderr
    ok = _osq(store_file, "check", str(PROJECT_ROOT / "params" / "capso.yml"))
    assert ok.returncode == 0, ok.stderr
    assert "Tout est en ordre" in ok.stderr

"""Builds that behave, the fast part: the project locks, the removal of temporary files, a note's error as a user
reads it. The builds themselves are in tests/capso/test_builds_robustes.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from papermill.exceptions import PapermillExecutionError

from osq_utils import atomic, verrou
from osq_utils.batch.execute import message_erreur
from osq_utils.errors import OsqError


def _tenir(path: Path, mode: str) -> subprocess.Popen:
    """Another process holding a lock (as `osq build` or `osq livraison` would) until it is killed."""
    code = ("import sys, time; from pathlib import Path; from osq_utils import verrou\n"
            f"with ({mode}):\n    print('tenu', flush=True); time.sleep(600)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "tenu"
    return proc


def test_a_second_build_of_the_same_observatory_is_refused_until_the_first_ends(tmp_path):
    root = tmp_path / "rapports" / "capso"
    autre = _tenir(root, "verrou.observatoire(Path(sys.argv[1]), 'capso')")
    try:
        with pytest.raises(verrou.VerrouOccupe) as exc:
            with verrou.observatoire(root, "capso"):
                pass
        message = str(exc.value)
        assert "une autre construction de l'observatoire « capso » est en cours" in message
        assert f"(processus {autre.pid})" in message and str(root / ".verrou") in message
    finally:
        autre.send_signal(signal.SIGKILL)  # even kill -9 releases it
        autre.wait()
    with verrou.observatoire(root, "capso"):
        pass


def test_store_lock_shared_by_readers_exclusive_for_a_delivery(tmp_path):
    base = tmp_path / "osq.duckdb"
    base.touch()
    lecteur = _tenir(base, "verrou.base(Path(sys.argv[1]), ecriture=False)")
    try:
        with verrou.base(base, ecriture=False):  # two builds read the same store
            pass
        with pytest.raises(verrou.VerrouOccupe, match="est lue par .* : elle ne peut pas être modifiée"):
            with verrou.base(base, ecriture=True):
                pass
    finally:
        lecteur.kill()
        lecteur.wait()
    livraison = _tenir(base, "verrou.base(Path(sys.argv[1]), ecriture=True)")
    try:
        with pytest.raises(verrou.VerrouOccupe, match="est en cours de modification par"):
            with verrou.base(base, ecriture=False):
                pass
    finally:
        livraison.kill()
        livraison.wait()
    assert verrou.chemin_base(base) == tmp_path / "osq.duckdb.verrou"


def test_no_lock_file_is_created_where_no_store_can_be(tmp_path):
    with verrou.base(tmp_path / "absent" / "osq.duckdb", ecriture=False):
        pass
    assert not (tmp_path / "absent").exists()


def test_temporary_files_left_by_a_killed_process_are_removed(tmp_path):
    site = tmp_path / "site"
    (site / "notes" / ".n-1.pdf.abc123.tmp" / "media").mkdir(parents=True)
    # A real atomic write killed before its rename.
    writer = subprocess.Popen([sys.executable, "-c", (
        "import os, sys, tempfile; fd, tmp = tempfile.mkstemp(dir=sys.argv[1], prefix='.index.html.', suffix='.tmp');"
        "os.write(fd, b'<html>'); print(tmp, flush=True); os.kill(os.getpid(), 9)"), str(site)],
        stdout=subprocess.PIPE, text=True)
    left = Path(writer.stdout.readline().strip())
    writer.wait()
    assert left.exists()
    for name in ("notes/.n-1.html.x1.tmp", "notes/.n-1.html.x2.tmp.json", ".n-2.tmp.ipynb", "index.html",
                 ".verrou", "notes/n-1.html"):
        (site / name).write_text("x", encoding="utf-8")
    (site / ".quarto").mkdir()
    removed = atomic.nettoyer(site)
    assert len(removed) == 5 and not left.exists()
    remaining = sorted(str(p.relative_to(site)) for p in site.rglob("*"))
    assert remaining == [".quarto", ".verrou", "index.html", "notes", "notes/n-1.html"]


def test_a_note_error_reads_its_first_line_and_its_correction():
    # papermill's error for a French OsqError raised in a note: its str() is the traceback, whose last line
    # is only the correction.
    evalue = str(OsqError("code commune « 99999 » inconnu du code officiel géographique",
                          correction='écrivez le code INSEE à 5 caractères entre guillemets, par exemple "62040"'))
    exc = PapermillExecutionError(3, 2, "x = 1", "CodeCommuneInvalide", evalue,
                                  ["\x1b[0;31mCodeCommuneInvalide\x1b[0m: " + evalue])
    assert str(exc).strip().splitlines()[-1].strip().startswith("→ Correction")
    assert message_erreur(exc) == ("code commune « 99999 » inconnu du code officiel géographique\n"
                                   "→ Correction : écrivez le code INSEE à 5 caractères entre guillemets, par exemple \"62040\"")
    # Any other exception is named.
    exc = PapermillExecutionError(3, 2, "x = 1", "ConversionException",
                                  "Conversion Error: Could not convert string '2A001' to INT32\n\nLINE 1: SELECT", [])
    assert message_erreur(exc) == "ConversionException : Conversion Error: Could not convert string '2A001' to INT32"
    assert message_erreur(RuntimeError()) == "RuntimeError"


def test_lock_holder_is_named_by_its_command(tmp_path):
    root = tmp_path / "obs"
    code = ("import sys, time; from pathlib import Path; from osq_utils import verrou\n"
            "with verrou.observatoire(Path(sys.argv[1]), 'obs'):\n    print('tenu', flush=True); time.sleep(600)\n")
    # Shown as the command a user typed: « osq build … » for `python -m osq_utils.cli build …`.
    script = tmp_path / "osq"
    script.write_text(code, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), str(root), "build", "params/obs.yml"], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "tenu"
        deadline = time.monotonic() + 10
        while True:
            try:
                with verrou.observatoire(root, "obs"):
                    pass
            except verrou.VerrouOccupe as exc:
                assert f"« osq {root} build params/obs.yml » (processus {proc.pid})" in str(exc)
                break
            assert time.monotonic() < deadline
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

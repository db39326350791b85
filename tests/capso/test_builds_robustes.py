"""Builds that behave (issue 13, « Builds »): each defect reproduced with the real commands.

Real `osq build`, `osq livraison`, `osq preview` and `papermill` processes, real kernels, the CAPSO store (DuckDB),
pandoc (and Quarto for the printables' removal). Nothing is mocked. Where a failure has to be provoked, a copy
of the templates ($OSQ_NOTEBOOKS) adds one cell to the commune note: a raw typst image that does not exist (the
PDF fails for real in typst), or a call to OSQ that raises its French error. A build killed with kill -9 rarely
dies while a temporary file exists: the test kills one for real, then adds the temporary files such a death
leaves (same names as the writers use), and checks that the next build removes them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from outils import vivants

from osq_utils import atomic, store, verrou
from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.notes import TYPES

pytestmark = pytest.mark.slow

SIX = ["62040", "62765", "62525", "62014", "62015", "62041"]  # Arques, Saint-Omer, Longuenesse, Aire…


def _params(dossier: Path, ident: str, communes: list[str]) -> Path:
    path = dossier / f"{ident}.yml"
    path.write_text(f"observatoire:\n  id: {ident}\n  titre: Observatoire d'essai\nnotes:\n  - modele: note_communale\n"
                    f"    territoires:\n      communes: {json.dumps(communes)}\n", encoding="utf-8")
    return path


def _env(store_file: Path, **extra: str) -> dict[str, str]:
    # COLUMNS: the summary's table is wide enough for an error on one line.
    return {**os.environ, "OSQ_STORE": str(store_file), "OSQ_QUARTO": "non", "COLUMNS": "400", **extra}


def _osq(env: dict, *args: str, cwd: Path = PROJECT_ROOT, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "osq_utils.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def _ctrl_c_actif() -> None:
    """As in a terminal's foreground job: a test run started in the background (`make test &`, a CI runner)
    ignores SIGINT, and a child inherits that; the build under test must get Ctrl-C as a user would."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _lancer(env: dict, *args: str) -> subprocess.Popen:
    """`osq …` in its own session: a signal to its group is a Ctrl-C in its terminal."""
    return subprocess.Popen([sys.executable, "-m", "osq_utils.cli", *args], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_ctrl_c_actif)


def _attendre(condition, delai: float = 600, quoi: str = "") -> None:
    fin = time.monotonic() + delai
    while not condition():
        assert time.monotonic() < fin, f"attente trop longue : {quoi}"
        time.sleep(0.2)


def _carnets(root: Path) -> set[str]:
    return {p.stem for p in (root / "notebooks").glob("*.ipynb") if not p.name.startswith(".")}


def _temporaires(root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in root.rglob("*") if atomic.TEMPORAIRE.match(p.name)]


def _modeles(tmp_path: Path, cellule: str) -> Path:
    """A copy of the templates whose commune note ends with `cellule`."""
    dossier = tmp_path / "modeles"
    shutil.copytree(PROJECT_ROOT / "notebooks", dossier)
    nb = nbformat.read(dossier / "note_communale.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(cellule))
    nbformat.write(nb, dossier / "note_communale.ipynb")
    return dossier


def _sans_cadre(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[│┃]", " ", text))


# --- A printable that fails ------------------------------------------------------------------------------------

def test_failed_printable_is_a_failed_note_without_server_paths_nor_stray_files(store_file, tmp_path):
    # Arques' note asks typst for an image that does not exist: its PDF fails in typst, as in `make site`.
    modeles = _modeles(tmp_path, 'if code_commune == "62040":\n'
                                 '    display(Markdown(\'```{=typst}\\n#image("figure-absente.png")\\n```\'))')
    cwd, tmpdir = tmp_path / "dossier-courant", tmp_path / "tmpdir"
    cwd.mkdir()
    tmpdir.mkdir()
    media_avant = (PROJECT_ROOT / "media").exists()
    proc = _osq(_env(store_file, OSQ_NOTEBOOKS=str(modeles), TMPDIR=str(tmpdir)), "build",
                str(_params(tmp_path, "imprime", ["62040", "62765"])), "--jobs", "2", "--imprimables",
                "--sortie", str(tmp_path / "rapports"), cwd=cwd)
    sortie = _sans_cadre(proc.stderr)
    # Counted as a failure, with its own first line, and the command fails.
    assert proc.returncode == 1, proc.stderr
    assert "en échec (non publiées) 1" in sortie
    assert "communale-62040 typst n'a pas pu composer le PDF de la note « Arques » : file not found" in sortie
    assert "Traceback" not in proc.stderr
    site = tmp_path / "rapports" / "imprime" / "site"
    # Never published: no page, no printable, no images; the index links only to files that exist.
    assert not [p.name for p in (site / "notes").iterdir() if p.name.startswith("communale-62040")]
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "notes/communale-62040" not in index
    liens = re.findall(r'href="(notes/[^"#]+)"', index)
    assert {"notes/communale-62765.html", "notes/communale-62765.pdf", "notes/communale-62765.docx"} <= set(liens)
    assert all((site / lien).is_file() for lien in liens)
    # No server path in any page of the site.
    for path in site.rglob("*"):
        if path.suffix in (".html", ".json", ".js", ".css", ".txt"):
            text = path.read_text(encoding="utf-8")
            assert "/tmp/" not in text and str(PROJECT_ROOT) not in text and str(tmp_path) not in text, path
    # Nothing written outside the output folder: not in the current folder, not in the temporary folder,
    # no `media/` at the project root.
    assert list(cwd.iterdir()) == []
    assert list(tmpdir.iterdir()) == []
    assert (PROJECT_ROOT / "media").exists() == media_avant
    # The note's log keeps the whole story.
    assert "typst" in (tmp_path / "rapports" / "imprime" / "journaux" / "communale-62040.log").read_text(encoding="utf-8")


# --- Files a build no longer produces ---------------------------------------------------------------------------

@pytest.mark.parametrize("rendu", ["pandoc", "quarto"])
def test_build_without_printables_removes_the_old_pdf_and_word_files(rendu, store_file, tmp_path, request):
    quarto = request.getfixturevalue("quarto_exe") if rendu == "quarto" else "non"
    env = _env(store_file, OSQ_QUARTO=quarto)
    out = tmp_path / "rapports"
    params = _params(tmp_path, "versions", ["62040", "62765"])
    site = out / "versions" / "site"
    proc = _osq(env, "build", str(params), "--jobs", "2", "--imprimables", "--sortie", str(out))
    assert proc.returncode == 0, proc.stderr
    assert {p.suffix for p in (site / "notes").glob("communale-62040.*")} == {".html", ".pdf", ".docx"}
    proc = _osq(env, "build", str(params), "--jobs", "2", "--sortie", str(out))
    assert proc.returncode == 0, proc.stderr
    assert not list(site.rglob("*.pdf")) and not list(site.rglob("*.docx"))
    assert ".pdf" not in (site / "index.html").read_text(encoding="utf-8")
    # A note taken out of the params file leaves the site too.
    proc = _osq(env, "build", str(_params(tmp_path, "versions", ["62765"])), "--jobs", "2", "--sortie", str(out))
    assert proc.returncode == 0, proc.stderr
    assert not [p for p in (site / "notes").iterdir() if p.name.startswith("communale-62040")]
    assert (site / "notes" / "communale-62765.html").is_file()


# --- Ctrl-C -----------------------------------------------------------------------------------------------------

def test_ctrl_c_stops_within_seconds_cancels_the_queue_and_keeps_finished_notes(store_file, tmp_path):
    out = tmp_path / "rapports"
    root = out / "six"
    build = _lancer(_env(store_file), "build", str(_params(tmp_path, "six", SIX)), "--jobs", "2", "--sortie", str(out))
    _attendre(lambda: _carnets(root) or build.poll() is not None, quoi="une première note exécutée")
    assert build.poll() is None, build.stderr.read()
    noyaux = psutil.Process(build.pid).children(recursive=True)
    debut = time.monotonic()
    os.killpg(build.pid, signal.SIGINT)  # Ctrl-C in the terminal: the whole foreground group
    _, stderr = build.communicate(timeout=120)
    secondes = time.monotonic() - debut
    print(f"arrêt {secondes:.1f} s après Ctrl-C")
    assert secondes < 10, stderr
    assert build.returncode == 130, stderr
    message = _sans_cadre(stderr)
    assert "Construction interrompue (Ctrl-C)" in message and "gardée(s)" in message and "annulée(s)" in message
    assert "Traceback" not in stderr
    # The finished notes are kept (notebook and state); the queue did not run on.
    etat = json.loads((root / "etat.json").read_text(encoding="utf-8"))
    assert etat["executes"] and set(etat["executes"]) <= _carnets(root)
    assert len(_carnets(root)) < len(SIX) and len(list((root / "journaux").glob("*.log"))) < len(SIX)
    assert _temporaires(root) == []
    # No kernel outlives the build.
    _attendre(lambda: not vivants(noyaux), 15, "la fin des noyaux")


def test_ctrl_c_kills_a_kernel_that_does_not_answer_its_interrupt(store_file, tmp_path):
    # A kernel can swallow the interrupt (it lands between two of ipykernel's steps: « KeyboardInterrupt
    # caught in kernel ») and never reply; a cell that ignores SIGINT reproduces that for sure.
    marque = tmp_path / "marques"
    marque.mkdir()
    modeles = _modeles(tmp_path, "import signal, time, pathlib\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                 f"pathlib.Path({str(marque)!r}, code_commune).touch()\ntime.sleep(600)")
    out = tmp_path / "rapports"
    build = _lancer(_env(store_file, OSQ_NOTEBOOKS=str(modeles)), "build",
                    str(_params(tmp_path, "sourd", SIX[:3])), "--jobs", "2", "--sortie", str(out))
    _attendre(lambda: len(list(marque.iterdir())) == 2 or build.poll() is not None, quoi="deux notes bloquées")
    assert build.poll() is None, build.stderr.read()
    noyaux = psutil.Process(build.pid).children(recursive=True)
    debut = time.monotonic()
    os.killpg(build.pid, signal.SIGINT)
    _, stderr = build.communicate(timeout=120)
    secondes = time.monotonic() - debut
    assert secondes < 10, stderr
    assert build.returncode == 130, stderr
    assert "0 note(s) terminée(s) gardée(s), 2 arrêtée(s) en cours d'exécution, 1 annulée(s)" in _sans_cadre(stderr)
    assert "Traceback" not in stderr
    assert _carnets(out / "sourd") == set() and _temporaires(out / "sourd") == []
    _attendre(lambda: not vivants(noyaux), 15, "la fin des noyaux")


# --- kill -9 ----------------------------------------------------------------------------------------------------

def test_temporary_files_of_a_killed_build_are_removed_by_the_next(store_file, tmp_path):
    env = _env(store_file)
    out = tmp_path / "rapports"
    root = out / "tue"
    params = _params(tmp_path, "tue", ["62040", "62765", "62525"])
    build = _lancer(env, "build", str(params), "--jobs", "2", "--sortie", str(out))
    _attendre(lambda: list((root / "site" / "notes").glob("*.html")) or build.poll() is not None, quoi="une page")
    os.killpg(build.pid, signal.SIGKILL)
    build.communicate(timeout=60)
    # What kill -9 leaves when it strikes while files are written (the writers' own names).
    (root / "site" / "notes" / ".communale-62040.html.k9x8y7z6.tmp").write_text("<html>moitié", encoding="utf-8")
    (root / "site" / "notes" / ".communale-62040.html.a1b2c3d4.tmp.json").write_text("{}", encoding="utf-8")
    travail = root / "site" / "notes" / ".communale-62765.pdf.q1w2e3r4.tmp"
    (travail / "media").mkdir(parents=True)
    (travail / "note.typ").write_text("#set page()", encoding="utf-8")
    (root / "notebooks" / ".communale-62525.tmp.ipynb").write_text("{}", encoding="utf-8")
    (root / ".etat.json.z9y8x7.tmp").write_text("{", encoding="utf-8")
    assert len(_temporaires(root)) >= 5

    proc = _osq(env, "build", str(params), "--jobs", "2", "--sortie", str(out))
    assert proc.returncode == 0, proc.stderr
    assert _temporaires(root) == []
    assert len(list((root / "site" / "notes").glob("*.html"))) == 3


# --- The lock ---------------------------------------------------------------------------------------------------

def test_second_build_of_the_same_params_stops_with_a_french_message(store_file, tmp_path):
    env = _env(store_file)
    out = tmp_path / "rapports"
    root = out / "double"
    params = _params(tmp_path, "double", SIX)
    premier = _lancer(env, "build", str(params), "--jobs", "2", "--sortie", str(out))
    _attendre(lambda: (root / "journaux").is_dir() or premier.poll() is not None, quoi="la première construction")
    second = _osq(env, "build", str(params), "--jobs", "2", "--sortie", str(out))
    assert premier.poll() is None, "la première construction devait encore tourner"
    assert second.returncode == 5, second.stderr
    message = _sans_cadre(second.stderr)
    assert "une autre construction de l'observatoire « double » est en cours" in message
    assert f"(processus {premier.pid})" in message and "Traceback" not in second.stderr
    # The first build is not disturbed.
    _, stderr = premier.communicate(timeout=900)
    assert premier.returncode == 0, stderr
    assert len(list((root / "site" / "notes").glob("*.html"))) == len(SIX)


def _livraison(dossier: Path, con) -> Path:
    """A France Travail delivery (latin-1 CSV of its convention) of real figures: the job seekers of CAPSO's
    QPVs in 2019 (ANCT / Insee, IPRO_2020.csv, in the store)."""
    rows = con.execute(
        "SELECT code, any_value(valeur) FROM observations WHERE indicateur = 'demandeurs_emploi_abc' AND annee = 2019 "
        "AND niveau = 'qpv' AND statut = 'ok' GROUP BY code ORDER BY code LIMIT 3").fetchall()
    assert rows
    path = dossier / "defm_abc_qpv_2019T4.csv"
    lines = ["Code quartier;Année;Demandeurs d'emploi cat. A, B, C", *(f"{c};2019;{int(v)}" for c, v in rows)]
    path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    return path


def test_delivery_during_a_build_stops_with_a_french_message_and_leaves_the_store_unchanged(store_file, tmp_path):
    copie = tmp_path / "osq.duckdb"
    shutil.copy(store_file, copie)
    con = store.connect(copie, read_only=True)
    delivery = _livraison(tmp_path, con)
    con.close()
    env = _env(copie)
    convention = str(PROJECT_ROOT / "data" / "conventions" / "france-travail.yml")
    out = tmp_path / "rapports"
    build = _lancer(env, "build", str(_params(tmp_path, "pendant", SIX[:4])), "--jobs", "2", "--sortie", str(out))
    _attendre(lambda: (out / "pendant" / "journaux").is_dir() or build.poll() is not None, quoi="la construction")
    empreinte = hashlib.sha256(copie.read_bytes()).hexdigest()
    proc = _osq(env, "livraison", convention, str(delivery))
    assert build.poll() is None, "la construction devait encore tourner"
    assert proc.returncode == 5, proc.stderr
    message = _sans_cadre(proc.stderr)
    assert f"la base {copie} est lue par" in message and f"(processus {build.pid})" in message
    assert "la base n'a pas été modifiée" in message
    assert "lock" not in proc.stderr.lower() and "Traceback" not in proc.stderr
    assert hashlib.sha256(copie.read_bytes()).hexdigest() == empreinte
    _, stderr = build.communicate(timeout=900)
    assert build.returncode == 0, stderr  # no note failed on a DuckDB lock
    # Once the build is over, the same delivery loads.
    proc = _osq(env, "livraison", convention, str(delivery))
    assert proc.returncode == 0, proc.stderr


def test_build_during_a_delivery_stops_with_a_french_message(store_file, tmp_path):
    with verrou.base(store_file, ecriture=True):  # what `osq livraison` holds while it writes the store
        proc = _osq(_env(store_file), "build", str(_params(tmp_path, "attente", ["62040"])), "--sortie",
                    str(tmp_path / "rapports"))
    assert proc.returncode == 5, proc.stderr
    assert f"la base {store_file} est en cours de modification" in _sans_cadre(proc.stderr)
    assert not (tmp_path / "rapports" / "attente").exists()


# --- The first line of an error ---------------------------------------------------------------------------------

def test_summary_and_preview_show_the_first_line_of_a_note_error(store_file, tmp_path):
    # Saint-Omer's note asks OSQ for a commune code that does not exist: its French error, with a correction.
    modeles = _modeles(tmp_path, 'if code_commune == "62765":\n    from osq_utils import territoires\n'
                                 '    territoires.code_commune(ctx.vue, "99999")')
    env = _env(store_file, OSQ_NOTEBOOKS=str(modeles))
    proc = _osq(env, "build", str(_params(tmp_path, "erreur", ["62040", "62765"])), "--jobs", "2",
                "--sortie", str(tmp_path / "rapports"))
    assert proc.returncode == 1, proc.stderr
    message = _sans_cadre(proc.stderr)
    # Before: only « → Correction : … » was shown. Now the error's own first line, then its correction.
    assert "communale-62765 code commune « 99999 » inconnu du code officiel géographique" in message
    assert "→ Correction : écrivez le code INSEE à 5 caractères" in message
    proc = _osq(env, "preview", "note_communale", "62765", "--sortie", str(tmp_path / "apercu"))
    assert proc.returncode == 1, proc.stderr
    assert "Échec : code commune « 99999 » inconnu du code officiel géographique → Correction : écrivez" in \
        _sans_cadre(proc.stderr)


# --- A territory code given as a number (papermill -p) ------------------------------------------------------------

def _papermill(store_file: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "papermill", str(PROJECT_ROOT / "notebooks" / "note_communale.ipynb"),
                           str(out), *args, "--cwd", str(PROJECT_ROOT / "notebooks"), "--no-progress-bar"],
                          env={**os.environ, "OSQ_STORE": str(store_file)}, capture_output=True, text=True, timeout=600)


def test_papermill_p_with_a_commune_code_as_a_number(store_file, tmp_path):
    out = tmp_path / "saint-omer.ipynb"
    proc = _papermill(store_file, out, "-p", "code_commune", "62765")  # papermill passes the int 62765
    assert proc.returncode == 0, proc.stderr
    nb = nbformat.read(out, as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert "code_commune = 62765\n" in injected.source + "\n"
    sorties = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in sorties if o.get("output_type") == "error"]
    assert "Saint-Omer" in json.dumps(sorties, ensure_ascii=False)
    # A number that names no commune: a French message, not DuckDB's conversion error.
    proc = _papermill(store_file, tmp_path / "inconnue.ipynb", "-p", "code_commune", "99999")
    assert proc.returncode != 0
    assert "code commune « 99999 » inconnu du code officiel géographique" in proc.stderr
    assert "ConversionException" not in proc.stderr and "Conversion Error" not in proc.stderr


def test_a_commune_code_that_lost_its_leading_zero_is_restored(store_file):
    # The store's geography is France's (COG): 01001 is L'Abergement-Clémenciat, and no commune is 1001.
    con = store.connect(store_file, read_only=True)
    try:
        kind = TYPES["note_communale"]
        assert kind.code_parametre(con, 1001) == "01001"  # papermill -p code_commune 01001
        assert kind.code_parametre(con, 62765) == "62765"
        assert kind.code_parametre(con, "62765") == "62765"
        with pytest.raises(Exception, match="« 99999 » inconnu"):
            kind.code_parametre(con, 99999)
        with pytest.raises(Exception, match="n'est pas un code de quartier prioritaire"):
            TYPES["note_quartier"].code_parametre(con, 62036)
    finally:
        con.close()

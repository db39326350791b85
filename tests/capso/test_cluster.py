"""`osq build --cluster` on a real Dask cluster: a scheduler and workers started as separate processes
(`dask scheduler`, `dask worker`) on 127.0.0.1, as the README tells an analyst to start them.

Nothing is mocked. A worker is lost the way a machine is: its process and its kernel are killed (SIGKILL)
while the build runs; every note must still be executed and published, and the summary must say which
notes were taken over.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from distributed import Client
from outils import vivants

from osq_utils.batch import cluster, execute
from osq_utils.batch.build import build
from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.errors import ClusterIndisponible

pytestmark = pytest.mark.slow
DASK = Path(sys.executable).parent / "dask"
COMMUNES = ["62040", "62765", "62525", "62548", "62309", "62422", "62001", "62015"]


def _port_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _attendre(condition, delai: float, quoi: str) -> None:
    fin = time.monotonic() + delai
    while not condition():
        assert time.monotonic() < fin, f"attente trop longue : {quoi}"
        time.sleep(0.2)


def _tuer(proc: subprocess.Popen) -> None:
    """Kill a process and everything it started (a worker's kernels), as a lost machine would."""
    try:
        famille = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        famille = []
    for p in famille:
        try:
            p.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass
    proc.wait(timeout=30)


@pytest.fixture
def grappe(tmp_path):
    """A scheduler and two single-thread workers (no nanny: a killed worker stays dead), started apart."""
    port = _port_libre()
    adresse = f"tcp://127.0.0.1:{port}"
    journal = tmp_path / "dask"
    journal.mkdir()
    procs = {}

    def lancer(nom: str, *args: str) -> subprocess.Popen:
        fh = open(journal / f"{nom}.log", "w")  # noqa: SIM115 (closed with the process)
        procs[nom] = subprocess.Popen([str(DASK), *args], stdout=fh, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT,
                                      start_new_session=True)
        return procs[nom]

    lancer("scheduler", "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard")
    workers = {}
    for nom in ("w1", "w2"):
        wport = _port_libre()
        lancer(nom, "worker", adresse, "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
               "--worker-port", str(wport), "--name", nom)
        workers[nom] = f"tcp://127.0.0.1:{wport}"
    # Both workers registered (the scheduler's log names each one it adds).
    _attendre(lambda: (journal / "scheduler.log").read_text().count("Register worker") >= 2, 60,
              f"les workers de {adresse} ({(journal / 'scheduler.log').read_text()[-2000:]})")
    yield adresse, procs, workers
    for proc in procs.values():
        if proc.poll() is None:
            _tuer(proc)


def test_a_lost_worker_loses_no_note(grappe, store_file, tmp_path):
    adresse, procs, workers = grappe
    params = tmp_path / "p.yml"
    params.write_text("observatoire:\n  id: essai\n  titre: Essai\nnotes:\n  - modele: note_communale\n"
                      f"    territoires:\n      communes: {json.dumps(COMMUNES)}\n", encoding="utf-8")
    sortie = tmp_path / "r"
    env = {**os.environ, "OSQ_STORE": str(store_file), "OSQ_QUARTO": "non", "COLUMNS": "200"}
    build_proc = subprocess.Popen([sys.executable, "-m", "osq_utils.cli", "build", str(params), "--cluster", adresse,
                                   "--sortie", str(sortie)], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
    notebooks = sortie / "essai" / "notebooks"
    # In the middle of the build: one note finished, so both workers are busy with the next ones.
    _attendre(lambda: bool(list(notebooks.glob("communale-*.ipynb"))) or build_proc.poll() is not None, 600,
              "une première note exécutée")
    assert build_proc.poll() is None, build_proc.communicate()
    noyaux_w2 = psutil.Process(procs["w2"].pid).children(recursive=True)
    assert noyaux_w2, "w2 garde un noyau chaud entre deux notes"
    with Client(adresse, set_as_default=False) as client:  # w1 holds a note when it is killed
        _attendre(lambda: bool(client.processing().get(workers["w1"])), 60, "une note sur w1")
        _tuer(procs["w1"])
    assert len(list(notebooks.glob("communale-*.ipynb"))) < len(COMMUNES)
    out, err = build_proc.communicate(timeout=600)
    assert build_proc.returncode == 0, out + err
    assert "Traceback" not in out + err
    # Every note executed and published, none lost.
    for code in COMMUNES:
        assert (notebooks / f"communale-{code}.ipynb").exists(), code
        assert (sortie / "essai" / "site" / "notes" / f"communale-{code}.html").exists(), code
    bilan = " ".join((out + err).split())  # rich writes the summary to stderr
    assert f"exécutées │ {len(COMMUNES)}" in bilan, out
    reprises = re.search(r"reprises après la perte d'un worker │ (\d+)", bilan)
    assert reprises and int(reprises[1]) >= 1, out
    assert f"Worker(s) perdu(s) pendant la construction : {workers['w1']}." in bilan, out
    assert f"{reprises[1]} terminée(s), 0 en échec" in bilan, out
    # The workers' kernels end with the build: their memory goes back while the site is published.
    _attendre(lambda: not vivants(noyaux_w2), 30, "l'arrêt des noyaux de w2 à la fin de la construction")
    # A worker stopped the usual way (Ctrl-C, SIGTERM) while it holds a kernel leaves no kernel behind.
    with Client(adresse, set_as_default=False) as client:
        client.run(execute.prewarm, 1, workers=[workers["w2"]])
    _attendre(lambda: bool(psutil.Process(procs["w2"].pid).children(recursive=True)), 120, "un noyau chaud sur w2")
    noyaux = psutil.Process(procs["w2"].pid).children(recursive=True)
    procs["w2"].send_signal(signal.SIGTERM)
    procs["w2"].wait(timeout=60)
    _attendre(lambda: not vivants(noyaux), 30, "l'arrêt des noyaux de w2")


def test_an_unreachable_scheduler_is_a_french_error(store_file, tmp_path, monkeypatch):
    monkeypatch.setenv("OSQ_QUARTO", "non")
    monkeypatch.setattr(cluster, "CONNEXION_SECONDES", 2)
    params = tmp_path / "p.yml"
    params.write_text("observatoire:\n  id: essai\n  titre: Essai\nnotes:\n  - modele: note_communale\n"
                      "    territoires:\n      communes: [\"62040\"]\n", encoding="utf-8")
    adresse = f"tcp://127.0.0.1:{_port_libre()}"  # nothing listens there
    with pytest.raises(ClusterIndisponible) as exc:
        build(params, store_file=store_file, sortie=tmp_path / "r", cluster=adresse)
    assert f"ordonnanceur Dask injoignable à {adresse}" in str(exc.value)
    assert "dask scheduler" in str(exc.value)
    assert not list((tmp_path / "r" / "essai" / "notebooks").glob("*.ipynb"))


def test_every_worker_lost_fails_the_remaining_notes_instead_of_waiting(grappe, store_file, tmp_path, monkeypatch):
    """No worker left: the build does not wait forever. After cluster.SANS_WORKER_SECONDES (shortened here), the
    notes not run are failed with a French message that says what to do; the finished ones are published."""
    adresse, procs, _ = grappe
    monkeypatch.setenv("OSQ_QUARTO", "non")
    monkeypatch.setattr(cluster, "SANS_WORKER_SECONDES", 3.0)
    monkeypatch.setattr(cluster, "VEILLE_SECONDES", 0.5)
    params = tmp_path / "p.yml"
    params.write_text("observatoire:\n  id: essai\n  titre: Essai\nnotes:\n  - modele: note_communale\n"
                      f"    territoires:\n      communes: {json.dumps(COMMUNES)}\n", encoding="utf-8")
    sortie = tmp_path / "r"
    notebooks = sortie / "essai" / "notebooks"
    fini = {}
    fil = threading.Thread(target=lambda: fini.setdefault("rapport", build(
        params, store_file=store_file, sortie=sortie, cluster=adresse)), daemon=True)
    fil.start()
    _attendre(lambda: bool(list(notebooks.glob("communale-*.ipynb"))) or not fil.is_alive(), 600,
              "une première note exécutée")
    for nom in ("w1", "w2"):
        _tuer(procs[nom])
    fil.join(timeout=300)
    assert not fil.is_alive(), "la construction attend encore des workers disparus"
    rapport = fini["rapport"]
    publiees = sorted(p.stem for p in (sortie / "essai" / "site" / "notes").glob("communale-*.html"))
    echecs = rapport.failed
    assert publiees and echecs and len(publiees) + len(echecs) == len(COMMUNES), (publiees, echecs)
    assert all("plus aucun worker dans le cluster" in r.erreur and "relancez des workers" in r.erreur
               for r in echecs), [r.erreur for r in echecs]

"""Notes executed on a Dask distributed cluster (`osq build --cluster tcp://HOST:PORT`).

The scheduler and its workers are started apart (`dask scheduler`, `dask worker ADDRESS --nthreads 1`), from
the same OSQ installation. Workers execute `execute.run_job` with their own warm kernel; they must see the
store, and the observatory's output folder, at the same paths as the machine that runs `osq build` (one
machine, or a shared disk). Before any note runs, every worker is checked: same OSQ code and reference files,
store readable, output folder writable; otherwise a French error names the worker and the fix.

A worker lost in the middle of a build loses no note: the scheduler gives its notes to the other workers
(distributed's own rescheduling). The scheduler's « remove-worker » event names the notes the lost worker
held; those notes are reported as taken over (`JobResult.reprise`), and the build's summary says so.
A result is released as soon as it is collected, so a worker lost later never makes a finished note run again.
The workers' warm kernels are shut down when the notes are done; a worker's kernel also ends with the worker,
however it ends: ipykernel exits when its parent process is gone.

`distributed` is imported by this module only: `osq build` imports it when a build runs on a cluster.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from distributed import Client
from distributed import as_completed as dask_completed

from osq_utils.batch import execute as ex
from osq_utils.batch import fingerprint as fp
from osq_utils.batch.plan import Job
from osq_utils.errors import ClusterIndisponible

CONNEXION_SECONDES = 20  # how long to wait for the scheduler, then for its first worker
SANS_WORKER_SECONDES = 120.0  # every worker lost for this long: the remaining notes fail (none would run them)
VEILLE_SECONDES = 2.0  # how often the build counts the cluster's workers


def _etat_du_worker(store: str, dossiers: list[str]) -> dict:
    """Run on each worker: what the connection check compares with the machine that builds."""
    return {
        "code": fp.code_fingerprint(),
        "base": os.access(store, os.R_OK),
        "dossiers": [d for d in dossiers if not os.access(d, os.W_OK)],
    }


def _client(address: str) -> Client:
    correction = ("lancez l'ordonnanceur (« dask scheduler ») et au moins un worker (« dask worker ADRESSE "
                  "--nthreads 1 ») depuis la même installation d'OSQ, ou corrigez l'adresse (tcp://hôte:port)")
    try:
        client = Client(address, timeout=CONNEXION_SECONDES, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterIndisponible(f"ordonnanceur Dask injoignable à {address} ({type(exc).__name__})",
                                  correction=correction) from None
    try:
        client.wait_for_workers(1, timeout=CONNEXION_SECONDES)
    except (OSError, TimeoutError):
        client.close()
        raise ClusterIndisponible(f"l'ordonnanceur Dask {address} n'a aucun worker après {CONNEXION_SECONDES} s",
                                  correction=correction) from None
    return client


def _verifier(client: Client, address: str, store: Path, dossiers: list[Path]) -> None:
    code = fp.code_fingerprint()
    etats = client.run(_etat_du_worker, str(store), [str(d) for d in dossiers])
    for worker, etat in sorted(etats.items()):
        if etat["code"] != code:
            raise ClusterIndisponible(
                f"le worker {worker} de {address} n'a pas le même code ni les mêmes fichiers de référence qu'OSQ ici",
                correction="installez sur chaque machine de calcul la même version d'OSQ (même commit, mêmes "
                           "fichiers data/), puis relancez ses workers")
        if not etat["base"]:
            raise ClusterIndisponible(
                f"le worker {worker} de {address} ne peut pas lire la base {store}",
                correction="rendez la base visible des machines de calcul au même chemin (disque partagé, ou "
                           "une copie à ce chemin), en lecture")
        if etat["dossiers"]:
            raise ClusterIndisponible(
                f"le worker {worker} de {address} ne peut pas écrire dans {etat['dossiers'][0]}",
                correction="le dossier des rapports doit être partagé avec les machines de calcul au même chemin, "
                           "en écriture (option --sortie)")


def execute(jobs: list[Job], out_dir: Path, log_dir: Path, store: Path, address: str, progress=None,
            engine: str = "chaud") -> list[ex.JobResult]:
    """Run every job on the Dask scheduler at `address`; same contract as `execute.execute`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    if not jobs:
        return []
    client = _client(address)
    try:
        _verifier(client, address, store, [out_dir, log_dir])
        return _run(client, jobs, (str(out_dir), str(log_dir), str(store), engine), out_dir, log_dir, progress)
    finally:
        client.close()


def _run(client: Client, jobs: list[Job], args: tuple, out_dir: Path, log_dir: Path, progress) -> list[ex.JobResult]:
    stamp = time.time_ns()
    keys = {f"osq-{job.slug}-{stamp}": job for job in jobs}
    perdus: dict[str, str] = {}  # key of a note held by a lost worker -> that worker
    lock = threading.Lock()

    def on_event(event) -> None:  # in the client's event loop
        msg = event[1]
        if isinstance(msg, dict) and msg.get("action") == "remove-worker":
            with lock:
                for key in msg.get("processing-tasks", ()):
                    if key in keys:
                        perdus.setdefault(key, msg.get("worker", "?"))

    # Every worker lost: the notes would wait for one forever. After SANS_WORKER_SECONDES without any, the
    # remaining notes are cancelled and reported as failed, the finished ones kept.
    abandon = threading.Event()
    fin = threading.Event()

    def veille() -> None:
        depuis = None
        while not fin.wait(VEILLE_SECONDES):
            if abandon.is_set():
                # A note collected just as its worker was lost is asked of the scheduler again (distributed
                # reschedules what it cannot gather) and would wait for a worker: cancelled as well.
                client.cancel([f for f in tous if not f.done()])
                continue
            try:
                n = len(client.scheduler_info().get("workers", {}))
            except Exception:  # noqa: BLE001 - a scheduler gone is a cluster without workers too
                n = 0
            depuis = None if n else (depuis or time.monotonic())
            if depuis is not None and time.monotonic() - depuis >= SANS_WORKER_SECONDES:
                abandon.set()
                client.cancel([f for f in tous if not f.done()])

    client.subscribe_topic("all", on_event)
    client.run(ex.reprendre)  # a worker stopped by Ctrl-C during an earlier build runs notes again
    results: list[ex.JobResult] = []
    futures = {client.submit(ex.run_job, job, *args, key=key, pure=False): key for key, job in keys.items()}
    tous = list(futures)
    sans_worker = ("échec", 0.0, f"plus aucun worker dans le cluster depuis {SANS_WORKER_SECONDES:.0f} s : "
                   "relancez des workers (dask worker …), puis osq build ; les notes faites sont gardées")
    gardien = threading.Thread(target=veille, daemon=True)
    gardien.start()
    try:
        for fut in dask_completed(list(futures), loop=client.loop):
            key = futures.pop(fut)
            job = keys[key]
            issue = sans_worker if abandon.is_set() and fut.cancelled() else ex.outcome(fut.result)
            if abandon.is_set() and fut.cancelled():  # finished, lost with the last worker before it was gathered
                issue = sans_worker
            fut.release()  # a worker lost later must not recompute a collected note
            with lock:
                reprise = perdus.get(key)
            res = ex.resultat(job, issue, out_dir, log_dir, reprise)
            results.append(res)
            if progress:
                progress(res)
    except KeyboardInterrupt:
        # Ctrl-C: the workers' kernels are killed (their running notes fail at once, leaving no notebook)
        # and the queued notes are cancelled; the finished ones are kept.
        en_cours = {key for keys_ in client.processing().values() for key in keys_}
        arretees = sum(key in en_cours for key in futures.values())
        client.run(ex.arreter)
        client.cancel(list(futures))
        raise ex.Interruption(results, arretees, len(futures) - arretees) from None
    finally:
        fin.set()
        client.unsubscribe_topic("all")
    # The workers' warm kernels end with the build: their memory goes back to the machine while this one
    # publishes and audits the site, and the next build starts kernels that import its own code.
    try:
        client.run(ex.shutdown_all_kernels, on_error="ignore")
    except (OSError, TimeoutError):  # the scheduler is gone: its workers, and their kernels, with it
        pass
    return ex.dans_l_ordre(results, jobs)

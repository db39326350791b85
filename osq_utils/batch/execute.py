"""Execute the planned notebooks with papermill, in parallel, one log per job.

Engines:
- "chaud" (default): each worker process keeps one warm Jupyter kernel with the
  heavy libraries already imported; before every note the kernel's namespace is
  reset (new session: empty namespace, execution counter back to 1, figures
  closed) and papermill runs the note on it. Most of a naive run's cost
  (process start, kernel start, imports) is paid once per worker, not per note.
- "frais": a fresh kernel per note, exactly like the papermill CLI.
Jobs run on local worker processes, or on a Dask distributed cluster.

A failing job does not stop the others. The executed notebook is written to a
temporary file and moved into place only on success, so a failed or
interrupted note never replaces a good one.
"""

from __future__ import annotations

import multiprocessing
import os
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from osq_utils.batch.plan import NOTEBOOKS, Job

KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR"]  # no start-up chatter in the console
# Imported once per warm kernel: what every template uses.
WARMUP = """
import pandas, geopandas, matplotlib, matplotlib.pyplot, plotnine, great_tables, duckdb, mapclassify
import osq_utils.indicateurs, osq_utils.present.blocs, osq_utils.present.charts, osq_utils.present.maps
import osq_utils.present.tables
"""
RESET = """
import matplotlib.pyplot as _osq_plt
_osq_plt.close("all")
get_ipython().reset(new_session=True, aggressive=False)
"""
MAX_NOTES_PER_KERNEL = 200  # a fresh kernel now and then keeps memory flat on long runs


@dataclass
class JobResult:
    job: Job
    statut: str  # 'ok' | 'échec' | 'à jour'
    secondes: float
    notebook: Path | None
    log: Path
    erreur: str | None = None


# --- Warm kernel, one per worker process -------------------------------------------

_KERNEL = {"km": None, "runs": 0}


def _warm_kernel():
    """This worker's kernel, started and warmed on first use, renewed every MAX_NOTES_PER_KERNEL notes."""
    from jupyter_client.manager import KernelManager

    km = _KERNEL["km"]
    if km is not None and km.is_alive() and _KERNEL["runs"] < MAX_NOTES_PER_KERNEL:
        return km
    if km is not None:
        _shutdown_kernel()
    km = KernelManager(kernel_name="python3")
    km.start_kernel(extra_arguments=KERNEL_ARGS, cwd=str(NOTEBOOKS))
    _run_silently(km, WARMUP, timeout=180, wait_ready=True)
    _KERNEL.update(km=km, runs=0)
    return km


def _run_silently(km, code: str, timeout: float = 60, wait_ready: bool = False) -> None:
    """Run code on the warm kernel without recording it (no history, no execution count).

    A short-lived client each time: a client kept across papermill runs stops
    receiving replies once papermill's own client has used the kernel.
    """
    kc = km.client()
    kc.start_channels()
    try:
        if wait_ready:
            kc.wait_for_ready(timeout=60)
        reply = kc.execute_interactive(code, store_history=False, timeout=timeout, output_hook=lambda msg: None)
    finally:
        kc.stop_channels()
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"préparation du noyau en échec : {reply['content'].get('ename')}")


def _shutdown_kernel() -> None:
    km = _KERNEL["km"]
    if km is not None:
        try:
            km.shutdown_kernel(now=True)
        except Exception:  # already dead
            pass
    _KERNEL.update(km=None, runs=0)


def run_job(job: Job, out_dir: str, log_dir: str, store: str, engine: str = "chaud") -> tuple[str, float, str | None]:
    """Execute one note; returns (statut, seconds, first line of the error)."""
    import papermill as pm

    out = Path(out_dir) / f"{job.slug}.ipynb"
    tmp = out.with_name(f".{job.slug}.tmp.ipynb")
    log = Path(log_dir) / f"{job.slug}.log"
    start = time.perf_counter()
    params = {**job.parametres, "store": store}
    with open(log, "w", encoding="utf-8") as fh:
        fh.write(f"modèle : {job.modele}\nterritoire : {job.niveau} {job.code} ({job.libelle})\n"
                 f"paramètres : {params}\nmoteur : {engine}\n")
        try:
            kwargs = {}
            if engine == "chaud":
                kwargs["km"] = _warm_kernel()
                _run_silently(kwargs["km"], RESET)
                _KERNEL["runs"] += 1
            pm.execute_notebook(
                str(job.template), str(tmp), parameters=params, kernel_name="python3", progress_bar=False,
                request_save_on_cell_execute=False,
                cwd=str(NOTEBOOKS), log_output=False, extra_arguments=KERNEL_ARGS, **kwargs,
            )
        except Exception as exc:  # papermill raises PapermillExecutionError and others
            fh.write("\n" + "".join(traceback.format_exception(exc)))
            tmp.unlink(missing_ok=True)
            if engine == "chaud":
                _shutdown_kernel()  # never reuse a kernel after a failure
            lines = [line for line in str(exc).strip().splitlines() if line.strip()]
            detail = lines[-1] if lines else type(exc).__name__
            return "échec", time.perf_counter() - start, detail[:300]
        os.replace(tmp, out)
        fh.write(f"\nterminé en {time.perf_counter() - start:.1f} s\n")
    return "ok", time.perf_counter() - start, None


def _worker_init() -> None:
    # Start the worker's kernel before the first job arrives.
    try:
        _warm_kernel()
    except Exception:  # reported by the first job instead
        pass


# --- Schedulers ---------------------------------------------------------------------------


def execute(jobs: list[Job], out_dir: Path, log_dir: Path, store: Path, n_jobs: int, progress=None,
            engine: str = "chaud", cluster: str | None = None) -> list[JobResult]:
    """Run every job on n_jobs local worker processes, or on the Dask scheduler at `cluster`.

    progress is a callable(JobResult) or None.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    args = (str(out_dir), str(log_dir), str(store), engine)
    results: list[JobResult] = []

    def collect(job: Job, outcome) -> None:
        statut, secondes, erreur = outcome
        res = JobResult(job, statut, secondes, out_dir / f"{job.slug}.ipynb" if statut == "ok" else None,
                        log_dir / f"{job.slug}.log", erreur)
        results.append(res)
        if progress:
            progress(res)

    if not jobs:
        return []
    if cluster:
        _execute_dask(jobs, args, cluster, collect)
    else:
        init = _worker_init if engine == "chaud" else None
        # spawn, not fork: the parent may hold zmq contexts, DuckDB handles or threads.
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=max(1, min(n_jobs, len(jobs))), initializer=init, mp_context=ctx) as pool:
            futures = {pool.submit(run_job, job, *args): job for job in jobs}
            for fut in as_completed(futures):
                collect(futures[fut], _outcome(fut.result))
    order = {job.slug: i for i, job in enumerate(jobs)}
    return sorted(results, key=lambda r: order[r.job.slug])


def _outcome(get):
    try:
        return get()
    except Exception as exc:  # a crashed worker
        return "échec", 0.0, f"{type(exc).__name__}: {exc}"


def _execute_dask(jobs: list[Job], args: tuple, address: str, collect) -> None:
    from distributed import Client, as_completed as dask_completed

    with Client(address) as client:
        futures = {client.submit(run_job, job, *args, key=f"osq-{job.slug}-{time.time_ns()}", pure=False): job
                   for job in jobs}
        for fut in dask_completed(list(futures)):
            collect(futures[fut], _outcome(fut.result))

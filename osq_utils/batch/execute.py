"""Execute the planned notebooks with papermill, in parallel, one log per job.

Engines:
- "chaud" (default): each worker (a thread of the build, or a Dask worker
  process) keeps one warm Jupyter kernel with the heavy libraries already
  imported; before every note the kernel's namespace is reset (new session:
  empty namespace, execution counter back to 1, figures closed) and papermill
  runs the note on it. Most of a naive run's cost (process start, kernel
  start, imports) is paid once per worker, not per note.
- "frais": a fresh kernel per note, exactly like the papermill CLI, in worker processes.
Jobs run locally here; on a Dask distributed cluster, batch.cluster submits `run_job` to the workers.

A failing job does not stop the others. The executed notebook is written to a
temporary file and moved into place only on success, so a failed or
interrupted note never replaces a good one.

Ctrl-C (KeyboardInterrupt in the main thread) cancels the queued notes, stops the running ones (their
kernels are interrupted and no further cell starts) and raises `Interruption`, which says what finished;
the notes that finished keep their executed notebooks.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import re
import threading
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.channels import ZMQSocketChannel
from jupyter_client.manager import KernelManager
from traitlets import Type

from osq_utils.batch.plan import Job
from osq_utils.catalogues.racine import dossier_modeles

# No start-up chatter in the console, no SQLite history written for every cell.
KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR", "--HistoryManager.enabled=False"]
# Imported once per warm kernel: what every template uses.
WARMUP = """
import pandas, geopandas, matplotlib, matplotlib.pyplot, plotnine, great_tables, duckdb, mapclassify
import osq_utils.notes, osq_utils.present.charts, osq_utils.present.maps, osq_utils.present.evaluation
"""
# A new session before every note: empty namespace, execution counter back to 1, figures closed.
# IPython's reset ends with a full gc.collect() (0.1 s with the heavy libraries loaded, a tenth of a
# note): skipped here, the generational collector and the kernel renewal keep memory flat.
RESET = """
def _osq_reset(ip=get_ipython()):
    import gc
    import matplotlib.pyplot as plt
    plt.close("all")
    collect, gc.collect = gc.collect, (lambda *args, **kwargs: 0)
    try:
        ip.reset(new_session=True, aggressive=False)
    finally:
        gc.collect = collect
_osq_reset()
"""
MAX_NOTES_PER_KERNEL = 200  # a fresh kernel now and then keeps memory flat on long runs
# After Ctrl-C, how long an interrupted kernel has to end its cell before it is killed. An interrupt that
# lands between two of the kernel's own steps is swallowed (ipykernel logs « KeyboardInterrupt caught in
# kernel ») and the cell's reply never comes; a cell can also ignore SIGINT or sit in C code.
GRACE_SECONDES = 3.0
_ARRET = threading.Event()  # set on Ctrl-C: no note starts, kernels being started give up
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class JobResult:
    job: Job
    statut: str  # 'ok' | 'échec' | 'à jour'
    secondes: float
    notebook: Path | None
    log: Path
    erreur: str | None = None
    reprise: str | None = None  # on a cluster: the lost worker that held this note before another took it over


class Interruption(KeyboardInterrupt):
    """Ctrl-C while notes executed: `terminees` finished (kept), `arretees` were stopped while running,
    `annulees` never started."""

    def __init__(self, terminees: list[JobResult], arretees: int, annulees: int) -> None:
        super().__init__("construction interrompue")
        self.terminees, self.arretees, self.annulees = terminees, arretees, annulees


def message_erreur(exc: BaseException) -> str:
    """What a user reads of a note's failure: the error's own first line, and its correction when it has one.

    papermill's PapermillExecutionError carries the note's exception as ename / evalue; its str() is the
    whole traceback, whose last line is only the « → Correction » of a French OsqError."""
    name, text = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if name is None:
        name, text = type(exc).__name__, str(exc)
    lines = [line.strip() for line in _ANSI.sub("", text or "").splitlines() if line.strip()]
    if not lines:
        return name
    correction = next((line for line in lines[1:] if line.startswith("→ Correction")), None)
    # A French OsqError says what to do; any other exception is named (ConversionException : …).
    first = lines[0] if correction else f"{name} : {lines[0]}"
    return "\n".join([first[:400], *([correction[:400]] if correction else [])])


# --- Warm kernel, one per worker -------------------------------------------

class _KernelSlot(threading.local):
    """The warm kernel of this worker (a thread of the build, or a Dask worker process)."""

    km = None
    runs = 0


_KERNEL = _KernelSlot()
_ALL_KERNELS: list = []  # every warm kernel started by this process, to shut them down at the end
_ALL_LOCK = threading.Lock()


class _Channel(ZMQSocketChannel):
    """A channel whose endless wait ends when its kernel is dead.

    nbclient waits for a cell's messages without a timeout and counts on a task that checks every second
    whether the kernel lives; with a blocking client that wait holds the event loop and the check never
    runs, so a killed kernel would leave the note waiting forever.
    """

    vivant = None  # whether the kernel lives, set by _ReadyClient

    def get_msg(self, timeout: float | None = None) -> dict:
        if timeout is not None or self.vivant is None:
            return super().get_msg(timeout)
        while True:
            try:
                return super().get_msg(1.0)
            except queue.Empty:
                if not self.vivant():
                    raise RuntimeError("le noyau Jupyter s'est arrêté") from None


class _ReadyClient(BlockingKernelClient):
    """Kernel client for a kernel known to be up, whose waits end if the kernel dies (`_Channel`).

    jupyter_client's wait_for_ready ends by draining IOPub for 0.2 s, a fixed
    cost on every note. Here: ask kernel_info until its 'idle' status arrives on
    IOPub, which proves the IOPub subscription is live, and stop there.
    """

    shell_channel_class = Type(_Channel)
    iopub_channel_class = Type(_Channel)

    @property
    def shell_channel(self):
        channel = super().shell_channel
        channel.vivant = self._vivant
        return channel

    @property
    def iopub_channel(self):
        channel = super().iopub_channel
        channel.vivant = self._vivant
        return channel

    def _vivant(self) -> bool:
        """Whether the kernel's process runs; no event loop (is_alive's would nest in nbclient's)."""
        if not isinstance(self.parent, KernelManager):
            return True
        process = getattr(self.parent.provisioner, "process", None)
        return process is not None and process.poll() is None

    def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout or 60)
        while time.monotonic() < deadline:
            if _ARRET.is_set():
                raise RuntimeError("construction interrompue")
            msg_id = self.kernel_info()
            _shell_reply(self, msg_id, deadline)
            try:
                while True:
                    msg = self.get_iopub_msg(timeout=0.5)
                    if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                            and msg["content"]["execution_state"] == "idle"):
                        return
            except queue.Empty:
                continue  # the subscription came too late for that status: ask again
        raise RuntimeError("le noyau Jupyter ne répond pas")


def _shell_reply(kc, msg_id: str, deadline: float) -> dict:
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("pas de réponse du noyau Jupyter")
        if _ARRET.is_set():
            raise RuntimeError("construction interrompue")
        try:
            reply = kc.get_shell_msg(timeout=min(remaining, 0.5))  # short waits: Ctrl-C is seen at once
        except queue.Empty:
            continue
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply


_PREWARMED: queue.Queue = queue.Queue()  # kernels warmed ahead of time (while the build plans)
_PREWARM_LOCK = threading.Lock()
_PREWARM_PENDING = [0]


def prewarm(n: int) -> None:
    """Start and warm n kernels in background threads; the first workers take them instead of waiting."""
    def start() -> None:
        try:
            _PREWARMED.put(_start_warm_kernel())
        except Exception as exc:  # handed to the worker that takes it
            _PREWARMED.put(exc)

    _ARRET.clear()
    with _PREWARM_LOCK:
        _PREWARM_PENDING[0] += n
    for _ in range(n):
        threading.Thread(target=start, daemon=True).start()


def _take_prewarmed():
    with _PREWARM_LOCK:
        if _PREWARM_PENDING[0] <= 0:
            return None
        _PREWARM_PENDING[0] -= 1
    item = _PREWARMED.get(timeout=300)
    if isinstance(item, Exception):
        raise item
    return item


def _warm_kernel():
    """This worker's kernel, started and warmed on first use, renewed every MAX_NOTES_PER_KERNEL notes."""
    km = _KERNEL.km
    if km is not None and km.is_alive() and _KERNEL.runs < MAX_NOTES_PER_KERNEL:
        return km
    if km is not None:
        _shutdown_kernel()
    km = _take_prewarmed() or _start_warm_kernel()
    _KERNEL.km, _KERNEL.runs = km, 0
    return km


def _start_warm_kernel():
    km = KernelManager(kernel_name="python3", client_class=f"{__name__}._ReadyClient")
    km.start_kernel(extra_arguments=KERNEL_ARGS, cwd=str(dossier_modeles()))
    with _ALL_LOCK:  # known at once: Ctrl-C kills it even while it warms up
        _ALL_KERNELS.append(km)
    try:
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=60)
        finally:
            kc.stop_channels()
        _run_silently(km, WARMUP, timeout=180)
    except BaseException:
        _shutdown_kernel(km)
        raise
    return km


def _run_silently(km, code: str, timeout: float = 60) -> None:
    """Run code on the warm kernel without recording it (no history, no execution count, no output).

    A short-lived client each time (a client kept across papermill runs stops
    receiving replies); only the shell reply is awaited.
    """
    kc = km.client()
    kc.start_channels(iopub=False, stdin=False, hb=False)
    try:
        msg_id = kc.execute(code, silent=True, store_history=False)
        reply = _shell_reply(kc, msg_id, time.monotonic() + timeout)
    finally:
        kc.stop_channels()
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"préparation du noyau en échec : {reply['content'].get('ename')}")


def _shutdown_kernel(km=None) -> None:
    """Shut down this worker's kernel (or the given one)."""
    km = km if km is not None else _KERNEL.km
    if km is not None:
        try:
            km.shutdown_kernel(now=True)
        except Exception:  # already dead
            pass
        with _ALL_LOCK:
            if km in _ALL_KERNELS:
                _ALL_KERNELS.remove(km)
    if km is _KERNEL.km:
        _KERNEL.km, _KERNEL.runs = None, 0


def shutdown_all_kernels() -> None:
    """Shut down every kernel of this process, prewarmed ones not taken included."""
    if _ARRET.is_set():  # Ctrl-C: kill the kernels still warming up instead of waiting for them
        for km in list(_ALL_KERNELS):
            _shutdown_kernel(km)
    with _PREWARM_LOCK:
        pending, _PREWARM_PENDING[0] = _PREWARM_PENDING[0], 0
    for _ in range(pending):
        try:
            item = _PREWARMED.get(timeout=10 if _ARRET.is_set() else 300)
        except queue.Empty:
            break
        if not isinstance(item, Exception):
            _shutdown_kernel(item)
    for km in list(_ALL_KERNELS):
        _shutdown_kernel(km)


def arreter() -> None:
    """Ctrl-C before any note runs (while the build plans), or on a cluster's worker: the kernels warming up or
    running are killed, not awaited, and no note starts until `reprendre`."""
    _ARRET.set()
    shutdown_all_kernels()


def reprendre() -> None:
    """Notes may start again (a cluster's worker stopped by `arreter` during an earlier build)."""
    _ARRET.clear()


def run_job(job: Job, out_dir: str, log_dir: str, store: str, engine: str = "chaud") -> tuple[str, float, str | None]:
    """Execute one note; returns (statut, seconds, the error's first line and correction)."""
    out = Path(out_dir) / f"{job.slug}.ipynb"
    tmp = out.with_name(f".{job.slug}.tmp.ipynb")
    log = Path(log_dir) / f"{job.slug}.log"
    start = time.perf_counter()
    if _ARRET.is_set():
        return "échec", 0.0, "construction interrompue"
    params = {**job.parametres, "store": store}
    with open(log, "w", encoding="utf-8") as fh:
        fh.write(f"modèle : {job.modele}\nterritoire : {job.niveau} {job.code} ({job.libelle})\n"
                 f"paramètres : {params}\nmoteur : {engine}\n")
        try:
            # papermill's `cwd` chdirs the calling process: only for fresh kernels, which run in
            # worker processes; a warm kernel already runs in the templates folder.
            kwargs = {"cwd": str(dossier_modeles())} if engine != "chaud" else {}
            # papermill (and nbformat, jsonschema: about 2 s of imports) is loaded when a note runs,
            # not by a build that finds every note up to date.
            from osq_utils.batch import moteur  # noqa: PLC0415 (loaded when a note runs, see above)

            if engine == "chaud":
                kwargs["km"] = _warm_kernel()
                kwargs["engine_name"] = moteur.moteur_chaud(_ARRET)
                _run_silently(kwargs["km"], RESET)
                _KERNEL.runs += 1
            moteur.execute_notebook(
                str(job.template), str(tmp), parameters=params, kernel_name="python3", progress_bar=False,
                request_save_on_cell_execute=False,
                log_output=False, extra_arguments=KERNEL_ARGS, **kwargs,
            )
        except Exception as exc:  # papermill raises PapermillExecutionError and others
            fh.write("\n" + "".join(traceback.format_exception(exc)))
            tmp.unlink(missing_ok=True)
            if engine == "chaud":
                _shutdown_kernel()  # never reuse a kernel after a failure
            detail = "construction interrompue" if _ARRET.is_set() else message_erreur(exc)
            return "échec", time.perf_counter() - start, detail
        os.replace(tmp, out)
        fh.write(f"\nterminé en {time.perf_counter() - start:.1f} s\n")
    return "ok", time.perf_counter() - start, None


# --- Schedulers ---------------------------------------------------------------------------


def execute(jobs: list[Job], out_dir: Path, log_dir: Path, store: Path, n_jobs: int, progress=None,
            engine: str = "chaud") -> list[JobResult]:
    """Run every job on n_jobs local workers (threads driving warm kernels, or processes with fresh ones).

    progress is a callable(JobResult) or None.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    args = (str(out_dir), str(log_dir), str(store), engine)
    results: list[JobResult] = []

    lock = threading.Lock()

    def collect(job: Job, issue) -> None:
        res = resultat(job, issue, out_dir, log_dir)
        with lock:
            results.append(res)
        if progress:
            progress(res)

    if not jobs:
        return []
    _ARRET.clear()
    if engine == "chaud":
        # Threads of this process drive one warm kernel each: the kernels do the work, and no
        # worker process has to start and import papermill.
        pool = ThreadPoolExecutor(max_workers=max(1, min(n_jobs, len(jobs))))
        futures: dict = {}
        try:
            futures.update({pool.submit(run_job, job, *args): job for job in jobs})
            for fut in as_completed(futures):
                collect(futures[fut], outcome(fut.result))
        except KeyboardInterrupt:
            raise _interrompre(pool, futures, results, out_dir) from None
        finally:
            pool.shutdown(wait=True)  # soon after an interruption: the running notes stop at their current cell
            shutdown_all_kernels()
    else:
        # spawn, not fork: the parent may hold zmq contexts, DuckDB handles or threads.
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=max(1, min(n_jobs, len(jobs))), mp_context=ctx) as procs:
            futures = {procs.submit(run_job, job, *args): job for job in jobs}
            try:
                for fut in as_completed(futures):
                    collect(futures[fut], outcome(fut.result))
            except KeyboardInterrupt:
                raise _interrompre(procs, futures, results, out_dir) from None
    return dans_l_ordre(results, jobs)


def resultat(job: Job, issue: tuple[str, float, str | None], out_dir: Path, log_dir: Path,
             reprise: str | None = None) -> JobResult:
    """A note's JobResult from what `run_job` returned (`outcome`), here or on a cluster's worker."""
    statut, secondes, erreur = issue
    return JobResult(job, statut, secondes, out_dir / f"{job.slug}.ipynb" if statut == "ok" else None,
                     log_dir / f"{job.slug}.log", erreur, reprise=reprise)


def dans_l_ordre(results: list[JobResult], jobs: list[Job]) -> list[JobResult]:
    """The results in the plan's order (they arrive in the order the notes finish)."""
    order = {job.slug: i for i, job in enumerate(jobs)}
    return sorted(results, key=lambda r: order[r.job.slug])


def _interrompre(pool, futures: dict, results: list[JobResult], out_dir: Path) -> Interruption:
    """Ctrl-C: cancel the queued notes, stop the running ones; the finished ones are kept."""
    _ARRET.set()
    annulees = sum(fut.cancel() for fut in futures)
    running = [job for fut, job in futures.items() if not fut.done()]
    pool.shutdown(wait=False, cancel_futures=True)
    if isinstance(pool, ProcessPoolExecutor):
        for proc in multiprocessing.active_children():  # the pool's workers: their kernels follow them
            proc.terminate()
    else:
        # Interrupted first: the running cell raises KeyboardInterrupt and no next cell starts (moteur).
        for km in list(_ALL_KERNELS):
            try:
                km.interrupt_kernel()
            except Exception:  # not started yet, or already gone
                pass
        # A kernel that has not answered within the grace period is killed: nbclient, which waits for
        # the cell's reply without a timeout, sees it dead within a second and the note fails.
        wait([fut for fut in futures if not fut.done()], timeout=GRACE_SECONDES)
        for km in list(_ALL_KERNELS):
            _shutdown_kernel(km)
    for job in running:  # a stopped note leaves no partial notebook
        (out_dir / f".{job.slug}.tmp.ipynb").unlink(missing_ok=True)
    done = {r.job.slug for r in results}
    return Interruption(list(results), len([j for j in running if j.slug not in done]), annulees)


def outcome(get) -> tuple[str, float, str | None]:
    """What `run_job` returned, or a failure when its worker crashed."""
    try:
        return get()
    except Exception as exc:  # a crashed worker
        return "échec", 0.0, f"{type(exc).__name__}: {exc}"

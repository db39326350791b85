"""Benchmark of `osq build` against a naive papermill loop (issue: batch engine).

Four ways to build the same commune notes:
  (a) naive loop: the papermill CLI once per note (fresh process and kernel), then one rendering pass;
  (b) `osq build --jobs 2 --force` (warm kernels, parallel, rendering included);
  (c) `osq build` again with nothing changed (incremental no-op);
  (d) the same build as (b) through a Dask scheduler and 2 worker processes started apart on 127.0.0.1
      (`dask scheduler`, `dask worker --nthreads 1`), `osq build --cluster`.

Usage:
  python bench/bench_build.py --notes capso            # the 53 CAPSO commune notes
  python bench/bench_build.py --notes 42,62 --naive 20 # every commune of the Loire and the Pas-de-Calais;
                                                       # (a) measured on 20 notes and extrapolated
  python bench/bench_build.py --notes 02,59,60,62,80 --naive 20   # every commune of the Hauts-de-France
  python bench/bench_build.py --params params/hauts-de-france.yml --naive 20 --garder /tmp/region
                                                       # the région's observatory itself (communes and EPCIs),
                                                       # its site kept for a look in a browser
Needs the store (make donnees). Prints times, ratios, time per note and the memory peak of the processes
it started (RSS and PSS sums, sampled every 0.2 s; see TreeMemory).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from distributed.utils import open_port

from osq_utils.catalogues.racine import PROJECT_ROOT

BIN = Path(sys.executable).parent


def _label(p: psutil.Process) -> str:
    """A process in a few words: `osq build`, `dask worker`, `ipykernel`, `pandoc`…"""
    try:
        cmd = p.cmdline()
    except psutil.Error:
        return "?"
    words = " ".join(Path(c).name for c in cmd[:4])
    for known in ("ipykernel", "dask scheduler", "dask worker", "osq build", "pandoc", "spawn_main", "forkserver",
                  "bench_build", "papermill"):
        if known in words:
            return known
    return words[:40]


class TreeMemory:
    """Peak memory of what this benchmark started (`osq build` and its descendants, the Dask scheduler and
    workers; not this process, which only measures), sampled every 0.2 s, two ways:
    - the sum of their resident sets (RSS), which counts a page shared by several processes (Python's
      libraries, a forked process's inherited memory) once per process: an upper bound;
    - the sum of their proportional sets (PSS, /proc/PID/smaps_rollup): a shared page divided among the
      processes that share it, the memory the tree really takes.
    At the RSS peak, the processes that made it are kept (`detail`), largest first."""

    def __init__(self) -> None:
        self.peak = 0
        self.peak_pss = 0
        self.detail: list[tuple[str, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = total_pss = 0
            seen = []
            for p in me.children(recursive=True):
                try:
                    info = p.memory_full_info()
                except psutil.Error:
                    continue
                total += info.rss
                total_pss += getattr(info, "pss", info.rss)
                seen.append((p, info.rss))
            if total > self.peak:
                self.peak = total
                self.detail = sorted(((_label(p), rss) for p, rss in seen), key=lambda x: -x[1])
            self.peak_pss = max(self.peak_pss, total_pss)
            time.sleep(0.2)

    def resume(self) -> str:
        parts: dict[str, list[int]] = {}
        for label, rss in self.detail:
            parts.setdefault(label, []).append(rss)
        return ", ".join(f"{label} {len(v)}×{sum(v) / len(v) / 2**20:.0f}" if len(v) > 1 else f"{label} {v[0] / 2**20:.0f}"
                         for label, v in sorted(parts.items(), key=lambda kv: -sum(kv[1])))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def write_params(path: Path, notes: str) -> None:
    if notes == "capso":
        terr = '      epci: "200069037"\n'
    else:
        deps = ", ".join(f'"{d.strip()}"' for d in notes.split(","))
        terr = f"      departements: [{deps}]\n"
    path.write_text(f"observatoire:\n  id: bench\n  titre: Banc d'essai OSQ\nnotes:\n  - modele: note_communale\n"
                    f"    territoires:\n{terr}", encoding="utf-8")


def timed(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"échec de {' '.join(cmd)} :\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return time.perf_counter() - start


def naive(jobs, store: str, out: Path, plan, env: dict) -> float:
    """(a): the papermill CLI per note, then the pandoc renderer over the executed notes, one by one."""
    from osq_utils.batch.execute import JobResult
    from osq_utils.batch.site import render_pandoc_site

    nb_dir = out / "notebooks"
    nb_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    results = []
    for job in jobs:
        target = nb_dir / f"{job.slug}.ipynb"
        params = [a for k, v in job.parametres.items() for a in ("-r", k, str(v))]  # the note's own parameters
        subprocess.run([str(BIN / "papermill"), str(job.template), str(target), *params,
                        "-r", "store", store, "--no-progress-bar", "--cwd", str(PROJECT_ROOT / "notebooks")],
                       check=True, env=env, capture_output=True)
        results.append(JobResult(job, "ok", 0.0, target, out / "x.log"))
    render_pandoc_site(plan, results, out / "site", None, n_jobs=1)
    return time.perf_counter() - start


def cluster(adresse_port: int, workers: int, env: dict) -> list[subprocess.Popen]:
    """A scheduler and `workers` single-thread worker processes on 127.0.0.1, ready (every worker registered)."""
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(adresse_port),
                               "--no-dashboard"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    procs += [subprocess.Popen([str(BIN / "dask"), "worker", f"tcp://127.0.0.1:{adresse_port}", "--nthreads", "1",
                                "--no-dashboard", "--host", "127.0.0.1"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL) for _ in range(workers)]
    from distributed import Client

    with Client(f"tcp://127.0.0.1:{adresse_port}", timeout=60) as client:
        client.wait_for_workers(workers, timeout=120)
    return procs


def main() -> None:
    parser = argparse.ArgumentParser(description="Banc d'essai de osq build")
    parser.add_argument("--notes", default="capso", help="« capso » ou une liste de départements, ex. 42,62")
    parser.add_argument("--naive", type=int, default=0, help="Mesurer (a) sur N notes seulement et extrapoler (0 = toutes)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--params", help="Un fichier de paramètres au lieu de --notes (ex. params/hauts-de-france.yml)")
    parser.add_argument("--garder", help="Garder le site construit par (b) dans ce dossier (pour l'ouvrir ensuite)")
    args = parser.parse_args()

    from osq_utils import store as st
    from osq_utils.batch.plan import plan as make_plan

    store = str(st.store_path().resolve())
    env = {**os.environ, "OSQ_STORE": store, "OSQ_QUARTO": "non"}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        params = Path(args.params).resolve() if args.params else tmp / "bench.yml"
        if not args.params:
            write_params(params, args.notes)
        con = st.connect(store, read_only=True)
        the_plan = make_plan(con, params)
        con.close()
        jobs = the_plan.jobs
        n = len(jobs)
        # The sample is spread over the plan (every k-th note: every département, both kinds of note of a région).
        sample = jobs[:: max(1, n // args.naive)][: args.naive] if args.naive else jobs
        print(f"{n} notes ({args.params or args.notes}) ; {os.cpu_count()} cœurs ; base {store}")

        a_measured = naive(sample, store, tmp / "naif", the_plan, env)
        a = a_measured * n / len(sample)
        print(f"(a) boucle naïve papermill : {a_measured:.1f} s pour {len(sample)} notes"
              + (f", soit {a:.0f} s estimées pour {n}" if len(sample) < n else "")
              + f" ({a / n:.2f} s par note)")

        sortie_b = Path(args.garder).resolve() if args.garder else tmp / "osq"
        osq = [str(BIN / "osq"), "build", str(params), "--jobs", str(args.jobs), "--sortie", str(sortie_b)]
        with TreeMemory() as mem:
            b = timed([*osq, "--force"], env)
        print(f"(b) osq build --jobs {args.jobs} : {b:.1f} s ({b / n:.2f} s par note) ; "
              f"mémoire maximale (tous processus) {mem.peak / 2**20:.0f} Mio RSS, {mem.peak_pss / 2**20:.0f} Mio PSS "
              f"(au pic, Mio RSS : {mem.resume()})")
        c = timed(osq, env)
        print(f"(c) osq build sans changement : {c:.2f} s")
        port = open_port()
        with TreeMemory() as mem_d:
            procs = cluster(port, args.jobs, env)
            try:
                d = timed([str(BIN / "osq"), "build", str(params), "--cluster", f"tcp://127.0.0.1:{port}", "--force",
                           "--sortie", str(tmp / "osq-cluster")], env)
            finally:
                for proc in procs:
                    proc.terminate()
                for proc in procs:
                    proc.wait(timeout=60)
        print(f"(d) osq build --cluster (ordonnanceur et {args.jobs} workers Dask) : {d:.1f} s ({d / n:.2f} s par note) ; "
              f"mémoire maximale {mem_d.peak / 2**20:.0f} Mio RSS, {mem_d.peak_pss / 2**20:.0f} Mio PSS "
              f"(au pic, Mio RSS : {mem_d.resume()})")
        print(f"Rapports : (a)/(b) = {a / b:.1f} (objectif ≥ 15) ; (c)/(b) = {100 * c / b:.1f} % (objectif ≤ 2 %) ; "
              f"(d)/(b) = {d / b:.2f} (objectif ≤ 1,20) ; mémoire maximale {max(mem.peak, mem_d.peak) / 2**30:.2f} Gio RSS, "
              f"{max(mem.peak_pss, mem_d.peak_pss) / 2**30:.2f} Gio PSS (objectif < 4 Gio)")
        shutil.rmtree(tmp / "naif", ignore_errors=True)


if __name__ == "__main__":
    main()

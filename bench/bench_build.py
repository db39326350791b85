"""Benchmark of `osq build` against a naive papermill loop (issue: batch engine).

Three ways to build the same commune notes:
  (a) naive loop: the papermill CLI once per note (fresh process and kernel), then one rendering pass;
  (b) `osq build --jobs 2 --force` (warm kernels, parallel, rendering included);
  (c) `osq build` again with nothing changed (incremental no-op).

Usage:
  python bench/bench_build.py --notes capso            # the 53 CAPSO commune notes
  python bench/bench_build.py --notes 42,62 --naive 20 # every commune of the Loire and the Pas-de-Calais;
                                                       # (a) measured on 20 notes and extrapolated
Needs the store (make donnees). Prints times, ratios, time per note and the memory peak of the whole
process tree (sampled every 0.2 s).
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

from osq_utils.catalogues.racine import PROJECT_ROOT

BIN = Path(sys.executable).parent


class TreeMemory:
    """Peak resident memory of this process and all its descendants."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(0.2)

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
        subprocess.run([str(BIN / "papermill"), str(job.template), str(target), "-r", "code_commune", job.code,
                        "-r", "store", store, "--no-progress-bar", "--cwd", str(PROJECT_ROOT / "notebooks")],
                       check=True, env=env, capture_output=True)
        results.append(JobResult(job, "ok", 0.0, target, out / "x.log"))
    render_pandoc_site(plan, results, out / "site", None, n_jobs=1)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description="Banc d'essai de osq build")
    parser.add_argument("--notes", default="capso", help="« capso » ou une liste de départements, ex. 42,62")
    parser.add_argument("--naive", type=int, default=0, help="Mesurer (a) sur N notes seulement et extrapoler (0 = toutes)")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    from osq_utils import store as st
    from osq_utils.batch.plan import plan as make_plan

    store = str(st.store_path().resolve())
    env = {**os.environ, "OSQ_STORE": store, "OSQ_QUARTO": "non"}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        params = tmp / "bench.yml"
        write_params(params, args.notes)
        con = st.connect(store, read_only=True)
        the_plan = make_plan(con, params)
        con.close()
        jobs = the_plan.jobs
        n = len(jobs)
        sample = jobs[: args.naive] if args.naive else jobs
        print(f"{n} notes ({args.notes}) ; {os.cpu_count()} cœurs ; base {store}")

        a_measured = naive(sample, store, tmp / "naif", the_plan, env)
        a = a_measured * n / len(sample)
        print(f"(a) boucle naïve papermill : {a_measured:.1f} s pour {len(sample)} notes"
              + (f", soit {a:.0f} s estimées pour {n}" if len(sample) < n else "")
              + f" ({a / n:.2f} s par note)")

        osq = [str(BIN / "osq"), "build", str(params), "--jobs", str(args.jobs), "--sortie", str(tmp / "osq")]
        with TreeMemory() as mem:
            b = timed([*osq, "--force"], env)
        print(f"(b) osq build --jobs {args.jobs} : {b:.1f} s ({b / n:.2f} s par note) ; "
              f"mémoire maximale (tous processus) {mem.peak / 2**20:.0f} Mio")
        c = timed(osq, env)
        print(f"(c) osq build sans changement : {c:.2f} s")
        print(f"Rapports : (a)/(b) = {a / b:.1f} (objectif ≥ 8) ; (c)/(b) = {100 * c / b:.1f} % (objectif < 5 %)")
        shutil.rmtree(tmp / "naif", ignore_errors=True)


if __name__ == "__main__":
    main()

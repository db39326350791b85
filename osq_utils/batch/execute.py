"""Execute the planned notebooks with papermill, in parallel, one log per job.

A failing job does not stop the others. The executed notebook is written to a
temporary file and moved into place only on success, so a failed or
interrupted note never replaces a good one.
"""

from __future__ import annotations

import os
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from osq_utils.batch.plan import PROJECT_ROOT, Job


@dataclass
class JobResult:
    job: Job
    statut: str  # 'ok' | 'échec'
    secondes: float
    notebook: Path | None
    log: Path
    erreur: str | None = None


def _run_one(job: Job, out_dir: str, log_dir: str, store: str) -> tuple[str, float, str | None]:
    import papermill as pm

    out = Path(out_dir) / f"{job.slug}.ipynb"
    tmp = out.with_name(f".{job.slug}.tmp.ipynb")
    log = Path(log_dir) / f"{job.slug}.log"
    start = time.perf_counter()
    params = {**job.parametres, "store": store}
    with open(log, "w", encoding="utf-8") as fh:
        fh.write(f"modèle : {job.modele}\nterritoire : {job.niveau} {job.code} ({job.libelle})\nparamètres : {params}\n")
        try:
            pm.execute_notebook(
                str(job.template), str(tmp), parameters=params, kernel_name="python3",
                progress_bar=False, cwd=str(PROJECT_ROOT / "notebooks"), log_output=False,
                extra_arguments=["--IPKernelApp.log_level=ERROR"],  # no start-up chatter in the console
            )
        except Exception as exc:  # papermill raises PapermillExecutionError and others
            fh.write("\n" + "".join(traceback.format_exception(exc)))
            tmp.unlink(missing_ok=True)
            first = str(exc).strip().splitlines()
            detail = next((line for line in reversed(first) if line.strip()), type(exc).__name__)
            return "échec", time.perf_counter() - start, detail[:300]
        os.replace(tmp, out)
        fh.write(f"\nterminé en {time.perf_counter() - start:.1f} s\n")
    return "ok", time.perf_counter() - start, None


def execute(jobs: list[Job], out_dir: Path, log_dir: Path, store: Path, n_jobs: int, progress=None) -> list[JobResult]:
    """Run every job with n_jobs worker processes; progress is a callable(JobResult) or None."""
    out_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    results: list[JobResult] = []
    with ProcessPoolExecutor(max_workers=max(1, n_jobs)) as pool:
        futures = {pool.submit(_run_one, job, str(out_dir), str(log_dir), str(store)): job for job in jobs}
        for fut in as_completed(futures):
            job = futures[fut]
            try:
                statut, secondes, erreur = fut.result()
            except Exception as exc:  # a crashed worker
                statut, secondes, erreur = "échec", 0.0, f"{type(exc).__name__}: {exc}"
            res = JobResult(job, statut, secondes, out_dir / f"{job.slug}.ipynb" if statut == "ok" else None,
                            log_dir / f"{job.slug}.log", erreur)
            results.append(res)
            if progress:
                progress(res)
    order = {job.slug: i for i, job in enumerate(jobs)}
    return sorted(results, key=lambda r: order[r.job.slug])

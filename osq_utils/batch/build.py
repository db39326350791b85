"""`osq build`: plan, execute what changed, publish the site, export the figures.

Layout of rapports/<observatoire>/:
  notebooks/   executed notebooks (one per note)
  journaux/    one log per note, and Quarto's log
  site/        the published site
  etat.json    fingerprints of executed and published notes (incremental builds, resume)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from osq_utils import store
from osq_utils.batch import execute as ex
from osq_utils.batch import fingerprint as fp
from osq_utils.batch import plan as pl
from osq_utils.batch import site


@dataclass
class BuildReport:
    plan: pl.Plan
    results: list[ex.JobResult]
    root: Path
    renderer: str
    secondes: float
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> list[ex.JobResult]:
        return [r for r in self.results if r.statut == "échec"]

    def count(self, statut: str) -> int:
        return sum(r.statut == statut for r in self.results)


def build(params: Path, *, store_file: Path | None = None, sortie: Path = Path("rapports"), n_jobs: int = 2,
          force: bool = False, engine: str = "chaud", cluster: str | None = None, limite: int = 0,
          progress=None) -> BuildReport:
    """Build an observatory's site; only notes whose fingerprint changed are executed and rendered.

    progress(kind, total) returns a callable advancing by one, or None.
    """
    start = time.perf_counter()
    phases: dict[str, float] = {}
    store_file = Path(store_file) if store_file else store.store_path()
    con = store.connect(store_file, read_only=True)
    try:
        the_plan = pl.plan(con, params)
        data_fp = fp.store_fingerprint(con)
        chargements = con.execute("SELECT * FROM chargements ORDER BY source, fichier").df()
    finally:
        con.close()
    jobs = the_plan.jobs[:limite] if limite else the_plan.jobs
    root = Path(sortie) / the_plan.id
    state_file = root / "etat.json"
    state = fp.load_state(state_file)
    executed, published = state.setdefault("executes", {}), state.setdefault("publies", {})
    code_fp = fp.code_fingerprint()
    templates = {j.modele: fp.file_hash(j.template) for j in jobs}
    prints = {j.slug: fp.job_fingerprint(templates[j.modele], j.parametres, code_fp, data_fp) for j in jobs}
    phases["plan"] = time.perf_counter() - start

    # 1. Execute the notes whose executed notebook is missing or stale.
    nb_dir, log_dir = root / "notebooks", root / "journaux"
    to_run = [j for j in jobs if force or executed.get(j.slug) != prints[j.slug] or not (nb_dir / f"{j.slug}.ipynb").exists()]
    t = time.perf_counter()
    advance = progress("Exécution des notes", len(to_run)) if progress and to_run else None

    def on_result(res: ex.JobResult) -> None:
        if res.statut == "ok":
            executed[res.job.slug] = prints[res.job.slug]
        else:
            executed.pop(res.job.slug, None)
            published.pop(res.job.slug, None)
        fp.save_state(state_file, state)  # an interrupted build resumes from here
        if advance:
            advance()

    ran = {r.job.slug: r for r in ex.execute(to_run, nb_dir, log_dir, store_file.resolve(), n_jobs, progress=on_result,
                                             engine=engine, cluster=cluster)}
    phases["exécution"] = time.perf_counter() - t
    results = [ran.get(j.slug) or ex.JobResult(j, "à jour", 0.0, nb_dir / f"{j.slug}.ipynb", log_dir / f"{j.slug}.log")
               for j in jobs]

    # 2. Publish.
    t = time.perf_counter()
    quarto = site.quarto_executable()
    if quarto:
        renderer = "quarto"
        staging = site.quarto_project(the_plan, results, root / "_quarto", root / "site", chargements)
        site.render_quarto_site(quarto, staging, log_dir / "quarto.log")
        for r in results:
            if r.statut != "échec":
                published[r.job.slug] = prints[r.job.slug]
    else:
        renderer = "pandoc"
        stale = [r for r in results if r.statut != "échec" and
                 (force or published.get(r.job.slug) != prints[r.job.slug] or not site.note_page(root / "site", r.job).exists())]
        advance = progress("Publication des pages", len(stale)) if progress and stale else None

        def on_page(r: ex.JobResult) -> None:
            published[r.job.slug] = prints[r.job.slug]
            fp.save_state(state_file, state)
            if advance:
                advance()

        site.render_pandoc_site(the_plan, results, stale, root / "site", chargements, state.setdefault("pages", {}),
                                n_jobs=n_jobs, on_page=on_page)
    site.write_exports(the_plan, results, root / "site", store_file, state.setdefault("exports", {}), data_fp)
    fp.save_state(state_file, state)
    phases["publication"] = time.perf_counter() - t
    return BuildReport(the_plan, results, root, renderer, time.perf_counter() - start, phases)

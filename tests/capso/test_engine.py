
"""Batch engine: warm kernels faithful to papermill, failures isolated, incremental, resumable, Dask."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import distributed
import nbformat
import papermill as pm
import pytest

from osq_utils.batch import execute as ex
from osq_utils.batch import fingerprint as fp
from osq_utils.batch.build import build
from osq_utils.batch.plan import Job
from osq_utils.catalogues.racine import PROJECT_ROOT

pytestmark = pytest.mark.slow
TEMPLATE = PROJECT_ROOT / "notebooks" / "note_communale.ipynb"


def _outputs(path: Path) -> list:
    """Cell outputs as a reader sees them: without timings, and without object reprs (memory addresses)."""
    nb = nbformat.read(path, as_version=4)
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for o in cell.outputs:
            data = dict(o.get("data", {}))
            if len(data) > 1:
                data.pop("text/plain", None)
            out.append((cell.execution_count, o.output_type, o.get("execution_count"), o.get("text"), data))
    return out


def _job(code: str) -> Job:
    return Job("note_communale", "commune", code, code, f"communale-{code}", {"code_commune": code})


def test_warm_kernel_outputs_equal_a_fresh_papermill_run(store_file, tmp_path):
    warm = tmp_path / "chaud"
    warm.mkdir()
    for code in ("62040", "62765", "62525"):  # several notes through the same warm kernel
        statut, _, err = ex.run_job(_job(code), str(warm), str(tmp_path), str(store_file), "chaud")
        assert statut == "ok", err
    for code in ("62765", "62525"):
        fresh = tmp_path / f"frais-{code}.ipynb"
        pm.execute_notebook(str(TEMPLATE), str(fresh), parameters={"code_commune": code, "store": str(store_file)},
                            kernel_name="python3", progress_bar=False, cwd=str(TEMPLATE.parent))
        a, b = _outputs(fresh), _outputs(warm / f"communale-{code}.ipynb")
        assert len(a) == len(b) > 5
        assert a == b
    ex._shutdown_kernel()


def test_warm_kernel_releases_each_note_client(store_file, tmp_path):
    """A reused kernel must not leave a heartbeat thread and a zmq context behind per note:
    a 1,200-note build once ended with thousands of threads and slowed down as it went."""
    import os

    def threads() -> int:
        return len(os.listdir("/proc/self/task"))

    statut, _, err = ex.run_job(_job("62040"), str(tmp_path), str(tmp_path), str(store_file), "chaud")
    assert statut == "ok", err
    before = threads()
    for code in ("62765", "62525", "62040"):
        assert ex.run_job(_job(code), str(tmp_path), str(tmp_path), str(store_file), "chaud")[0] == "ok"
    assert threads() == before
    ex._shutdown_kernel()


def _params(path: Path, codes: list[str]) -> Path:
    quoted = ", ".join(f'"{c}"' for c in codes)
    path.write_text("observatoire:\n  id: essai\n  titre: Essai\nnotes:\n  - modele: note_communale\n"
                    f"    territoires:\n      communes: [{quoted}]\n", encoding="utf-8")
    return path


@pytest.fixture
def broken_templates(tmp_path, monkeypatch):
    """A copy of the templates folder whose commune note fails for Saint-Omer only (a real kernel error)."""
    folder = tmp_path / "modeles"
    folder.mkdir()
    nb = nbformat.read(TEMPLATE, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell('if code_commune == "62765":\n    raise ValueError("panne simulée")'))
    nbformat.write(nb, folder / "note_communale.ipynb")
    monkeypatch.setenv("OSQ_NOTEBOOKS", str(folder))
    return folder


def test_failed_note_does_not_stop_the_others_and_is_never_published(store_file, tmp_path, broken_templates,
                                                                         monkeypatch):
    monkeypatch.setenv("OSQ_QUARTO", "non")
    params = _params(tmp_path / "p.yml", ["62040", "62765"])
    report = build(params, store_file=store_file, sortie=tmp_path / "r", n_jobs=2)
    by_code = {r.job.code: r for r in report.results}
    assert by_code["62040"].statut == "ok"
    assert by_code["62765"].statut == "échec" and "panne simulée" in by_code["62765"].erreur
    assert "panne simulée" in by_code["62765"].log.read_text(encoding="utf-8")
    site = report.root / "site"
    assert (site / "notes" / "communale-62040.html").exists()
    assert not (site / "notes" / "communale-62765.html").exists()
    # The home page rendered ahead while the kernels computed (as if every note succeeded) was rendered again.
    assert "communale-62765" not in (site / "index.html").read_text(encoding="utf-8")
    assert "notes/communale-62040.html" in (site / "index.html").read_text(encoding="utf-8")
    assert not list((report.root / "notebooks").glob(".*tmp*"))  # no half-written notebook left
    assert not list(report.root.glob(".pages-en-avance*"))  # nor the pages rendered ahead


def test_incremental_rebuild_force_and_resume(store_file, tmp_path, monkeypatch):
    monkeypatch.setenv("OSQ_QUARTO", "non")
    params = _params(tmp_path / "p.yml", ["62040", "62525"])
    out = tmp_path / "r"
    first = build(params, store_file=store_file, sortie=out, n_jobs=2)
    assert first.count("ok") == 2
    second = build(params, store_file=store_file, sortie=out, n_jobs=2)
    assert second.count("à jour") == 2 and second.count("ok") == 0
    # Resume: a note whose executed notebook vanished (interrupted build) is the only one redone.
    (first.root / "notebooks" / "communale-62525.ipynb").unlink()
    third = build(params, store_file=store_file, sortie=out, n_jobs=2)
    assert {r.job.code: r.statut for r in third.results} == {"62040": "à jour", "62525": "ok"}
    forced = build(params, store_file=store_file, sortie=out, n_jobs=2, force=True)
    assert forced.count("ok") == 2
    state = json.loads((first.root / "etat.json").read_text(encoding="utf-8"))
    assert set(state["executes"]) == set(state["publies"]) == {"communale-62040", "communale-62525"}


def test_data_change_changes_the_fingerprint(store_file, tmp_path):
    from osq_utils import store

    copy = tmp_path / "copie.duckdb"
    shutil.copy(store_file, copy)
    con = store.connect(copy)
    before = fp.store_fingerprint(con)
    assert fp.store_fingerprint(con) == before
    # Kept beside the build with the file's identity: computed once, then read while the file is unchanged.
    cache = tmp_path / "empreinte-base.json"
    assert fp.store_fingerprint_garde(con, copy, cache) == before and cache.exists()
    assert fp.store_fingerprint_garde(None, copy, cache) == before  # no query: None has no execute()
    con.execute("UPDATE observations SET valeur = valeur + 1 WHERE code = '62040' AND indicateur = 'revenu_median' AND annee = 2019")
    assert fp.store_fingerprint(con) != before
    con.execute("CHECKPOINT")  # the write reaches the file: its modification time changes
    assert fp.store_fingerprint_garde(con, copy, cache) == fp.store_fingerprint(con) != before
    con.close()


def test_runs_on_a_dask_cluster(store_file, tmp_path, monkeypatch):
    # In-process cluster; tests/capso/test_cluster.py starts `dask scheduler` and `dask worker` apart.
    monkeypatch.setenv("OSQ_QUARTO", "non")
    params = _params(tmp_path / "p.yml", ["62040", "62765"])
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        report = build(params, store_file=store_file, sortie=tmp_path / "r", n_jobs=1, cluster=cluster.scheduler_address)
    assert report.count("ok") == 2
    assert (report.root / "site" / "notes" / "communale-62765.html").exists()


def test_relative_paths_and_working_folder_survive_a_build(store_file, tmp_path, monkeypatch):
    # As `make site` runs it: relative store and output paths, several warm kernels in threads.
    monkeypatch.setenv("OSQ_QUARTO", "non")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "osq.duckdb").symlink_to(store_file)
    _params(tmp_path / "p.yml", ["62040", "62525", "62765"])
    monkeypatch.chdir(tmp_path)
    report = build(Path("p.yml"), store_file=Path("data/osq.duckdb"), sortie=Path("r"), n_jobs=2)
    assert report.count("ok") == 3
    assert Path.cwd() == tmp_path
    assert (tmp_path / "r" / "essai" / "site" / "donnees" / "chiffres.csv").exists()

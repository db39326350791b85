"""The witness of a clean build (batch.temoin): what makes a rebuild run, and what lets it answer at once."""

from __future__ import annotations

import fcntl
import os

import pytest

from osq_utils.batch import temoin


@pytest.fixture
def built(tmp_path):
    """A fake clean build: a params file, a store file, an output folder, and their witness."""
    params, store_file = tmp_path / "obs.yml", tmp_path / "base.duckdb"
    params.write_text("observatoire: {id: obs}\n", encoding="utf-8")
    store_file.write_bytes(b"store")
    root = tmp_path / "rapports" / "obs"
    (root / "site" / "notes").mkdir(parents=True)
    (root / "site" / "notes" / "communale-62040.html").write_text("<p>note</p>", encoding="utf-8")
    (root / ".verrou").touch()  # the locks' files stay after the first build (flock files)
    (tmp_path / "base.duckdb.verrou").touch()
    resume = {"titre": "Obs", "racine": str(root), "quand": "3 décembre 2026 à 14 h 05",
              "verrou_observatoire": str(root / ".verrou"), "verrou_base": str(tmp_path / "base.duckdb.verrou"),
              "profils": [{"profil": "public", "notes": 1, "site": str(root / "site" / "index.html")}]}
    options = {"base": "", "sortie": str(root.parent), "limite": 0, "imprimables": False, "moteur": "chaud"}
    witness = temoin.chemin(root.parent, params, options)
    temoin.ecrire(witness, temoin.entrees(root, store_file, [params]), resume)
    return witness, params, store_file, root, resume


def test_nothing_changed_gives_back_the_summary(built):
    witness, *_, resume = built
    assert temoin.rien_a_faire(witness) == resume


def test_the_witness_lives_outside_the_output_folder_and_depends_on_the_options(built, tmp_path):
    witness, params, _s, root, _r = built
    assert root not in witness.parents
    other = temoin.chemin(root.parent, params, {"base": "", "sortie": str(root.parent), "limite": 3,
                                                "imprimables": False, "moteur": "chaud"})
    assert other != witness and temoin.rien_a_faire(other) is None


@pytest.mark.parametrize("change", ["params", "store", "page modified", "page removed", "page added", "code", "env"])
def test_any_change_runs_the_build(built, change, monkeypatch):
    witness, params, store_file, root, _ = built
    page = root / "site" / "notes" / "communale-62040.html"
    if change == "params":
        params.write_text("observatoire: {id: obs, titre: Autre}\n", encoding="utf-8")
    elif change == "store":
        st = store_file.stat()
        os.utime(store_file, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    elif change == "page modified":
        page.write_text("<p>autre</p>", encoding="utf-8")
    elif change == "page removed":
        page.unlink()
    elif change == "page added":
        (root / "site" / "notes" / "communale-62765.html").write_text("x", encoding="utf-8")
    elif change == "code":
        monkeypatch.setattr(temoin, "_identite", lambda p: [0, 0] if p.endswith("temoin.py") else _real(p))
    elif change == "env":
        monkeypatch.setenv("OSQ_QUARTO", "non" if os.environ.get("OSQ_QUARTO") != "non" else "oui")
    assert temoin.rien_a_faire(witness) is None


_real = temoin._identite


def test_another_command_holding_a_lock_runs_the_build_which_reports_it(built):
    witness, _p, _s, root, resume = built
    fd = os.open(resume["verrou_observatoire"], os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert temoin.rien_a_faire(witness) is None
    finally:
        os.close(fd)
    assert temoin.rien_a_faire(witness) is not None  # released


def test_a_delivery_writing_the_store_runs_the_build_but_another_reader_does_not(built):
    witness, _p, _s, _r, resume = built
    fd = os.open(resume["verrou_base"], os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)  # a preview or another build reads the store
        assert temoin.rien_a_faire(witness) is not None
        fcntl.flock(fd, fcntl.LOCK_EX)  # a delivery writes it
        assert temoin.rien_a_faire(witness) is None
    finally:
        os.close(fd)


def test_a_build_removes_the_witness_first_and_a_broken_one_is_ignored(built):
    witness, *_ = built
    witness.write_text("{pas du json", encoding="utf-8")
    assert temoin.rien_a_faire(witness) is None
    temoin.effacer(witness)
    assert not witness.exists()
    temoin.effacer(witness)  # already gone: nothing to do

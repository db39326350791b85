"""The build fingerprint asks the catalogues which reference files they read: editing any of them (an
observatory's own groupings included) marks the notes out of date."""

from __future__ import annotations

import shutil

from osq_utils.batch import fingerprint as fp
from osq_utils.catalogues.racine import chemin_donnees
from osq_utils.catalogues.references import fichiers_references


def _donnees(tmp_path, monkeypatch):
    dest = tmp_path / "donnees"
    shutil.copytree(chemin_donnees(), dest, ignore=shutil.ignore_patterns("osq.duckdb*", "sources"))
    monkeypatch.setenv("OSQ_DONNEES", str(dest))
    return dest


def test_every_reference_file_is_known_to_the_fingerprint(tmp_path, monkeypatch):
    dest = _donnees(tmp_path, monkeypatch)
    files = {p.relative_to(dest).as_posix() for p in fichiers_references() if p.is_relative_to(dest)}
    assert {"glossaire.yml", "sources.yml", "abs/themes.yml", "territoires/capso.yml", "verbatims/demo.yml",
            "verbatims/themes.yml", "verbatims/prenoms.txt", "secret/cnaf-caf-iris-2016-2020.yml",
            "conventions/caf-pas-de-calais.yml"} <= files


def test_editing_a_grouping_changes_the_fingerprint(tmp_path, monkeypatch):
    dest = _donnees(tmp_path, monkeypatch)
    before = fp.code_fingerprint()
    grouping = dest / "territoires" / "capso.yml"
    grouping.write_text(grouping.read_text(encoding="utf-8").replace("Territoire de l'ancienne CC du Pays d'Aire",
                                                                     "Pays d'Aire"), encoding="utf-8")
    assert fp.code_fingerprint() != before
    # A grouping file named by a params file outside data/ counts by its content in the note's own fingerprint.
    outside = tmp_path / "groupes.yml"
    outside.write_text(grouping.read_text(encoding="utf-8"), encoding="utf-8")
    first = fp.job_fingerprint("t", {"groupements": str(outside)}, "c", "d")
    outside.write_text(outside.read_text(encoding="utf-8") + "\n# modifié\n", encoding="utf-8")
    assert fp.job_fingerprint("t", {"groupements": str(outside)}, "c", "d") != first

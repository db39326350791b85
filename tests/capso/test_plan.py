
"""Planning the notes of an observatory: every kind of note, themes, the analyst's enjeux, located errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from osq_utils.batch.plan import plan
from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.catalogues.themes import theme_labels
from osq_utils.errors import OsqError
from osq_utils.notes import TYPES as TEMPLATES


def _params(tmp_path: Path, notes: str) -> Path:
    path = tmp_path / "obs.yml"
    path.write_text("observatoire:\n  id: essai\n  titre: Essai\nnotes:\n" + notes, encoding="utf-8")
    return path


def test_every_kind_of_note_is_planned(con, tmp_path, monkeypatch):
    enjeux = tmp_path / "enjeux"
    enjeux.mkdir()
    (enjeux / "62040-sante.md").write_text("Renforcer l'offre de médecins généralistes.\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    params = _params(tmp_path, """\
  - modele: note_quartier
    territoires: {epci: "200069037"}
  - modele: note_epci
    territoires: {communes: ["62040", "62765"]}
  - modele: abs_ccas
    territoires: {communes: ["62040", "62765"]}
    themes: [sante, revenus]
    enjeux: enjeux
  - modele: evaluation_cdv
    territoires: {epci: "200069037"}
    parametres: {qpv: ["QP062036"]}
  - modele: plan_actions
    territoires: {communes: ["62040"]}
    plan_actions: %s
""" % (PROJECT_ROOT / "params" / "capso" / "plan-actions.yml") + f"""\
  - modele: note_zone
    zones: {PROJECT_ROOT / "data" / "zones" / "capso.yml"}
""")
    jobs = plan(con, params).jobs
    slugs = [j.slug for j in jobs]
    # The CAPSO's communes hold three QPV of the 2015 geography (ANCT contours, COMMUNE_QP): two in
    # Arques/Longuenesse/Saint-Omer, and Centre Historique in Aire-sur-la-Lys.
    assert [s for s in slugs if s.startswith("quartier-")] == ["quartier-QP062036", "quartier-QP062037",
                                                              "quartier-QP062058"]
    assert "epci-200069037" in slugs and slugs.count("epci-200069037") == 1  # two communes, one EPCI
    assert [s for s in slugs if s.startswith("abs-")] == ["abs-62040-sante", "abs-62040-revenus",
                                                         "abs-62765-sante", "abs-62765-revenus"]
    abs_sante = next(j for j in jobs if j.slug == "abs-62040-sante")
    assert abs_sante.parametres == {"code_commune": "62040", "theme": "sante",
                                    "enjeux": "Renforcer l'offre de médecins généralistes.",
                                    "enjeux_fichier": "enjeux/62040-sante.md"}
    assert abs_sante.titre == f"Arques · {theme_labels()['sante']}"
    assert next(j for j in jobs if j.slug == "abs-62765-sante").parametres["enjeux"] == ""
    evaluation = next(j for j in jobs if j.modele == "evaluation_cdv")
    assert evaluation.parametres == {"code_epci": "200069037", "qpv": ["QP062036"]}
    assert next(j for j in jobs if j.modele == "note_zone").slug == "zone-6276503"  # data/zones/capso.yml
    assert {j.modele for j in jobs} == set(TEMPLATES) - {"note_communale"}


@pytest.mark.parametrize("notes, line, message", [
    ('  - modele: abs_ccas\n    territoires: {communes: ["62040"]}\n    themes: [sante, loisirs]\n', 7, "thème « loisirs » inconnu"),
    ('  - modele: note_quartier\n    territoires:\n      qpv: ["QP062036", "QP999999"]\n', 7, "QP999999"),
    ('  - modele: abs_ccas\n    territoires: {communes: ["62040"]}\n    enjeux: dossier/absent\n', 7, "introuvable"),
    ('  - modele: note_epci\n    territoires:\n      epci: ["200069037", "999999999"]\n', 7, "EPCI « 999999999 » inconnu"),
])
def test_bad_params_are_located(con, tmp_path, notes, line, message):
    with pytest.raises(OsqError) as err:
        plan(con, _params(tmp_path, notes))
    assert message in str(err.value)
    assert err.value.ligne == line


# Every params error that would stop `osq build` is found at plan time, located in the file: `osq check`
# runs this same plan (tests below). Each case was, before, either accepted by check and a crash of the
# build ("No objects to concatenate"), or an error inside a note's kernel.
@pytest.mark.parametrize("text, line, message", [
    ("observatoire:\n  id: essai\n", 1, "aucune note à construire"),
    ("observatoire:\n  id: essai\nnotes: []\n", 3, "aucune note à construire"),
    ("observatoire:\n  id: ../../ailleurs\nnotes: []\n", 2, "identifiant d'observatoire « ../../ailleurs » invalide"),
    ('observatoire:\n  id: essai\nnotes:\n  - modele: note_communale\n    territoire: {communes: ["62040"]}\n', 5,
     "clé « territoire » inconnue dans la note n° 1 (vouliez-vous écrire « territoires » ?)"),
    ("observatoire:\n  id: essai\nnotes:\n  - modele: note_communale\n    territoires: {}\n", 4, "sans territoire"),
    ('observatoire:\n  id: essai\nnotes:\n  - modele: note_communale\n    territoires: {commune: ["62040"]}\n', 5,
     "type de territoire « commune » inconnu"),
    ('observatoire:\n  id: essai\nnotes:\n  - modele: note_communale\n    territoires: {communes: ["62040"]}\n'
     "    themes: [sante]\n", 6, "ne se décline pas par thème"),
    ('observatoire:\n  id: essai\nnotes:\n  - modele: abs_ccas\n    territoires: {communes: ["62040"]}\n', 4,
     "aucun thème pour le modèle « abs_ccas »"),
    ('observatoire:\n  id: essai\nnotes:\n  - modele: note_epci\n    territoires: {epci: "200069037"}\n'
     "    parametres: {qpv: [QP062036]}\n", 6, "paramètre « qpv » inconnu pour le modèle « note_epci »"),
    ('observatoire:\n  id: essai\nnotes:\n  - modele: evaluation_cdv\n    territoires: {epci: "200069037"}\n'
     '    parametres:\n      qpv: ["QP062036", "QN06236M"]\n', 7, "« QN06236M » est de la géographie 2024"),
    ('observatoire:\n  id: essai\nnotes:\n  - modele: evaluation_cdv\n    territoires: {epci: "200069037"}\n'
     '    parametres:\n      qpv: ["QP062036"]\n      questions:\n        - question: "Q ?"\n'
     "          indicateurs: [taux_pauvrete, taux_chomage]\n", 10, "indicateur « taux_chomage » absent du glossaire"),
    ("observatoire:\n  id: essai\nnotes:\n  - modele: evaluation_cdv\n    territoires: {epci: \"200069037\"}\n", 4,
     "aucun quartier prioritaire"),
])
def test_every_params_error_of_a_build_is_found_by_the_plan(con, tmp_path, text, line, message):
    path = tmp_path / "obs.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(OsqError) as err:
        plan(con, path)
    assert message in str(err.value), str(err.value)
    assert err.value.ligne == line and err.value.fichier == path and err.value.correction


@pytest.mark.slow
def test_check_and_build_stop_on_the_same_located_error(store_file, tmp_path):
    path = tmp_path / "obs.yml"
    path.write_text('observatoire:\n  id: essai\nnotes:\n  - modele: evaluation_cdv\n    territoires: {epci: "200069037"}\n'
                    '    parametres:\n      qpv: ["QP062036", "QP042013"]\n', encoding="utf-8")
    env = {**os.environ, "OSQ_STORE": str(store_file), "OSQ_QUARTO": "non"}
    outputs = []
    for args in (["check", str(path)], ["build", str(path), "--sortie", str(tmp_path / "rapports")]):
        proc = subprocess.run([sys.executable, "-m", "osq_utils.cli", *args], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
        outputs.append(" ".join(proc.stderr.split()))
    for out in outputs:
        assert "obs.yml, ligne 7" in out and "QP042013" in out
    assert not (tmp_path / "rapports" / "essai" / "notebooks").exists()  # no note ran

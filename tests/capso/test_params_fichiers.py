"""Params files (issue 13): every defect a mistyped or hostile params file caused is found by the one plan-time
validation that `osq check` and `osq build` share (batch.plan.plan and the kinds' `valider`), located in the
file, with exit code 2 and never a traceback; no path a params file names reaches outside the project."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from rich.text import Text
from typer.testing import CliRunner

from osq_utils import territoires
from osq_utils.batch import plan as pl
from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.cli import app
from osq_utils.errors import OsqError

CAPSO = "200069037"
EVALUATION = PROJECT_ROOT / "params" / "capso" / "evaluation"
PLAN_ACTIONS = PROJECT_ROOT / "params" / "capso" / "plan-actions.yml"
ENTETE = "observatoire:\n  id: essai\nnotes:\n"


def _ecrire(dossier: Path, texte: str) -> Path:
    path = dossier / "obs.yml"
    path.write_text(texte, encoding="utf-8")
    return path


def _erreur(con, path: Path) -> OsqError:
    with pytest.raises(OsqError) as err:
        pl.plan(con, path)
    return err.value


@pytest.fixture
def autre_epci(con) -> str:
    """An EPCI of the store other than the CAPSO (a commune of département 62 outside it)."""
    dehors = sorted(territoires.communes_connues(con) - set(territoires.communes_of(con, "epci", CAPSO)))[0]
    return territoires.parent(con, "commune", dehors, "epci")


@pytest.fixture
def dehors(tmp_path_factory) -> Path:
    """A folder outside the project, the data root and the params file's folder, holding files a params file
    could try to publish."""
    path = tmp_path_factory.mktemp("dehors")
    (path / "secret.md").write_text("Mot de passe : hunter2\n", encoding="utf-8")
    (path / "62040-sante.md").write_text("Mot de passe : hunter2\n", encoding="utf-8")
    (path / "groupes.yml").write_text('groupements:\n  - {code: G, libelle: G, communes: ["62040"]}\n', encoding="utf-8")
    shutil.copy(PLAN_ACTIONS, path / "plan.yml")
    shutil.copytree(EVALUATION, path / "evaluation")
    return path


# --- A QPV outside the intercommunality -----------------------------------------------------------


def test_note_quartier_refuses_a_qpv_outside_the_listed_intercommunality(con, tmp_path, autre_epci):
    # Before: « Tout est en ordre », and a note about a quartier of another intercommunality (with the demo
    # store: territoires {epci: "200069037", qpv: ["QP093001"]} built Le Bourget's Secteur Gare - Aviatic).
    path = _ecrire(tmp_path, ENTETE + f'  - modele: note_quartier\n    territoires:\n      epci: "{autre_epci}"\n'
                                      '      qpv: ["QP062036"]\n')
    e = _erreur(con, path)
    assert (e.fichier, e.ligne, e.colonne) == (path, 7, 13), str(e)
    assert "le quartier « QP062036 »" in e.message and "n'est dans aucun des territoires de cette note" in e.message
    assert 'territoires: {qpv: ["QP062036"]}' in e.correction


def test_note_quartier_refuses_a_qpv_outside_the_listed_communes(con, tmp_path):
    # Centre Historique (QP062058) lies in Aire-sur-la-Lys (62014), not in Arques (62040).
    ligne = '    territoires: {communes: ["62040"], qpv: ["QP062036", "QP062058"]}'
    path = _ecrire(tmp_path, ENTETE + "  - modele: note_quartier\n" + ligne + "\n")
    e = _erreur(con, path)
    assert (e.ligne, e.colonne) == (5, ligne.index('"QP062058"') + 1), str(e)
    assert "« QP062058 »" in e.message and "Aire-sur-la-Lys (62014)" in e.message
    # A QPV of the listed territories is accepted, once; one named alone is a note of its own.
    path.write_text(ENTETE + '  - modele: note_quartier\n    territoires: {communes: ["62040"], qpv: ["QP062036"]}\n'
                    '  - modele: note_quartier\n    territoires: {qpv: ["QP062058"]}\n', encoding="utf-8")
    assert [j.slug for j in pl.plan(con, path).jobs] == ["quartier-QP062036", "quartier-QP062058"]


def test_evaluation_refuses_a_qpv_outside_its_intercommunality(con, tmp_path, autre_epci):
    path = _ecrire(tmp_path, ENTETE + f'  - modele: evaluation_cdv\n    territoires: {{epci: "{autre_epci}"}}\n'
                                      '    parametres:\n      qpv: ["QP062036"]\n')
    e = _erreur(con, path)
    assert (e.ligne, e.colonne) == (7, 13) and "n'est pas dans l'intercommunalité" in e.message
    assert f"il est dans : CA du Pays de Saint-Omer ({CAPSO})" in e.message


def test_evaluation_refuses_an_unknown_indicator_of_its_evaluation_file(con, tmp_path):
    # The observation questions of evaluation.yml (catalogues.evaluation), checked against the glossary.
    copie = tmp_path / "evaluation"
    shutil.copytree(EVALUATION, copie)
    texte = (copie / "evaluation.yml").read_text(encoding="utf-8")
    ligne = "      indicateurs: [part_emplois_precaires, taux_emploi]"
    assert ligne in texte.splitlines()
    (copie / "evaluation.yml").write_text(texte.replace(ligne, ligne.replace("taux_emploi", "taux_emploii")),
                                          encoding="utf-8")
    path = _ecrire(tmp_path, ENTETE + f'  - modele: evaluation_cdv\n    territoires: {{epci: "{CAPSO}"}}\n'
                                      '    parametres: {qpv: ["QP062036", "QP062037", "QP062058"]}\n'
                                      f"    evaluation: {copie}\n")
    e = _erreur(con, path)
    assert (e.fichier, e.ligne) == (copie / "evaluation.yml", texte.splitlines().index(ligne) + 1)
    assert "indicateur « taux_emploii » absent du glossaire" in e.message


# --- Paths named by a params file --------------------------------------------------------------


@pytest.mark.parametrize("modele, cle, fichier", [
    ("note_communale", "groupements", "groupes.yml"),
    ("abs_ccas", "enjeux", "secret.md"),  # before: the file's text was published as the note's « enjeux »
    ("abs_ccas", "enjeux", "."),  # before: <folder>/62040-sante.md was published
    ("evaluation_cdv", "evaluation", "evaluation"),
    ("plan_actions", "plan_actions", "plan.yml"),
])
@pytest.mark.parametrize("forme", ["absolu", "relatif"])
def test_a_path_of_the_params_file_cannot_leave_the_project(con, tmp_path, dehors, modele, cle, fichier, forme):
    cible = dehors / fichier
    valeur = str(cible) if forme == "absolu" else os.path.relpath(cible, Path.cwd())
    assert forme == "absolu" or valeur.startswith("..")
    extra = {"abs_ccas": "    themes: [sante]\n",
             "evaluation_cdv": '    parametres: {qpv: ["QP062036", "QP062037", "QP062058"]}\n'}.get(modele, "")
    territoire = f'{{epci: "{CAPSO}"}}' if modele == "evaluation_cdv" else '{communes: ["62040"]}'
    path = _ecrire(tmp_path, ENTETE + f"  - modele: {modele}\n    territoires: {territoire}\n{extra}    {cle}: {valeur}\n")
    e = _erreur(con, path)
    assert e.fichier == path and e.ligne == 6 + bool(extra), str(e)
    assert f"« {cle} » : {valeur} est hors du projet" in e.message and str(Path.cwd()) in e.correction


def test_a_path_beside_the_params_file_or_in_the_project_is_accepted(con, tmp_path):
    enjeux = tmp_path / "enjeux"
    enjeux.mkdir()
    (enjeux / "62040-sante.md").write_text("Renforcer l'offre de soins.\n", encoding="utf-8")
    path = _ecrire(tmp_path, ENTETE + '  - modele: abs_ccas\n    territoires: {communes: ["62040"]}\n    themes: [sante]\n'
                                      f"    enjeux: {enjeux}\n    plan_actions: params/capso/plan-actions.yml\n")
    (job,) = pl.plan(con, path).jobs
    assert job.parametres["enjeux"] == "Renforcer l'offre de soins."


@pytest.mark.parametrize("valeur", ["../../dehors.csv", "/etc/passwd.csv"])
def test_a_file_of_the_evaluation_folder_cannot_leave_it(con, tmp_path, valeur):
    copie = tmp_path / "evaluation"
    shutil.copytree(EVALUATION, copie)
    (tmp_path.parent / "dehors.csv").write_text("annee;pilier;qpv;intitule\n2016;cohesion_sociale;tous;Action\n",
                                                encoding="utf-8")
    texte = (copie / "evaluation.yml").read_text(encoding="utf-8")
    debut = texte.index("  totaux:\n")
    fin = texte.index("\n\n", debut)
    texte = texte[:debut] + f"  fichier: {valeur}" + texte[fin:]
    (copie / "evaluation.yml").write_text(texte, encoding="utf-8")
    path = _ecrire(tmp_path, ENTETE + f'  - modele: evaluation_cdv\n    territoires: {{epci: "{CAPSO}"}}\n'
                                      '    parametres: {qpv: ["QP062036", "QP062037", "QP062058"]}\n'
                                      f"    evaluation: {copie}\n")
    e = _erreur(con, path)
    assert (e.fichier, e.ligne) == (copie / "evaluation.yml", texte.splitlines().index(f"  fichier: {valeur}") + 1)
    assert f"chemin « {valeur} » hors du dossier de l'évaluation" in e.message


def test_enjeux_not_in_utf8_are_a_located_error(con, tmp_path):
    # Before: UnicodeDecodeError at plan time, a traceback for check and build.
    enjeux = tmp_path / "enjeux"
    enjeux.mkdir()
    (enjeux / "62040-sante.md").write_bytes("Santé\n".encode("latin-1"))
    path = _ecrire(tmp_path, ENTETE + '  - modele: abs_ccas\n    territoires: {communes: ["62040"]}\n    themes: [sante]\n'
                                      f"    enjeux: {enjeux}\n")
    e = _erreur(con, path)
    assert e.fichier == enjeux / "62040-sante.md" and "pas encodé en UTF-8" in e.message


# --- Typos and malformed entries ----------------------------------------------------------------


@pytest.mark.parametrize("texte, ligne, message", [
    # Before: accepted; the misspelt setting was ignored (titre defaulted to the id, no note).
    ("observatoire:\n  id: essai\nnote:\n  - modele: note_communale\n", 3,
     "clé « note » inconnue du fichier de paramètres (vouliez-vous écrire « notes » ?)"),
    ('observatoire:\n  id: essai\n  titel: Essai\nnotes:\n  - {modele: note_communale, territoires: {communes: ["62040"]}}\n',
     3, "clé « titel » inconnue de « observatoire: » (vouliez-vous écrire « titre » ?)"),
    # The home page's map: an indicator of the glossary published for communes, else a located error.
    ('observatoire:\n  id: essai\n  indicateur_accueil: taux_pauvrte\nnotes:\n'
     '  - {modele: note_communale, territoires: {communes: ["62040"]}}\n',
     3, "indicateur « taux_pauvrte » inconnu ou non publié pour les communes (vouliez-vous écrire « taux_pauvrete » ?)"),
    # Before: accepted, then the site's title was a Python list.
    ('observatoire:\n  id: essai\n  titre: [a, b]\nnotes:\n  - {modele: note_communale, territoires: {communes: ["62040"]}}\n',
     3, "« observatoire.titre » doit être un texte"),
    # Before: TypeError: unhashable type: 'list'.
    (ENTETE + '  - modele: [note_communale]\n    territoires: {communes: ["62040"]}\n', 4,
     "modèle de note « ['note_communale'] » inconnu"),
    # Before: accepted, two jobs writing the same page at once.
    (ENTETE + '  - modele: note_communale\n    territoires: {epci: "200069037"}\n'
              '  - modele: note_communale\n    territoires: {communes: ["62040"]}\n', 7,
     "la note « communale-62040 » (Arques) est déjà prévue par la note n° 1"),
    # Before: « None introuvable » or « ['a'] introuvable ».
    (ENTETE + '  - modele: note_communale\n    territoires: {communes: ["62040"]}\n    groupements:\n', 6,
     "« groupements » doit être un chemin"),
    # Before: IsADirectoryError.
    (ENTETE + '  - modele: note_communale\n    territoires: {communes: ["62040"]}\n    groupements: data/territoires\n',
     6, "« groupements » : data/territoires n'est pas un fichier YAML"),
    # Before: the params file's own text was published as the note's « enjeux ».
    (ENTETE + '  - modele: abs_ccas\n    territoires: {communes: ["62040"]}\n    themes: [sante]\n'
              "    enjeux: params/capso.yml\n", 7, "« enjeux » : params/capso.yml n'est ni un dossier ni un fichier .md"),
    # Before: « 513 » (YAML reads unquoted 01001 as octal).
    (ENTETE + '  - modele: note_communale\n    territoires: {communes: ["62040", 01001]}\n', 5, "01001"),
])
def test_typos_and_malformed_entries_are_located(con, tmp_path, texte, ligne, message):
    path = _ecrire(tmp_path, texte)
    e = _erreur(con, path)
    assert message in e.message and "513" not in e.message, str(e)
    assert (e.fichier, e.ligne) == (path, ligne) and e.correction


# --- One validation for check and build ----------------------------------------------------------


class _Planifie(Exception):
    """The build's plan passed: the test stops it there, before any note runs."""


def _osq(monkeypatch, store_file: Path, *args: str):
    """Run `osq <args>` in this process; the plan is spied on: its outcomes (None, or the error's text)."""
    vrai, issues = pl.plan, []

    def espion(con, params_file):
        try:
            the_plan = vrai(con, params_file)
        except OsqError as exc:
            issues.append(str(exc))
            raise
        issues.append(None)
        if args[0] == "build":
            raise _Planifie
        return the_plan

    monkeypatch.setattr(pl, "plan", espion)
    result = CliRunner().invoke(app, [*args, "--base", str(store_file)])
    monkeypatch.setattr(pl, "plan", vrai)
    return result, issues


CASSES = {
    "notes vide": "observatoire:\n  id: essai\nnotes: []\n",
    "notes absent": "observatoire:\n  id: essai\n",
    "territoire au singulier": ENTETE + '  - modele: note_communale\n    territoire: {communes: ["62040"]}\n',
    "territoires vide": ENTETE + "  - modele: note_communale\n    territoires: {}\n",
    "identifiant hors de --sortie": "observatoire:\n  id: ../../ailleurs\nnotes:\n  - modele: note_epci\n"
                                    '    territoires: {epci: "200069037"}\n',
    "code commune sans guillemets": ENTETE + "  - modele: note_communale\n    territoires: {communes: [01001]}\n",
    "quartier hors des territoires": ENTETE + '  - modele: note_quartier\n    territoires: {communes: ["62040"], '
                                              'qpv: ["QP062058"]}\n',
    "indicateur inconnu dans questions": ENTETE + '  - modele: evaluation_cdv\n    territoires: {epci: "200069037"}\n'
                                                  '    parametres:\n      qpv: ["QP062036"]\n      questions:\n'
                                                  '        - {question: "Q ?", indicateurs: [taux_chomage]}\n',
    "quartier 2024 dans l'évaluation": ENTETE + '  - modele: evaluation_cdv\n    territoires: {epci: "200069037"}\n'
                                                '    parametres: {qpv: ["QN06236M"]}\n',
    "chemin hors du projet": ENTETE + '  - modele: abs_ccas\n    territoires: {communes: ["62040"]}\n'
                                      "    themes: [sante]\n    enjeux: /etc/hostname\n",
    "chemin en ../": ENTETE + '  - modele: plan_actions\n    territoires: {communes: ["62040"]}\n'
                              "    plan_actions: ../../../params/capso/plan-actions.yml\n",
    "thème inconnu": ENTETE + '  - modele: abs_ccas\n    territoires: {communes: ["62040"]}\n    themes: [loisirs]\n',
    "note en double": ENTETE + '  - modele: note_epci\n    territoires: {epci: "200069037"}\n'
                               '  - modele: note_epci\n    territoires: {communes: ["62040"]}\n',
    "étiquette YAML": "observatoire:\n  id: !!python/object:os.system essai\nnotes: []\n",
    "YAML illisible": "observatoire:\n\tid: essai\n",
    "profil inconnu": "observatoire:\n  id: essai\n  profils: [prive]\nnotes:\n"
                      '  - modele: note_epci\n    territoires: {epci: "200069037"}\n',
    # Valid ones: check passes exactly when the build's plan passes.
    "valide : une commune": ENTETE + '  - modele: note_communale\n    territoires: {communes: ["62040"]}\n',
    "valide : évaluation et plan d'actions": ENTETE + '  - modele: evaluation_cdv\n    territoires: {epci: "200069037"}\n'
                                                      '    parametres: {qpv: ["QP062036", "QP062037", "QP062058"]}\n'
                                                      "    evaluation: params/capso/evaluation\n"
                                                      '  - modele: plan_actions\n    territoires: {communes: ["62040"]}\n'
                                                      "    plan_actions: params/capso/plan-actions.yml\n",
}


def test_check_fails_exactly_when_the_build_plan_fails_with_the_same_message(store_file, tmp_path, monkeypatch):
    monkeypatch.chdir(PROJECT_ROOT)
    for nom, texte in CASSES.items():
        path = tmp_path / f"{len(list(tmp_path.iterdir()))}.yml"
        path.write_text(texte, encoding="utf-8")
        check, par_check = _osq(monkeypatch, store_file, "check", str(path))
        build, par_build = _osq(monkeypatch, store_file, "build", str(path), "--sortie", str(tmp_path / "rapports"))
        # The same function, once each: no check-only or build-only rule.
        assert len(par_check) == len(par_build) == 1, nom
        assert par_check == par_build, nom
        message = par_check[0]
        sortie_check, sortie_build = (" ".join(r.output.split()) for r in (check, build))
        if message is None:  # (check may still report other reference files of the project)
            assert nom.startswith("valide") and f"✓ paramètres ({path})" in sortie_check, (nom, check.output)
            assert isinstance(build.exception, _Planifie), (nom, build.output)
            continue
        assert not nom.startswith("valide"), message
        assert (check.exit_code, build.exit_code) == (2, 2), (nom, check.output, build.output)
        assert "Traceback" not in check.output + build.output
        assert f"fichier {path}, ligne " in message, (nom, message)  # located in the params file
        assert " ".join(message.split()) in sortie_check, (nom, check.output)
        # `osq build` prints the same text (cli._fail reads it as rich markup: « [sante] » would vanish).
        vus = {" ".join(t.split()) for t in (f"Erreur : {message}", Text.from_markup(f"Erreur : {message}").plain)}
        assert any(t in sortie_build for t in vus), (nom, build.output)
    assert not (tmp_path / "rapports").exists() and not (tmp_path.parent / "ailleurs").exists()


# --- Automatic commentary switched off per note kind or section ---------------------------------------


def test_commentary_is_switched_off_per_kind_or_section(con, tmp_path):
    path = _ecrire(tmp_path, ENTETE + '  - modele: note_communale\n    territoires:\n      communes: ["62040"]\n'
                   "    commentaire: [lecture]\n"
                   '  - modele: note_epci\n    territoires:\n      epci: "200069037"\n    commentaire: false\n')
    jobs = {j.modele: j for j in pl.plan(con, path).jobs}
    assert jobs["note_communale"].parametres["commentaire"] == "lecture"
    assert jobs["note_epci"].parametres["commentaire"] == ""


def test_an_unknown_commentary_section_is_located(con, tmp_path):
    path = _ecrire(tmp_path, ENTETE + '  - modele: note_communale\n    territoires:\n      communes: ["62040"]\n'
                   "    commentaire: [synthese, resume]\n")
    err = _erreur(con, path)
    assert "« resume » inconnue" in err.message and err.ligne == 7 and "synthese, lecture" in (err.correction or "")


def test_a_kind_without_commentary_refuses_the_key(con, tmp_path):
    path = _ecrire(tmp_path, ENTETE + '  - modele: plan_actions\n    territoires:\n      communes: ["62040"]\n'
                   f"    plan_actions: {PLAN_ACTIONS}\n    commentaire: false\n")
    err = _erreur(con, path)
    assert "n'a pas de commentaire automatique" in err.message and err.ligne == 8

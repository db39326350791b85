"""batch.versions without a build: versions made from small sites written here, the change summary, the review
pages, publication and rollback, and their French errors."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from osq_utils import verrou
from osq_utils.batch import versions as V
from osq_utils.batch.plan import Job, Plan
from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.errors import OsqError

NBSP, NNBSP = "\u00a0", "\u202f"
ENTETE = ("niveau;code;territoire;indicateur;indicateur_libelle;unite;annee;valeur;numerateur;denominateur;statut;"
          "estime;source;source_libelle")


def _site(folder: Path, rows: list[str], note: str = "<h2 id=\"a\">Revenus</h2><p>x</p>") -> Path:
    (folder / "notes").mkdir(parents=True, exist_ok=True)
    (folder / "donnees").mkdir(exist_ok=True)
    (folder / "index.html").write_text("<html><head><title>Accueil</title></head><body><p>i</p></body></html>",
                                       encoding="utf-8")
    (folder / "notes" / "communale-62765.html").write_text(
        f"<html><head><title>Saint-Omer</title></head><body><nav><h2 id=\"toc-title\">Sur cette page</h2></nav>"
        f"{note}</body></html>", encoding="utf-8")
    (folder / "donnees" / "chiffres.csv").write_text("\ufeff" + "\n".join([ENTETE, *rows]) + "\n", encoding="utf-8")
    return folder


def _plan(tmp_path: Path, params_text: str = "observatoire:\n  id: essai\nnotes: []\n") -> Plan:
    params = tmp_path / "essai.yml"
    params.write_text(params_text, encoding="utf-8")
    job = Job("note_communale", "commune", "62765", "Saint-Omer", "communale-62765", {})
    return Plan("essai", "Observatoire d'essai", "", params, [job])


ROW_REVENU = "commune;62765;Saint-Omer;revenu_median;Niveau de vie médian;€;2019;{v};;;ok;False;insee;Insee"
ROW_TAUX = "commune;62765;Saint-Omer;taux_pauvrete;Taux de pauvreté;%;2019;{v};;;{s};False;insee;Insee"


def _arbre(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def deux_versions(tmp_path):
    """Two versions of an observatory: the second changes one figure (Saint-Omer's median income)."""
    root = tmp_path / "rapports" / "essai"
    plan = _plan(tmp_path)
    site = _site(root / "site", [ROW_REVENU.format(v="18970,0"), ROW_TAUX.format(v="24,5", s="ok")])
    v1 = V.figer(root, plan, {"public": site}, maintenant=datetime.datetime(2026, 3, 1, 9, 5, 0))
    _site(root / "site", [ROW_REVENU.format(v="19120,0"), ROW_TAUX.format(v="24,5", s="ok")])
    v2 = V.figer(root, plan, {"public": site}, maintenant=datetime.datetime(2026, 3, 2, 14, 30, 0))
    return root, plan, v1, v2


def test_a_version_is_an_immutable_copy_sharing_unchanged_files(deux_versions):
    root, _, v1, v2 = deux_versions
    assert (v1.ident, v2.ident) == ("2026-03-01T09-05-00", "2026-03-02T14-30-00") and v1.nouvelle and v2.nouvelle
    a, b = v1.dossier / "site", v2.dossier / "site"
    assert (b / "donnees" / "chiffres.csv").read_bytes() == (root / "site" / "donnees" / "chiffres.csv").read_bytes()
    # An unchanged file is one file shared by both versions; a changed one is not; both are read-only.
    assert os.stat(a / "index.html").st_ino == os.stat(b / "index.html").st_ino
    assert os.stat(a / "donnees" / "chiffres.csv").st_ino != os.stat(b / "donnees" / "chiffres.csv").st_ino
    assert not os.access(b / "index.html", os.W_OK) or os.geteuid() == 0
    assert (b / "index.html").stat().st_mode & 0o222 == 0


def test_a_build_that_changed_nothing_makes_no_new_version(deux_versions):
    root, plan, v1, v2 = deux_versions
    again = V.figer(root, plan, {"public": root / "site"}, maintenant=datetime.datetime(2026, 3, 3))
    assert again == V.Version(v2.ident, v2.dossier, False) and V.lister(root) == [v1.ident, v2.ident]


def test_the_summary_lists_the_one_figure_that_changed(deux_versions):
    root, _, v1, v2 = deux_versions
    r = V.resume(root, v2.ident, v1.ident)
    assert [(c.territoire, c.indicateur, c.annee, c.avant, c.apres) for c in r.chiffres] == [
        ("Saint-Omer (commune 62765)", "Niveau de vie médian", "2019", f"18{NNBSP}970{NBSP}€", f"19{NNBSP}120{NBSP}€")]
    assert (r.ajoutees, r.retirees, r.fichiers) == ([], [], [])
    assert r.court() == "1 chiffre modifié"
    assert V.resume(root, v1.ident, None).court() == "première version"


def test_a_figure_that_became_secret_never_shows_its_old_value(tmp_path):
    old, new = _site(tmp_path / "a", [ROW_TAUX.format(v="24,5", s="ok")]), _site(tmp_path / "b", [ROW_TAUX.format(v="", s="secret")])
    (changed,), nouveaux, disparus = V.comparer_chiffres(old, new, "public")
    assert (changed.avant, changed.apres, nouveaux, disparus) == ("valeur publiée", "s", 0, 0)


def test_analyst_files_changed_are_shown_with_a_short_diff(tmp_path):
    root = tmp_path / "rapports" / "essai"
    plan = _plan(tmp_path, "observatoire:\n  id: essai\n  titre: Avant\nnotes: []\n")
    site = _site(root / "site", [])
    v1 = V.figer(root, plan, {"public": site}, maintenant=datetime.datetime(2026, 3, 1))
    plan.params_file.write_text("observatoire:\n  id: essai\n  titre: Après\nnotes: []\n", encoding="utf-8")
    v2 = V.figer(root, plan, {"public": site}, maintenant=datetime.datetime(2026, 3, 2))
    assert v2.nouvelle  # same sites, but the analyst's file changed
    (f,) = V.resume(root, v2.ident, v1.ident).fichiers
    assert (f["nom"], f["etat"]) == ("essai.yml", "modifié")
    assert "-  titre: Avant" in f["diff"] and "+  titre: Après" in f["diff"]


def test_old_versions_are_pruned_but_never_a_published_one(tmp_path):
    root = tmp_path / "rapports" / "essai"
    plan = _plan(tmp_path)
    idents = []
    for day in range(1, 5):
        site = _site(root / "site", [ROW_REVENU.format(v=f"{18000 + day},0")])
        idents.append(V.figer(root, plan, {"public": site}, garder=2, maintenant=datetime.datetime(2026, 3, day)).ident)
        if day == 1:
            V.publier(root, idents[0])
    assert V.lister(root) == [idents[0], idents[2], idents[3]]


def test_publish_then_roll_back_restores_the_site_byte_for_byte(deux_versions):
    root, _, v1, v2 = deux_versions
    with pytest.raises(OsqError, match="rien n'est encore publié"):
        V.publier(root, precedente=True)
    e1 = V.publier(root, v1.ident, maintenant=datetime.datetime(2026, 3, 1, 10))
    assert e1["precedente"] is None and e1["resume"]["texte"] == "première version"
    premier = _arbre(root / V.EN_LIGNE)
    assert os.readlink(root / V.EN_LIGNE) == f"versions/{v1.ident}"
    e2 = V.publier(root, v2.ident, maintenant=datetime.datetime(2026, 3, 2, 15))
    assert (e2["precedente"], e2["resume"]["texte"], e2["resume"]["chiffres"]) == (v1.ident, "1 chiffre modifié", 1)
    assert _arbre(root / V.EN_LIGNE) != premier
    assert V.publier(root, v2.ident) is None  # already online
    e3 = V.publier(root, precedente=True)
    assert (e3["version"], e3["retour"], e3["remplacee"]) == (v1.ident, True, v2.ident)
    assert _arbre(root / V.EN_LIGNE) == premier
    with pytest.raises(OsqError, match="aucune version n'a été publiée avant"):
        V.publier(root, precedente=True)
    assert [e["version"] for e in V.historique(root)] == [v1.ident, v2.ident, v1.ident]
    assert not [p for p in root.iterdir() if p.name.endswith(".tmp")]


def test_rollback_goes_back_one_publication_at_a_time(deux_versions):
    root, plan, v1, v2 = deux_versions
    _site(root / "site", [ROW_REVENU.format(v="20000,0")])
    v3 = V.figer(root, plan, {"public": root / "site"}, maintenant=datetime.datetime(2026, 3, 4))
    for v in (v1, v2, v3):
        V.publier(root, v.ident)
    assert V.publier(root, precedente=True)["version"] == v2.ident
    assert V.publier(root, precedente=True)["version"] == v1.ident
    with pytest.raises(OsqError):
        V.publier(root, precedente=True)


def test_unknown_version_is_a_french_error_naming_the_versions(deux_versions):
    root, _, _, v2 = deux_versions
    with pytest.raises(OsqError) as err:
        V.publier(root, "2020-01-01T00-00-00")
    assert "version « 2020-01-01T00-00-00 » inconnue" in str(err.value) and v2.ident in str(err.value)
    assert V.publier(root, "derniere")["version"] == v2.ident


def test_publishing_during_a_build_is_refused(deux_versions):
    root, _, v1, _ = deux_versions
    with verrou.observatoire(root, "essai"), pytest.raises(verrou.VerrouOccupe):
        V.publier(root, v1.ident)
    assert V.en_ligne(root) is None


def _osq(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "osq_utils.cli", *args], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=120)


def test_cli_exit_codes_and_french_messages(deux_versions):
    root, _, v1, _ = deux_versions
    sortie = str(root.parent)
    proc = _osq("publier", "2020-01-01T00-00-00", "--sortie", sortie)
    assert proc.returncode == 2 and "inconnue" in proc.stderr and "Traceback" not in proc.stderr
    proc = _osq("publier", "--precedente", "--sortie", sortie)
    assert proc.returncode == 2 and "rien n'est encore publié" in proc.stderr
    proc = _osq("publier", "--sortie", sortie)
    assert proc.returncode == 2 and "--precedente" in proc.stderr
    with verrou.observatoire(root, "essai"):
        proc = _osq("publier", v1.ident, "--sortie", sortie)
    assert proc.returncode == 5 and "Publication impossible" in proc.stderr
    proc = _osq("publier", v1.ident, "--observatoire", "essai", "--sortie", sortie)
    assert proc.returncode == 0 and "publiée" in proc.stderr, proc.stderr
    proc = _osq("versions", "--sortie", sortie)
    assert proc.returncode == 0 and v1.ident in proc.stdout + proc.stderr and "en ligne" in proc.stdout + proc.stderr
    proc = _osq("publier", v1.ident, "--observatoire", "autre", "--sortie", sortie)
    assert proc.returncode == 2 and "aucune version de l'observatoire « autre »" in proc.stderr


def test_review_pages_carry_the_banner_and_a_remark_link_per_section(deux_versions):
    root, _, v1, v2 = deux_versions
    r = V.resume(root, v2.ident, v1.ident)
    relecture = V.ecrire_relecture(root, v2.ident, r, "observatoire@agglo.fr")
    note = (relecture / "site" / "notes" / "communale-62765.html").read_text(encoding="utf-8")
    assert "Version de travail du 2 mars 2026 à 14 h 30 — non publiée." in note
    assert 'href="../ce-qui-a-change.html"' in note and 'content="noindex, nofollow"' in note
    assert note.count('class="osq-remarque"') == 1  # one section; the table of contents' heading has none
    assert "mailto:observatoire@agglo.fr?subject=" in note and "section%20%C2%AB%20Revenus%20%C2%BB" in note
    assert "Version%20de%20travail%20%3A%202026-03-02T14-30-00" in note and "&amp;body=" in note
    changes = (relecture / "site" / V.PAGE_CHANGEMENTS).read_text(encoding="utf-8")
    assert f"<td>18{NNBSP}970{NBSP}€</td><td>19{NNBSP}120{NBSP}€</td>" in changes
    assert "Aucune note ajoutée ni retirée." in changes and "la version précédente (rien n’est encore publié)" in changes
    # The version itself is untouched: no banner there.
    assert "osq-relecture" not in (v2.dossier / "site" / "notes" / "communale-62765.html").read_text(encoding="utf-8")
    assert json.loads((relecture / "resume.json").read_text(encoding="utf-8"))["version"] == v2.ident


def test_remark_link_without_an_address_lets_the_reviewer_fill_it_in():
    lien = V.lien_remarque(None, "Observatoire", "2026-03-02T14-30-00", "Arques", "Emploi")
    assert lien.startswith("mailto:?subject=Relecture%20Observatoire%20%3A%20Arques")


def test_review_settings_are_read_and_checked_with_their_position(tmp_path):
    params = tmp_path / "p.yml"
    params.write_text("observatoire:\n  id: essai\n  relecture:\n    courriel: obs@agglo.fr\n    garder: 3\n",
                      encoding="utf-8")
    assert V.reglages(params) == V.Reglages("obs@agglo.fr", 3)
    params.write_text("observatoire:\n  id: essai\n  relecture:\n    courriel: pas-une-adresse\n", encoding="utf-8")
    with pytest.raises(OsqError) as err:
        V.reglages(params)
    assert err.value.ligne == 4 and "adresse de relecture « pas-une-adresse » invalide" in str(err.value)
    params.write_text("observatoire:\n  id: essai\n  relecture:\n    garder: 0\n", encoding="utf-8")
    with pytest.raises(OsqError, match="nombre de versions gardées"):
        V.reglages(params)
    params.write_text("observatoire:\n  id: essai\n", encoding="utf-8")
    assert V.reglages(params) == V.Reglages(None, V.GARDER)


def test_the_data_page_lists_the_publications_newest_first():
    md = V.publications_markdown([
        {"date": "2026-03-01T10:00:00", "version": "2026-03-01T09-05-00", "resume": {"texte": "première version"}},
        {"date": "2026-03-02T15:00:00", "version": "2026-03-02T14-30-00", "resume": {"texte": "1 chiffre modifié"}}])
    lignes = [line for line in md.splitlines() if line.startswith("| ") and "à" in line]
    assert lignes == ["| 2 mars 2026 à 15 h 00 | 2 mars 2026 à 14 h 30 | 1 chiffre modifié |",
                      "| 1er mars 2026 à 10 h 00 | 1er mars 2026 à 9 h 05 | première version |"]
    assert "Aucune version n'avait encore été publiée." in V.publications_markdown([])


def test_the_review_site_is_written_again_only_when_its_version_or_summary_changed(deux_versions):
    root, _, v1, v2 = deux_versions
    r = V.resume(root, v2.ident, v1.ident)
    page = V.ecrire_relecture(root, v2.ident, r, None) / "site" / "index.html"
    avant = page.stat().st_mtime_ns
    V.ecrire_relecture(root, v2.ident, r, None)
    assert page.stat().st_mtime_ns == avant
    V.ecrire_relecture(root, v2.ident, r, "obs@agglo.fr")
    assert "mailto:obs@agglo.fr" in page.read_text(encoding="utf-8")


def test_the_analyst_files_of_an_abs_are_its_enjeux_file_never_its_text(tmp_path):
    """An ABS job's « enjeux » parameter is the text read from « enjeux_fichier »: a long text is not a path."""
    enjeux = tmp_path / "62765-sante.md"
    enjeux.write_text("Enjeux\n", encoding="utf-8")
    plan = _plan(tmp_path)
    texte = "*Enjeux retenus par l'analyse des besoins sociaux*\n\n" + "Une phrase longue. " * 40
    plan.jobs.append(Job("abs_ccas", "commune", "62765", "Saint-Omer", "abs-62765-sante",
                         {"enjeux": texte, "enjeux_fichier": str(enjeux)}, theme="sante"))
    fichiers = V.fichiers_analyste(plan)
    assert enjeux.name in {Path(n).name for n in fichiers}


def test_a_figure_summed_anew_with_other_last_binary_digits_is_not_a_change(tmp_path):
    """France's mean IPS, summed over its schools at each build, can end in other binary digits: not a change."""
    ligne = "france;FRM;France métropolitaine;ips_college;IPS moyen des collèges;;2021;{v};;;ok;False;menj;MENJ"
    avant = _site(tmp_path / "a", [ligne.format(v="106.49700000000001")])
    apres = _site(tmp_path / "b", [ligne.format(v="106.497")])
    assert V.comparer_chiffres(avant, apres, "public") == ([], 0, 0)
    apres = _site(tmp_path / "c", [ligne.format(v="106.5")])
    assert len(V.comparer_chiffres(avant, apres, "public")[0]) == 1

"""The review-then-publish cycle with the real commands (docs/guides/relire-et-publier.md): a build, a partner
delivery that changes one value, a second build, `osq publier`, `osq publier --precedente`.

The delivered figure is cut at run time from the real CNAF file, as in test_parcours.py: Saint-Omer's recipients
of the prime d'activité in 2019 (the sum of APPA over its IRIS in data_CAF_2019_IRIS.csv); the partner then
sends a corrected file with that figure plus 12 (a correction, as after a review). Everything is written in
copies: the store and the glossary of the CAPSO tier are left untouched.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
import yaml

from osq_utils.batch import versions as V
from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.present import fr

pytestmark = pytest.mark.slow
EXEMPLES = PROJECT_ROOT / "docs" / "guides" / "exemples"
PARAMS = """\
observatoire:
  id: relue
  titre: Observatoire relu
  profils: [public, partenaires]
notes:
  - modele: note_communale
    territoires: {communes: ["62765"]}
"""


def _appa_saint_omer(mirror) -> int:
    with open(mirror / "cnaf-caf-iris-2016-2020" / "data_CAF_2019_IRIS.csv", encoding="utf-8") as fh:
        values = [row["APPA"] for row in csv.DictReader(fh, delimiter=";") if row["CODGEO"].startswith("62765")]
    assert values and all(v.strip() for v in values)
    return sum(int(v) for v in values)


def _livraison(path: Path, value: int) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Prime d'activité par commune, décembre 2019"])
    sheet.append(["Code commune", "Commune", "Foyers allocataires de la prime d'activité"])
    sheet.append([62765, "Saint-Omer", value])
    sheet.append(["Source : CAF, fichier allocataires au 31/12/2019."])
    book.save(path)
    return path


def _arbre(folder: Path) -> dict[str, str]:
    """Every file under a folder (symlinks followed) and its sha256."""
    out = {}
    for current, _, files in os.walk(folder, followlinks=True):
        for name in files:
            path = Path(current) / name
            out[path.relative_to(folder).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def cycle(mirror, store_file, tmp_path_factory):
    """Delivery (value n), build, publish; corrected delivery (n + 12), build: (root, env, n, v1, v2, tree of v1)."""
    tmp = tmp_path_factory.mktemp("relecture")
    glossary = yaml.safe_load((PROJECT_ROOT / "data" / "glossaire.yml").read_text(encoding="utf-8"))
    glossary["indicateurs"] += yaml.safe_load((EXEMPLES / "indicateur-prime-activite.yml").read_text(encoding="utf-8"))
    (tmp / "glossaire.yml").write_text(yaml.safe_dump(glossary, allow_unicode=True, sort_keys=False), encoding="utf-8")
    shutil.copy(store_file, tmp / "osq.duckdb")
    env = {**os.environ, "OSQ_GLOSSAIRE": str(tmp / "glossaire.yml"), "OSQ_STORE": str(tmp / "osq.duckdb"),
           "OSQ_QUARTO": "non"}
    (tmp / "relue.yml").write_text(PARAMS, encoding="utf-8")
    n = _appa_saint_omer(mirror)
    convention = str(EXEMPLES / "convention-caf-communes.yml")
    sortie = str(tmp / "rapports")

    def osq(*args, code=0):
        proc = subprocess.run([sys.executable, "-m", "osq_utils.cli", *args], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == code, proc.stdout + proc.stderr
        return proc

    osq("livraison", convention, str(_livraison(tmp / "prime_activite_2019.xlsx", n)))
    build1 = osq("build", str(tmp / "relue.yml"), "--jobs", "2", "--sortie", sortie)
    root = tmp / "rapports" / "relue"
    (v1,) = V.lister(root)
    osq("publier", v1, "--sortie", sortie)
    premier = _arbre(root / "en-ligne")
    osq("livraison", convention, str(_livraison(tmp / "prime_activite_2019.xlsx", n + 12)))
    build2 = osq("build", str(tmp / "relue.yml"), "--jobs", "2", "--sortie", sortie)
    v2 = V.lister(root)[-1]
    return {"root": root, "osq": osq, "n": n, "v1": v1, "v2": v2, "premier": premier, "sortie": sortie,
            "build1": build1.stderr, "build2": build2.stderr}


def test_each_build_is_a_version_with_a_review_site(cycle):
    root, v1, v2 = cycle["root"], cycle["v1"], cycle["v2"]
    assert V.lister(root) == [v1, v2] and v1 < v2
    assert f"nouvelle version {v2}" in " ".join(cycle["build2"].split())
    assert f"osq publier {v2} --observatoire relue" in " ".join(cycle["build2"].split())
    # The version holds the working sites as they were built, byte for byte.
    for folder in ("site", "site-partenaires"):
        assert _arbre(root / "versions" / v2 / folder) == _arbre(root / folder)


def test_the_change_summary_lists_exactly_the_one_figure_that_changed(cycle):
    root, n = cycle["root"], cycle["n"]
    resume = json.loads((root / "relecture" / "resume.json").read_text(encoding="utf-8"))
    assert (resume["version"], resume["reference"], resume["reference_publiee"]) == (cycle["v2"], cycle["v1"], True)
    ligne = {"territoire": "Saint-Omer (commune 62765)", "indicateur": "Allocataires de la prime d'activité",
             "annee": "2019", "avant": fr.nombre(n), "apres": fr.nombre(n + 12)}
    assert resume["chiffres"] == [{"profil": "public", **ligne}, {"profil": "partenaires", **ligne}]
    assert resume["chiffres_nouveaux"] == resume["chiffres_disparus"] == {"public": 0, "partenaires": 0}
    assert (resume["ajoutees"], resume["retirees"], resume["fichiers"]) == ([], [], [])
    page = (root / "relecture" / "site" / "ce-qui-a-change.html").read_text(encoding="utf-8")
    assert page.count("<tr><td>") == 1
    assert f"<td>{fr.nombre(n)}</td><td>{fr.nombre(n + 12)}</td>" in page
    assert "comparée à la version en ligne" in page


def test_review_notes_carry_the_banner_and_remark_links_the_published_ones_do_not(cycle):
    root, v2 = cycle["root"], cycle["v2"]
    note = (root / "relecture" / "site" / "notes" / "communale-62765.html").read_text(encoding="utf-8")
    quand = V.date_longue(V.date_version(v2))
    assert f"Version de travail du {quand} — non publiée." in note
    assert note.count('class="osq-remarque"') >= 3 and "Faire une remarque sur la section « " in note
    assert f"Version%20de%20travail%20%3A%20{v2}" in note and "Saint-Omer" in note
    for folder in (root / "site", root / "versions" / v2 / "site", root / "en-ligne" / "site"):
        assert "osq-relecture" not in (folder / "notes" / "communale-62765.html").read_text(encoding="utf-8")
    assert (root / "relecture" / "site-partenaires" / "ce-qui-a-change.html").is_file()


def test_the_data_page_of_the_second_version_lists_the_first_publication(cycle):
    root, v1 = cycle["root"], cycle["v1"]
    etat = (root / "versions" / cycle["v2"] / "site" / "etat-des-donnees.html").read_text(encoding="utf-8")
    assert "Versions publiées" in etat and V.date_longue(V.date_version(v1)) in etat and "première version" in etat
    first = (root / "versions" / v1 / "site" / "etat-des-donnees.html").read_text(encoding="utf-8")
    assert "Aucune version n’avait encore été publiée." in first  # pandoc's typographic apostrophe


def test_publish_then_roll_back_restores_the_first_site_byte_for_byte(cycle):
    root, osq, sortie = cycle["root"], cycle["osq"], cycle["sortie"]
    proc = osq("publier", cycle["v2"], "--sortie", sortie)
    assert "Ce qui a changé : 1 chiffre modifié." in " ".join(proc.stderr.split())
    assert _arbre(root / "en-ligne") != cycle["premier"]
    assert _arbre(root / "en-ligne" / "site") == _arbre(root / "site")
    osq("publier", "--precedente", "--sortie", sortie)
    assert V.en_ligne(root) == cycle["v1"]
    assert _arbre(root / "en-ligne") == cycle["premier"]
    proc = osq("publier", "--precedente", "--sortie", sortie, code=2)
    assert "aucune version n'a été publiée avant" in proc.stderr and "Traceback" not in proc.stderr
    historique = V.historique(root)
    assert [(e["version"], e["retour"]) for e in historique] == [(cycle["v1"], False), (cycle["v2"], False),
                                                                 (cycle["v1"], True)]
    assert historique[1]["resume"]["texte"] == "1 chiffre modifié"

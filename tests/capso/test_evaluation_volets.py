"""The CAPSO evaluation as its seed document publishes it: three angles, the bilan des actions, the findings, and
the ABS plan d'actions. Every demo figure is read back from the seed document (AUD Saint-Omer, 2023) and every
store figure from its producer's file in the mirror."""

from __future__ import annotations

import re
import shutil

import nbformat
import papermill as pm
import pytest

from osq_utils import territoires
from osq_utils.batch import plan as pl
from osq_utils.catalogues.evaluation import load_evaluation
from osq_utils.catalogues.plan_actions import load_plan_actions
from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.catalogues.themes import theme_labels
from osq_utils.errors import OsqError
from osq_utils.notes import evaluation as ev
from osq_utils.secret.vue import Vue

CAPSO = "200069037"
QPV = {"QP062036": "Saint-Exupéry - Léon Blum", "QP062037": "Quai Du commerce - Saint Sépulcre",
       "QP062058": "Centre Historique"}
DOSSIER = PROJECT_ROOT / "params" / "capso" / "evaluation"
PLAN = PROJECT_ROOT / "params" / "capso" / "plan-actions.yml"


@pytest.fixture(scope="module")
def seed(mirror) -> str:
    """The AUD Saint-Omer document (« L'observation au service des collectivités… », 2023), next to the mirror."""
    path = mirror.parent / "seeds" / "002_ef6adbd68ff353ac.txt"
    if not path.is_file():
        pytest.skip(f"document source absent : {path}")
    # One space between words (the PDF's line breaks; a word cut at a line end is joined back), straight
    # apostrophes as in the observatory's files.
    texte = re.sub(r"(\w)-\n(\w)", r"\1-\2", path.read_text(encoding="utf-8"))
    return " ".join(texte.split()).replace("’", "'")


def _html(store_file, tmp_path, template: str, **parametres) -> str:
    from osq_utils.batch.notebook_md import executed_notebook_to_markdown
    from osq_utils.batch.render_pandoc import render_page

    path = PROJECT_ROOT / "notebooks" / f"{template}.ipynb"
    out = tmp_path / f"{template}.ipynb"
    pm.execute_notebook(str(path), str(out), parameters={"store": str(store_file), **parametres},
                        kernel_name="python3", progress_bar=False, cwd=str(path.parent))
    markdown = executed_notebook_to_markdown(nbformat.read(out, as_version=4), tmp_path / "media", "media")
    page = render_page(markdown, tmp_path / f"{template}.html", title="Essai", site_title="Essai", nav=[], root_href="..")
    html = page.read_text(encoding="utf-8")
    for a, b in (("\xa0", " "), ("\u202f", " "), ("&nbsp;", " "), ("&#39;", "'"), ("\u2019", "'")):
        html = html.replace(a, b)
    assert "Traceback" not in html
    return html


def test_every_demo_figure_is_printed_in_the_seed_document(seed):
    entrees = load_evaluation(DOSSIER, QPV)
    # Bilan des actions, p. 8-9: « 280 70% 31 8% 85 21% 2 1% » in the pillars' order of the legend.
    imprime = re.search(r"280 70% 31 8% 85 21% 2 1% Actions menées dans le cadre des contrats de ville de la CAPSO "
                        r"entre (\d{4}) et (\d{4}) Cohésion sociale Cadre de vie et renouvellement urbain "
                        r"Développement économique et emploi Pilotage et ingénierie", seed)
    assert imprime is not None
    totaux = entrees.bilan.totaux
    assert [(t.actions, t.part_publiee) for t in totaux] == [(280, 70), (31, 8), (85, 21), (2, 1)]
    assert [entrees.piliers[t.pilier] for t in totaux] == ["Cohésion sociale", "Cadre de vie et renouvellement urbain",
                                                          "Développement économique et emploi", "Pilotage et ingénierie"]
    assert entrees.bilan.periode == (int(imprime.group(1)), int(imprime.group(2))) == (2015, 2021)
    # Chiffres clés of the cooperation, p. 10.
    for t, imprime in zip(entrees.travaux, (
            "2 réunions d'échanges menées avec les communes",
            "3 ateliers menés avec les partenaires, avec une participation moyenne de 13 personnes",
            '22 participants au questionnaire destiné aux "porteurs de projets"',
            "6 participants issus des conseils citoyens Centre-Historique et Quai du Commerce – Saint-Sepulcre")):
        assert imprime in seed
        assert [str(int(x)) for x in (t.nombre, t.participants_moyenne, t.repondants, t.participants) if x is not None] \
            == re.findall(r"\b\d+\b", imprime)
    # The evaluative questions of the three angles and the three actions structurantes, as printed.
    for q in entrees.questions["cooperation"]:
        assert q.texte in seed
    for q in entrees.questions_observation:
        assert q["question"] in seed
    assert [a.intitule for a in entrees.actions_structurantes] == ["Programme de Réussite Éducative", "Médiation santé",
                                                                    "Médiation emploi"]
    assert "Programme de Réussite Educative CARET-RIGHT Médiation santé CARET-RIGHT Médiation emploi" in seed
    # The findings quote the document word for word.
    for numero in (1, 2):
        constats = entrees.constats("observation", numero)[0]
        for puce in re.findall(r"^- (.+)$", constats, flags=re.M):
            assert puce in seed, puce


def test_every_plan_action_is_printed_in_the_seed_document(seed):
    plan = load_plan_actions(PLAN, theme_labels())
    assert len(plan.actions) == 3 and all(a.commune for a in plan.actions)
    for a in plan.actions:
        for d in a.detail:
            assert d in seed, d
        for e in a.enjeux:
            assert e.rstrip(".") in seed, e
    assert plan.themes == {"communication": "Communication", "emploi_revenus_mobilite": "Emploi, revenus et mobilité"}


def test_the_seeds_low_income_finding_is_the_producers_figure(mirror, store_file):
    """« Le taux de bas revenus a augmenté entre 2014 et 2018 sur les trois quartiers. Il atteint 78,2% sur
    Saint-Exupéry / Léon-Blum » (AUD, 2023, p. 11): the ANCT/Insee tables say so, and the note shows it."""
    def brev(fichier: str) -> dict[str, float]:
        lines = (mirror / "insee-anct-qpv-2015" / "revenus" / fichier).read_text(encoding="utf-8-sig").splitlines()
        head = lines[0].split(";")
        rows = [dict(zip(head, line.split(";"))) for line in lines[1:]]
        return {r["CODGEO"]: float(r["BREV"].replace(",", ".")) for r in rows if r["CODGEO"] in QPV}

    revenus_2014, revenus_2018 = brev("REVN_2018.csv"), brev("REVN_2022.csv")  # tables published 4 years after
    assert revenus_2018["QP062036"] == pytest.approx(78.2)
    assert all(revenus_2018[q] > revenus_2014[q] for q in QPV)
    vue = Vue.ouvrir(store_file)
    note = ev.preparer(vue, CAPSO, list(QPV), None, str(DOSSIER))
    df = ev.ecarts(vue, note, "taux_bas_revenus_declares")
    cells = ev.cellules_indicateur(df, vue.glossaire["taux_bas_revenus_declares"]).set_index("Quartier")
    assert cells.loc["Saint-Exupéry - Léon Blum", "2018"] == "78,2\u00a0%"
    assert (cells["Évolution"] == "en hausse").all()
    vue.close()


def test_the_evaluation_note_shows_the_three_angles_with_the_seeds_figures(store_file, tmp_path):
    html = _html(store_file, tmp_path, "evaluation_cdv", qpv=list(QPV), evaluation=str(DOSSIER))
    for titre in ("La démarche d'évaluation", "Le bilan des actions du contrat", "La coopération",
                  "Les chiffres clés de la coopération", "Les questionnaires", "Les questions évaluatives",
                  "L'observation : les quartiers et leur agglomération", "Les actions structurantes",
                  "Question 2 : Comment les quartiers ont évolué ? Quelles améliorations ? Quelles fragilités ?"):
        assert titre in html, titre
    # The contracts and the bilan, each figure cited.
    assert "signé le 28 mai 2015" in html and "signé le 2 juin 2015" in html
    assert "Centre Historique (QP062058)" in html
    assert "398 actions ont été menées entre 2015 et 2021 dans le cadre des contrats de ville (AUD Saint-Omer, 2023, p. 8-9)" in html
    for ligne in ("Cohésion sociale", "280", "70 %", "Cadre de vie et renouvellement urbain", "31", "8 %",
                  "Développement économique et emploi", "85", "21 %", "Pilotage et ingénierie", "2", "1 %"):
        assert f">{ligne}<" in html, ligne
    assert "ni par année, ni par quartier" in html and html.count('id="fig-bilan"') == 1
    # Cooperation key figures, each with its source.
    assert re.search(r">2</span>.*réunions d'échanges menées avec les communes", html, flags=re.S)
    assert "13 participants en moyenne" in html and "participants au questionnaire destiné aux « porteurs de projets »" in html
    assert html.count("Source : AUD Saint-Omer, 2023, p. 10") == 4
    assert "Les réponses individuelles ne figurent pas dans les fichiers de l'observatoire" in html
    # Findings shown as the observatory's, the document's words; none invented where it prints none.
    assert "Texte rédigé par l'observatoire, repris tel quel" in html
    assert "Le taux d'emplois précaires a fortement augmenté dans les quartiers." in html
    assert "constats/cooperation-1.md" in html and "constats/actions_structurantes-&lt;n&gt;.md" in html
    # Observation: a table and a chart (quartier against agglomeration) for each of the 6 indicators.
    assert html.count('alt="Graphique en courbes : ') == 6
    assert html.count("et de l'agglomération CA du Pays de Saint-Omer en gris foncé") == 3
    assert "Taux de bas revenus déclarés : valeur de chaque quartier, par année" in html
    # Every document cited is listed.
    assert "L'observation au service des collectivités et de leurs politiques sociales" in html


def test_the_abs_notes_show_the_plan_dactions(store_file, tmp_path):
    html = _html(store_file, tmp_path, "abs_ccas", code_commune="62040", theme="emploi_revenus_mobilite",
                 plan_actions=str(PLAN), plan_actions_page="plan-actions-200069037.html")
    assert "Plan d'actions" in html and "Créer un réseau d'ambassadeurs des CCAS" in html
    assert "Action commune aux 3 CCAS (CCAS d'Arques, CCAS de Longuenesse, CCAS de Saint-Omer)" in html
    assert "Une nécessité de toucher les « publics hors radars »" in html and "à préciser (non déclaré dans le plan)" in html
    assert 'href="plan-actions-200069037.html"' in html and "aussi 2 autres actions pour ce CCAS" in html


def test_the_summary_note_lists_every_action(store_file, tmp_path):
    html = _html(store_file, tmp_path, "plan_actions", code_epci=CAPSO, plan_actions=str(PLAN))
    assert "Le plan compte 3 actions, dont 3 communes à tous les CCAS." in html
    for action in ("Améliorer la connaissance du réseau de structures et d'actions locales",
                   "Mener conjointement une enquête auprès de l'ensemble des bénéficiaires",
                   "Créer un réseau d'ambassadeurs des CCAS"):
        assert html.count(action) >= 2, action  # in the table and in the detail
    assert "CCAS de Longuenesse : 3 actions, toutes communes" in html and "Communication, Emploi, revenus et mobilité" in html


PARAMS = """\
observatoire: {{id: essai}}
notes:
  - modele: evaluation_cdv
    territoires: {{epci: "200069037"}}
    parametres:
      qpv: ["QP062036", "QP062037", "QP062058"]{questions}
    evaluation: {dossier}
  - modele: plan_actions
    territoires: {{communes: ["62040"]}}
    plan_actions: {plan}
"""


def _plan_erreur(con, tmp_path, dossier=DOSSIER, plan=PLAN, questions="") -> OsqError:
    params = tmp_path / "essai.yml"
    params.write_text(PARAMS.format(dossier=dossier, plan=plan, questions=questions), encoding="utf-8")
    with pytest.raises(OsqError) as exc:
        pl.plan(con, params)
    return exc.value


def test_a_wrong_input_stops_osq_check_and_osq_build_at_its_line(con, tmp_path):
    params = tmp_path / "ok.yml"
    params.write_text(PARAMS.format(dossier=DOSSIER, plan=PLAN, questions=""), encoding="utf-8")
    jobs = pl.plan(con, params).jobs
    assert [j.slug for j in jobs] == ["evaluation-200069037", "plan-actions-200069037"]
    # The build fingerprint of the evaluation note counts the files of its folder.
    assert jobs[0].parametres["evaluation"] == str(DOSSIER)
    # An unknown QPV in the inputs: the error names evaluation.yml and its line.
    copie = tmp_path / "evaluation"
    shutil.copytree(DOSSIER, copie)
    texte = (copie / "evaluation.yml").read_text(encoding="utf-8")
    (copie / "evaluation.yml").write_text(texte.replace("qpv: [QP062058]", "qpv: [QP062099]"), encoding="utf-8")
    e = _plan_erreur(con, tmp_path, dossier=copie)
    ligne = texte.splitlines().index("    qpv: [QP062058]") + 1
    assert (e.fichier, e.ligne) == (copie / "evaluation.yml", ligne) and "QP062099" in e.message
    # Observation questions in both files: located in the params file.
    (copie / "evaluation.yml").write_text(texte, encoding="utf-8")
    e = _plan_erreur(con, tmp_path, dossier=copie, questions="\n      questions: [{question: \"Q ?\", indicateurs: [taux_pauvrete]}]")
    assert e.fichier == tmp_path / "essai.yml" and e.ligne == 7 and "écrites deux fois" in e.message
    # A plan d'actions with a CCAS unknown to the store, then with one outside the note's intercommunality.
    autre = tmp_path / "plan.yml"
    texte = PLAN.read_text(encoding="utf-8")
    autre.write_text(texte.replace('"62765": "CCAS de Saint-Omer"', '"62999": "CCAS d\'essai"'), encoding="utf-8")
    e = _plan_erreur(con, tmp_path, plan=autre)
    assert (e.fichier, e.ligne) == (autre, texte.splitlines().index('  "62765": "CCAS de Saint-Omer"') + 1)
    assert "commune « 62999 » inconnue" in e.message
    dehors = sorted(territoires.communes_connues(con) - set(territoires.communes_of(con, "epci", CAPSO)))[0]
    autre.write_text(texte.replace('"62765": "CCAS de Saint-Omer"', f'"{dehors}": "CCAS d\'essai"'), encoding="utf-8")
    e = _plan_erreur(con, tmp_path, plan=autre)
    assert e.fichier == tmp_path / "essai.yml" and f"les CCAS {dehors} du plan" in e.message

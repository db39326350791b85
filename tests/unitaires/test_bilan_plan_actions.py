"""Counts and shares of the bilan des actions and of questionnaires (indicateurs.bilan), their cells, the open
answers as verbatims, and the ABS plan d'actions (catalogues.plan_actions, present.plan_actions).

Every table and file here is illustrative, written by the test: never shown as real figures.
"""

from __future__ import annotations

import math
import textwrap

import pandas as pd
import pytest

from osq_utils.batch import fingerprint as fp
from osq_utils.catalogues.evaluation import (
    DocumentSource,
    Questionnaire,
    QuestionQuestionnaire,
    Reference,
    TotalPilier,
)
from osq_utils.catalogues.plan_actions import load_plan_actions
from osq_utils.errors import OsqError
from osq_utils.indicateurs.bilan import croisement, frequences, par_pilier_actions, par_pilier_totaux, sous_seuil
from osq_utils.present import evaluation as rendu
from osq_utils.present import plan_actions as rendu_plan
from osq_utils.present import volets

NBSP, NNBSP = "\u00a0", "\u202f"
PILIERS = {"cohesion_sociale": "Cohésion sociale", "cadre_de_vie": "Cadre de vie", "emploi": "Emploi"}
REF = Reference(DocumentSource("doc", "Document d'essai", "Observatoire d'essai", 2023), "4")


def test_totals_give_shares_of_the_declared_counts():
    df = par_pilier_totaux([TotalPilier("cohesion_sociale", 30), TotalPilier("cadre_de_vie", 10)], PILIERS)
    assert list(df["pilier"]) == ["cohesion_sociale", "cadre_de_vie"]  # a pillar without a total is not invented
    assert list(df["part"]) == [75.0, 25.0] and list(df["total"]) == [40, 40]
    assert df["montant"].isna().all() and list(df["montants_connus"]) == [0, 0]
    cells = rendu.cellules_bilan(df)
    assert list(cells.columns) == ["Pilier", "Actions", "Part des actions"]  # no amount column without any amount
    assert cells.iloc[-1].tolist() == ["Total", "40", f"100{NBSP}%"]


def test_unknown_amounts_are_never_summed_as_zero():
    actions = pd.DataFrame({"annee": [2016, 2016, 2017], "pilier": ["cohesion_sociale"] * 2 + ["cadre_de_vie"],
                            "qpv": ["QP062036", "tous", "QP062036"], "montant": [1000.0, math.nan, math.nan],
                            "public_touche": [30.0, 12.0, math.nan]})
    df = par_pilier_actions(actions, PILIERS)
    cohesion, cadre, emploi = (df.iloc[i] for i in range(3))
    assert (cohesion["actions"], cohesion["montant"], cohesion["montants_connus"]) == (2, 1000.0, 1)
    assert cadre["actions"] == 1 and math.isnan(cadre["montant"]) and cadre["montants_connus"] == 0
    assert emploi["actions"] == 0 and emploi["part"] == 0.0  # every action is listed: a true zero
    cells = rendu.cellules_bilan(df).set_index("Pilier")
    assert cells.loc["Cohésion sociale", "Montant"] == f"1{NNBSP}000{NBSP}€ (connu pour 1 action sur 2)"
    assert cells.loc["Cadre de vie", "Montant"] == "nd" and cells.loc["Emploi", "Montant"] == "-"
    assert cells.loc["Cohésion sociale", "Public touché"] == "42"
    assert cells.loc["Total", "Montant"] == f"1{NNBSP}000{NBSP}€ (connu pour 1 action sur 3)"
    par_annee = croisement(actions, PILIERS, "annee")
    assert par_annee.loc["cohesion_sociale", 2016] == 2 and par_annee.loc["Total", "Total"] == 3
    par_qpv = croisement(actions, PILIERS, "qpv", ["QP062036", "tous"])
    assert par_qpv.loc["cadre_de_vie"].tolist() == [1, 0, 1] and par_qpv.loc["emploi"].tolist() == [0, 0, 0]


QUESTION = QuestionQuestionnaire("q1", "Le contrat a-t-il renforcé vos partenariats ?", "fermee",
                                 (("1", "Oui"), ("2", "Non"), ("3", "Ne sait pas")))


def test_a_frequency_table_shows_every_count_and_shares_of_those_who_answered():
    freq = frequences(pd.Series(["1", "2", "", "1", " 1 "]), QUESTION)
    assert freq["effectif"].tolist() == [3, 1, 0, 1] and freq["exprimes"].iloc[0] == 4
    assert freq["part"].iloc[:3].tolist() == [75.0, 25.0, 0.0] and math.isnan(freq["part"].iloc[3])
    cells = rendu.cellules_frequences(freq)
    assert cells.values.tolist() == [["Oui", "3", f"75{NBSP}%"], ["Non", "1", f"25{NBSP}%"],
                                     ["Ne sait pas", "0", f"0{NBSP}%"], ["Sans réponse", "1", "-"]]


def _questionnaire(n: int, seuil: int = 30, diffusion_ouverte: str = "partenaires") -> Questionnaire:
    reponses = pd.DataFrame({"repondant": [str(i) for i in range(1, n + 1)], "q1": ["1"] * n,
                             "q2": ["Karim Benali, directeur du centre social, nous a aidés."] + [""] * (n - 1)})
    questions = (QUESTION, QuestionQuestionnaire("q2", "Un exemple ?", "ouverte", theme="lien_social",
                                                 diffusion=diffusion_ouverte))
    return Questionnaire("essai", "Questionnaire d'essai", REF, None, "partenaire", "2022", "public", seuil,
                         questions, reponses, "essai.csv")


def test_a_caveat_under_the_documented_threshold_of_respondents():
    assert sous_seuil(22, 30) and not sous_seuil(30, 30) and not sous_seuil(None, 30)
    assert volets.prudence(_questionnaire(12)) == (
        "Moins de 30 répondants (12) : chaque répondant pèse plus de 8 points de pourcentage ; lisez d'abord les "
        "effectifs, les parts sont fragiles.")
    assert volets.prudence(_questionnaire(40)) is None
    assert volets.prudence(_questionnaire(12, seuil=10)) is None  # a questionnaire may document its own threshold


def test_open_answers_are_pseudonymised_and_kept_to_their_diffusion_level():
    q = _questionnaire(3)
    public = volets.verbatims_reponses(q, "epci", "200069037", "public")
    assert public == {"q2": "Les réponses à cette question sont réservées au site des partenaires.\n"}
    partenaires = volets.verbatims_reponses(q, "epci", "200069037", "partenaires")["q2"]
    assert "Karim" not in partenaires and "Benali" not in partenaires
    assert "Le directeur du centre social, nous a aidés." in partenaires
    assert "Questionnaire d'essai" in partenaires  # the verbatim says how it was collected


PLAN = """\
documents:
  doc: {titre: "Document d'essai", editeur: "Observatoire d'essai", annee: 2023}
ccas:
  "62040": "CCAS d'Arques"
  "62765": "CCAS de Saint-Omer"
themes:
  communication: Communication
actions:
  - action: "Créer un annuaire des structures"
    ccas: commun
    themes: [communication]
    enjeux: ["Une communication à harmoniser."]
    source: {document: doc, page: "7"}
  - action: "Permanence d'accès aux droits"
    ccas: ["62765"]
    themes: [sante, communication]
    enjeux: ["Un non-recours aux droits."]
    partenaires: [CPAM]
    calendrier: "2024"
"""
THEMES = {"sante": "Santé", "emploi_revenus_mobilite": "Emploi, revenus et mobilité"}


def _plan(tmp_path, texte: str = PLAN, existe=lambda code: code in ("62040", "62765")):
    path = tmp_path / "plan.yml"
    path.write_text(textwrap.dedent(texte), encoding="utf-8")
    return load_plan_actions(path, THEMES, existe)


def test_plan_errors_are_located(tmp_path):
    cases = [
        (PLAN.replace('ccas: ["62765"]', 'ccas: ["62525"]'), 15, "CCAS « 62525 » inconnu du plan"),
        (PLAN.replace("themes: [sante, communication]", "themes: [logement, communication]"), 16,
         "thème « logement » inconnu"),
        (PLAN.replace('  "62040": "CCAS d\'Arques"', "  62040: \"CCAS d'Arques\""), 4, "sans guillemets"),
        (PLAN.replace('    enjeux: ["Une communication à harmoniser."]\n', ""), 9, "champ « enjeux » manquant"),
        (PLAN.replace('source: {document: doc, page: "7"}', 'source: {document: aud}'), 13, "document « aud » non déclaré"),
    ]
    for texte, ligne, message in cases:
        with pytest.raises(OsqError) as exc:
            _plan(tmp_path, texte)
        assert (exc.value.ligne, message in exc.value.message) == (ligne, True), (message, exc.value)
    with pytest.raises(OsqError) as exc:
        _plan(tmp_path, existe=lambda code: code == "62040")
    assert exc.value.ligne == 5 and "commune « 62765 » inconnue" in exc.value.message


def test_each_abs_note_shows_its_themes_actions_and_says_what_is_not_declared(tmp_path):
    plan = _plan(tmp_path)
    assert [a.numero for a in plan.pour(ccas="62040")] == [1] and [a.numero for a in plan.pour("62765", "sante")] == [2]
    sante = rendu_plan.section_abs(plan, "62765", "Saint-Omer", "sante", "Santé", page="plan-actions-200069037.html")
    assert "compte 1 action qui répond aux enjeux du thème « Santé » pour le CCAS de Saint-Omer" in sante
    assert "### Action 2 : Permanence d'accès aux droits" in sante and "*CCAS de Saint-Omer.*" in sante
    assert "- **Partenaires** : CPAM" in sante and "- **Calendrier** : 2024" in sante
    assert f"- **Indicateur de suivi** : {rendu_plan.A_PRECISER}" in sante
    assert "aussi 1 autre action pour ce CCAS, sur d'autres thèmes (Communication)" in sante
    assert "[note de synthèse du plan d'actions](plan-actions-200069037.html)" in sante
    arques = rendu_plan.section_abs(plan, "62040", "Arques", "sante", "Santé")
    assert arques.startswith("Aucune action du plan ne répond encore aux enjeux du thème « Santé » pour le CCAS d'Arques")
    commune = rendu_plan.fiche(plan.actions[0], plan)
    assert "*Action commune aux 2 CCAS (CCAS d'Arques, CCAS de Saint-Omer).*" in commune
    assert f"- **Partenaires** : {rendu_plan.A_PRECISER}" in commune
    assert f"Source{NBSP}: Observatoire d'essai, 2023, p.{NBSP}7." in commune
    assert rendu_plan.cellules_synthese(plan).values.tolist() == [
        ["1", "Créer un annuaire des structures", "Commune à tous", "Communication"],
        ["2", "Permanence d'accès aux droits", "CCAS de Saint-Omer", "Santé, Communication"]]
    assert "Aucun plan d'actions n'est encore déclaré" in rendu_plan.section_abs(None, "62040", "Arques", "sante", "Santé")


def test_an_evaluation_folder_counts_in_its_notes_fingerprint(tmp_path):
    dossier = tmp_path / "evaluation"
    (dossier / "constats").mkdir(parents=True)
    (dossier / "evaluation.yml").write_text("documents: {}\n", encoding="utf-8")
    first = fp.job_fingerprint("t", {"evaluation": str(dossier), "enjeux": "texte\nsur deux lignes"}, "c", "d")
    (dossier / "constats" / "observation-1.md").write_text("Un constat.\n", encoding="utf-8")
    assert fp.job_fingerprint("t", {"evaluation": str(dossier), "enjeux": "texte\nsur deux lignes"}, "c", "d") != first


def test_an_action_structurante_shows_its_declared_activity_with_counts(tmp_path):
    from osq_utils.catalogues.evaluation import load_evaluation

    dossier = tmp_path / "e"
    (dossier / "constats").mkdir(parents=True)
    (dossier / "evaluation.yml").write_text(textwrap.dedent("""\
        documents:
          doc: {titre: "Document d'essai", editeur: "Observatoire d'essai", annee: 2023}
        actions_structurantes:
          actions:
            - intitule: "Médiation d'essai"
              piliers: [cohesion_sociale]
              qpv: [QP062036]
              source: {document: doc, page: "3"}
              activite:
                - {libelle: "personnes suivies", valeur: 120, unite: personnes, annee: 2021, source: {document: doc, page: "4"}}
                - {libelle: "part orientée vers un emploi", valeur: 12.5, unite: "%", effectif: 120, source: {document: doc}}
            - intitule: "Action seulement nommée"
              source: {document: doc, page: "3"}
        """), encoding="utf-8")
    (dossier / "constats" / "actions_structurantes-1.md").write_text("# Bilan\n\nUn constat.\n", encoding="utf-8")
    entrees = load_evaluation(dossier, {"QP062036": "Saint-Exupéry - Léon Blum"})
    texte = volets.actions_structurantes(entrees, "params/essai/evaluation")
    assert "### 1. Médiation d'essai" in texte and "Pilier : Cohésion sociale ; quartier : QP062036." in texte
    assert f"- personnes suivies (2021) : **120 personnes** (Observatoire d'essai, 2023, p.{NBSP}4)" in texte
    assert f"- part orientée vers un emploi : **12,5{NBSP}% (sur 120)**" in texte
    assert "##### Bilan" in texte and "Un constat." in texte  # the analyst's heading under the note's own
    assert "Les autres actions étudiées sont nommées par le document de l'observatoire" in texte
    assert "- Action seulement nommée" in texte and "`constats/actions_structurantes-<n>.md` du dossier" in texte


def test_a_questionnaires_results_show_counts_with_the_caveat_and_respect_the_site(tmp_path):
    from great_tables import GT
    from IPython.display import Markdown

    from osq_utils.indicateurs import Territoire

    q = _questionnaire(12)
    epci = Territoire("epci", "200069037", "CA d'essai")
    public = rendu.elements_questionnaire(q, "public", epci)
    assert isinstance(public[1], Markdown) and "Peu de répondants" in public[1].data
    table = [e for e in public if isinstance(e, GT)]
    assert len(table) == 1
    html = table[0].as_raw_html()
    assert "n = 12 réponses" in html and ">12<" in html and f"100{NBSP}%" in html and "Sans réponse" in html
    assert "Moins de 30 répondants (12)" in html
    assert "réservées au site des partenaires" in public[-1].data
    reserve = _questionnaire(12)
    reserve = Questionnaire(**{**reserve.__dict__, "diffusion": "partenaires"})
    assert len(rendu.elements_questionnaire(reserve, "public", epci)) == 1  # the respondents' count only
    assert "réservés au site des partenaires" in rendu.elements_questionnaire(reserve, "public", epci)[0].data
    assert len(rendu.elements_questionnaire(reserve, "partenaires", epci)) == 4


def test_the_chart_never_bridges_a_missing_year_and_lists_it():
    from osq_utils.catalogues.glossaire import load_glossaire

    ind = load_glossaire()["taux_pauvrete"]
    donnees = pd.DataFrame({
        "qpv": ["QP062036"] * 4, "quartier": ["Quartier d'essai"] * 4, "annee": [2016, 2017, 2018, 2019],
        "valeur": [40.0, math.nan, 42.0, 41.0], "statut": ["ok", "secret", "ok", "ok"],
        "valeur_reference": [18.0, math.nan, math.nan, math.nan], "statut_reference": ["ok", "absent", "absent", "absent"]})
    fig = rendu.graphique_quartiers(donnees, ind, agglomeration="CA d'essai", source_note="Source : essai.")
    lines = fig.axes[0].get_lines()
    assert [list(line.get_xdata()) for line in lines] == [[2016], [2018, 2019], [2016]]
    caption = " ".join(" ".join(t.get_text() for t in fig.texts).split())  # the caption is wrapped
    assert "Quartier d'essai : 2017" in caption and "CA d'essai : 2017 à 2019" in caption

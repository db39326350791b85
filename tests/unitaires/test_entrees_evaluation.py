"""The observatory's evaluation inputs (catalogues.evaluation): every input file refuses what is wrong with an
error naming the file, the line, the column and the fix.

All inputs here are illustrative, written by the test: they are never shown as real figures.
"""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from osq_utils.catalogues.evaluation import load_evaluation
from osq_utils.errors import OsqError

QPVS = {"QP062036": "Saint-Exupéry - Léon Blum", "QP062037": "Quai Du commerce - Saint Sépulcre"}

# Illustrative evaluation file: a document, the national pillars, one questionnaire with an answers file.
BASE = """\
documents:
  doc: {titre: "Document d'essai", editeur: "Observatoire d'essai", annee: 2023}
cooperation:
  questions: ["Question de coopération ?"]
"""


def _ecrire(dossier, texte: str, fichiers: dict[str, str] | None = None):
    """An evaluation folder: evaluation.yml and the other files, by path relative to the folder."""
    dossier.mkdir(parents=True, exist_ok=True)
    (dossier / "evaluation.yml").write_text(texte, encoding="utf-8")
    for nom, contenu in (fichiers or {}).items():
        path = dossier / nom
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(contenu), encoding="utf-8")
    return dossier


def _plus(*blocs: str) -> str:
    """BASE followed by YAML blocks written indented in the test."""
    return BASE + "".join(textwrap.dedent(b) for b in blocs)


def _erreur(dossier, **kw) -> OsqError:
    with pytest.raises(OsqError) as exc:
        load_evaluation(dossier, QPVS, **kw)
    return exc.value


# --- The actions of the contract, one row per action (CSV) ----------------------------------------

BILAN_FICHIER = BASE + """\
bilan:
  fichier: actions.csv
  periode: [2015, 2021]
  source: {document: doc, page: "9"}
"""


def test_actions_file_unknown_pillar_is_located(tmp_path):
    d = _ecrire(tmp_path / "e", BILAN_FICHIER, {"actions.csv": """\
        annee;pilier;qpv;porteur;intitule;montant;public_touche
        2016;cohesion_sociale;QP062036;Centre social;Atelier parents;1 200,50;35
        2017;emploi;tous;Mission locale;Permanence;;
        """})
    e = _erreur(d)
    assert (e.fichier.name, e.ligne, e.colonne) == ("actions.csv", 3, "pilier")
    assert "pilier « emploi » inconnu" in e.message and "cohesion_sociale" in e.correction


def test_actions_file_unknown_qpv_is_located(tmp_path):
    d = _ecrire(tmp_path / "e", BILAN_FICHIER, {"actions.csv": """\
        annee;pilier;qpv;intitule
        2016;cohesion_sociale;QP062036;Atelier parents
        2016;cadre_de_vie;QP062099;Jardins partagés
        """})
    e = _erreur(d)
    assert (e.ligne, e.colonne) == (3, "qpv")
    assert "QP062099" in e.message and "QP062036 (Saint-Exupéry - Léon Blum)" in e.correction and "tous" in e.correction


def test_actions_file_refuses_text_amount_unknown_column_and_year_out_of_period(tmp_path):
    d = _ecrire(tmp_path / "a", BILAN_FICHIER, {"actions.csv": "annee;pilier;qpv;intitule;montant\n"
                                                            "2016;cohesion_sociale;tous;Atelier;environ 500\n"})
    e = _erreur(d)
    assert (e.ligne, e.colonne) == (2, "montant") and "n'est pas un nombre" in e.message and "jamais 0" in e.correction
    d = _ecrire(tmp_path / "b", BILAN_FICHIER, {"actions.csv": "annee;pilier;qpv;intitule;montnat\n2016;cohesion_sociale;tous;A;1\n"})
    e = _erreur(d)
    assert e.ligne == 1 and "montnat" in e.message and "montant" in e.message
    d = _ecrire(tmp_path / "c", BILAN_FICHIER, {"actions.csv": "annee;pilier;qpv;intitule\n2023;cohesion_sociale;tous;A\n"})
    assert "hors de la période 2015-2021" in _erreur(d).message


def test_actions_file_with_commas_says_which_separator(tmp_path):
    d = _ecrire(tmp_path / "e", BILAN_FICHIER, {"actions.csv": "annee,pilier,qpv,intitule\n2016,cohesion_sociale,tous,A\n"})
    e = _erreur(d)
    assert (e.ligne, e.colonne) == (1, 1) and "virgule" in e.message and "points-virgules" in e.correction


def test_actions_file_blank_amount_stays_unknown(tmp_path):
    d = _ecrire(tmp_path / "e", BILAN_FICHIER, {"actions.csv": """\
        annee;pilier;qpv;intitule;montant;public_touche
        2016;cohesion_sociale;QP062036;Atelier parents;1 200,50;35

        2017;cadre_de_vie;tous;Jardins;;
        """})
    actions = load_evaluation(d, QPVS).bilan.actions
    assert list(actions["ligne"]) == [2, 4]  # the blank line keeps the numbering of the file
    assert actions["montant"].iloc[0] == pytest.approx(1200.5) and pd.isna(actions["montant"].iloc[1])
    assert pd.isna(actions["public_touche"].iloc[1]) and list(actions["qpv"]) == ["QP062036", "tous"]


# --- Declared totals by pillar (YAML) ---------------------------------------------------------------

TOTAUX = BASE + """\
bilan:
  periode: [2015, 2021]
  source: {document: doc, page: "9"}
  totaux:
    - {pilier: cohesion_sociale, actions: 30, part_publiee: 75}
    - {pilier: cadre_de_vie, actions: 10, part_publiee: 25}
"""


def test_totals_unknown_pillar_is_located(tmp_path):
    d = _ecrire(tmp_path / "e", TOTAUX.replace("pilier: cadre_de_vie", "pilier: cadre"))
    e = _erreur(d)
    assert (e.fichier.name, e.ligne) == ("evaluation.yml", 10) and "pilier « cadre » inconnu" in e.message


def test_a_percentage_without_its_count_is_refused(tmp_path):
    d = _ecrire(tmp_path / "e", TOTAUX.replace("{pilier: cadre_de_vie, actions: 10, part_publiee: 25}",
                                               "{pilier: cadre_de_vie, part_publiee: 25}"))
    e = _erreur(d)
    assert e.ligne == 10 and "part publiée sans le nombre d'actions" in e.message
    assert "jamais sans son effectif" in e.correction


def test_a_printed_share_must_match_the_counts(tmp_path):
    # 10 of 40 actions is 25 %: a printed 30 % is a copying mistake.
    d = _ecrire(tmp_path / "e", TOTAUX.replace("part_publiee: 25", "part_publiee: 30"))
    e = _erreur(d)
    assert e.ligne == 10 and "30 % incohérente" in e.message and "10 actions sur 40, soit 25,0 %" in e.message
    ok = load_evaluation(_ecrire(tmp_path / "ok", TOTAUX), QPVS).bilan
    assert [(t.pilier, t.actions, t.part_publiee) for t in ok.totaux] == [("cohesion_sociale", 30, 75.0),
                                                                        ("cadre_de_vie", 10, 25.0)]


def test_an_activity_share_needs_its_count(tmp_path):
    texte = _plus("""\
        actions_structurantes:
          actions:
            - intitule: "Médiation d'essai"
              source: {document: doc}
              activite:
                - {libelle: "part des personnes orientées", valeur: 40, unite: "%", source: {document: doc}}
        """)
    e = _erreur(_ecrire(tmp_path / "e", texte))
    assert e.ligne == 10 and "pourcentage sans son effectif" in e.message and "effectif:" in e.correction
    ok = _ecrire(tmp_path / "ok", texte.replace('unite: "%",', 'unite: "%", effectif: 25,'))
    chiffre = load_evaluation(ok, QPVS).actions_structurantes[0].activite[0]
    assert (chiffre.valeur, chiffre.unite, chiffre.effectif) == (40.0, "%", 25.0)


def _travaux(ligne: str) -> str:
    """BASE with one piece of cooperation work (under cooperation:, line 6)."""
    return BASE + "  travaux:\n    - " + ligne + "\n"


def test_every_figure_cites_a_declared_document(tmp_path):
    e = _erreur(_ecrire(tmp_path / "e", _travaux('{type: atelier, intitule: "ateliers", nombre: 3, '
                                                  'source: {document: autre}}')))
    assert e.ligne == 6 and "document « autre » non déclaré" in e.message and "doc" in e.correction
    e = _erreur(_ecrire(tmp_path / "f", _travaux('{type: atelier, intitule: "ateliers", nombre: 3}')))
    assert e.ligne == 6 and "source manquante" in e.message


def test_cooperation_work_unknown_qpv_type_and_count(tmp_path):
    e = _erreur(_ecrire(tmp_path / "e", _travaux('{type: conseil_citoyen, intitule: "conseil", participants: 6, '
                                                  'qpv: [QP062037, QP062098], source: {document: doc}}')))
    assert e.ligne == 6 and "quartier « QP062098 » inconnu" in e.message
    e = _erreur(_ecrire(tmp_path / "f", _travaux('{type: seminaire, intitule: "séminaire", nombre: 1, '
                                                  'source: {document: doc}}')))
    assert "type « seminaire » inconnu" in e.message
    e = _erreur(_ecrire(tmp_path / "g", _travaux('{type: atelier, intitule: "ateliers", nombre: "trois", '
                                                  'source: {document: doc}}')))
    assert "« trois » n'est pas un effectif" in e.message and "jamais 0" in e.correction
    ok = load_evaluation(_ecrire(tmp_path / "ok", _travaux(
        '{type: atelier, intitule: "ateliers", nombre: 3, participants_moyenne: 13, source: {document: doc, page: "10"}}')),
        QPVS)
    t = ok.travaux[0]
    assert (t.nombre, t.participants_moyenne, t.source.courte()) == (3, 13.0, "Observatoire d'essai, 2023, p.\u00a010")


# --- Questionnaire answers, one row per respondent ---------------------------------------------------

QUESTIONNAIRE = BASE + """\
questionnaires:
  - id: porteurs
    intitule: "Questionnaire d'essai"
    repondants: 3
    locuteur: partenaire
    source: {document: doc}
    reponses: questionnaires/porteurs.csv
    questions:
      - {id: q1, texte: "Le contrat a-t-il renforcé vos partenariats ?", type: fermee, modalites: {"1": Oui, "2": Non}}
      - {id: q2, texte: "Un exemple ?", type: ouverte, theme: lien_social, diffusion: partenaires}
"""


def test_a_respondent_row_with_an_unknown_answer_code_is_located(tmp_path):
    d = _ecrire(tmp_path / "e", QUESTIONNAIRE, {"questionnaires/porteurs.csv": """\
        repondant;q1;q2
        1;1;Des rencontres plus régulières
        2;3;
        3;;Rien
        """})
    e = _erreur(d)
    assert (e.fichier.name, e.ligne, e.colonne) == ("porteurs.csv", 3, "q1")
    assert "réponse « 3 » inconnue pour la question « q1 »" in e.message
    assert "1 (Oui), 2 (Non)" in e.correction and "vide" in e.correction


def test_a_respondent_row_in_excel_names_the_sheet_row_and_column_letter(tmp_path):
    d = _ecrire(tmp_path / "e", QUESTIONNAIRE.replace("porteurs.csv", "porteurs.xlsx"))
    (d / "questionnaires").mkdir()
    pd.DataFrame({"repondant": [1, 2, 3], "qpv": ["QP062036", None, None], "q1": [1, 2, 9],
                  "q2": ["", "", ""]}).to_excel(d / "questionnaires" / "porteurs.xlsx", index=False)
    e = _erreur(d)
    assert (e.ligne, e.colonne) == (4, "C (q1)") and "réponse « 9 » inconnue" in e.message


def test_a_respondent_with_an_unknown_qpv_and_a_duplicated_respondent(tmp_path):
    d = _ecrire(tmp_path / "e", QUESTIONNAIRE, {"questionnaires/porteurs.csv": """\
        repondant;qpv;q1;q2
        1;QP062036;1;
        2;QP062000;2;
        3;;1;
        """})
    e = _erreur(d)
    assert (e.ligne, e.colonne) == (3, "qpv") and "QP062000" in e.message
    d = _ecrire(tmp_path / "f", QUESTIONNAIRE, {"questionnaires/porteurs.csv": "repondant;q1;q2\n1;1;\n1;2;\n3;1;\n"})
    e = _erreur(d)
    assert e.ligne == 3 and "répondant « 1 » en double (déjà ligne 2)" in e.message


def test_declared_respondents_must_match_the_answers_file(tmp_path):
    d = _ecrire(tmp_path / "e", QUESTIONNAIRE, {"questionnaires/porteurs.csv": "repondant;q1;q2\n1;1;\n2;2;\n"})
    e = _erreur(d)
    assert e.fichier.name == "evaluation.yml" and e.ligne == 8 and "3 répondants déclarés, 2 lignes" in e.message


def test_an_open_question_needs_a_verbatim_theme_and_a_diffusion_level(tmp_path):
    d = _ecrire(tmp_path / "e", QUESTIONNAIRE.replace(", diffusion: partenaires", ""),
                {"questionnaires/porteurs.csv": "repondant;q1;q2\n1;1;\n2;2;\n3;1;\n"})
    e = _erreur(d)
    assert e.ligne == 14 and "niveau de diffusion des réponses absent" in e.message
    d = _ecrire(tmp_path / "f", QUESTIONNAIRE.replace("theme: lien_social", "theme: partenariat"),
                {"questionnaires/porteurs.csv": "repondant;q1;q2\n1;1;\n2;2;\n3;1;\n"})
    assert "thème « partenariat » inconnu" in _erreur(d).message


def test_answers_are_read_as_text_with_their_lines(tmp_path):
    d = _ecrire(tmp_path / "e", QUESTIONNAIRE, {"questionnaires/porteurs.csv": "repondant;q1;q2\n1;1;Oui\n2;2;\n3;;Non\n"})
    q = load_evaluation(d, QPVS).questionnaire("porteurs")
    assert q.effectif == 3 and list(q.reponses["q1"]) == ["1", "2", ""] and list(q.reponses["ligne"]) == [2, 3, 4]


# --- Findings, evaluation folder ---------------------------------------------------------------------


def test_findings_files_belong_to_a_question(tmp_path):
    d = _ecrire(tmp_path / "e", BASE, {"constats/cooperation-1.md": "Constat.\n"})
    entrees = load_evaluation(d, QPVS)
    assert entrees.questions["cooperation"][0].constats == "Constat."
    (d / "constats" / "cooperation-2.md").write_text("Sans question.\n", encoding="utf-8")
    e = _erreur(d)
    assert e.fichier.name == "cooperation-2.md" and "cooperation-1.md" in e.correction
    # Observation findings are numbered after the params' questions when evaluation.yml has none.
    (d / "constats" / "cooperation-2.md").rename(d / "constats" / "observation-2.md")
    assert load_evaluation(d, QPVS, questions_parametres=2).constats("observation", 2)[0] == "Sans question."
    assert "observation-2.md" in _erreur(d, questions_parametres=1).message


def test_unknown_key_and_missing_file(tmp_path):
    e = _erreur(_ecrire(tmp_path / "e", BASE + "bilans: {}\n"))
    assert e.ligne == 5 and "champ « bilans » inconnu" in e.message and "bilan" in e.correction
    e = _erreur(tmp_path / "absent")
    assert "introuvable" in e.message and "evaluation.yml" in e.correction

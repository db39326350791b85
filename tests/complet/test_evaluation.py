
"""Évaluation du contrat de ville: gaps QPV / agglomeration, their evolution, the questions, the note."""

from __future__ import annotations

import pytest

from osq_utils.errors import OsqError
from osq_utils.notes import evaluation as ev

CAPSO, QPV_CAPSO = "200069037", ["QP062036", "QP062037"]
SEM, QPV_SEM = "244200770", ["QP042013", "QP042015"]  # Montreynaud, Quartiers Sud-Est (Saint-Étienne, 42218)

QUESTIONS = [
    {"question": "La politique de la ville a-t-elle permis de réduire les écarts entre les quartiers et l'agglomération ?",
     "indicateurs": ["taux_pauvrete", "revenu_median", "part_prestations_sociales"]},
    {"question": "L'accès à l'emploi des habitants des quartiers s'est-il amélioré ?", "indicateurs": ["taux_emploi"]},
]


def _row(df, qpv, annee):
    return df[(df["qpv"] == qpv) & (df["annee"] == annee)].iloc[0]


# --- Gaps against published values ---------------------------------------------------------


def test_saint_etienne_metropole(vue):
    note = ev.preparer(vue, SEM, QPV_SEM, QUESTIONS)
    assert [t.libelle for t in note.qpvs] == ["Montreynaud", "Quartiers Sud-Est"]
    assert [t.code for t in note.communes] == ["42218"]
    df = ev.ecarts(vue, note, "revenu_median")
    r = _row(df, "QP042013", 2019)
    # data_filo19_qp_revdis.csv DISP_MED_A19 = 13 480 for QP042013; FILO2019_DISP_EPCI.csv Q219 = 20250 for 244200770
    assert (r["valeur"], r["valeur_reference"]) == (pytest.approx(13480), pytest.approx(20250))
    pauvrete = ev.ecarts(vue, note, "taux_pauvrete")
    # filosofi_epci_2016.csv TP6016 = 18.2 for 244200770; data_filo16 tp60_a16 = 48 for QP042013
    assert _row(pauvrete, "QP042013", 2016)["ecart"] == pytest.approx(29.8)


# --- Wording ------------------------------------------------------------------------------------


@pytest.mark.parametrize("code_epci, qpv, questions, expected", [
    ("200069037", ["QP062099"], QUESTIONS, "paramètre « qpv » : quartier prioritaire « QP062099 » inconnu"),
    ("200069037", ["QP042013"], QUESTIONS, "« QP042013 » (Montreynaud) n'est pas dans l'intercommunalité"),
    ("200069037", ["QN04213M"], QUESTIONS, "géographie 2024"),
    ("999999999", QPV_CAPSO, QUESTIONS, "intercommunalité « 999999999 » inconnue"),
    ("200069037", QPV_CAPSO, [{"question": "Q ?", "indicateurs": ["taux_chomage"]}],
     "paramètre « questions » : question n° 1 : indicateur « taux_chomage » absent du glossaire"),
    ("200069037", QPV_CAPSO, [QUESTIONS[0], {"question": "  ", "indicateurs": ["taux_emploi"]}],
     "paramètre « questions » : question n° 2 : texte de la question manquant"),
    ("200069037", QPV_CAPSO, [{"question": "Q ?", "indicateurs": ["medecins_generalistes"]}],
     "n'est pas publié par quartier prioritaire"),
    ("200069037", QPV_CAPSO, [], "aucune question évaluative"),
])
def test_parameter_errors(vue, code_epci, qpv, questions, expected):
    with pytest.raises(OsqError) as err:
        ev.preparer(vue, code_epci, qpv, questions)
    assert expected in str(err.value)
    assert "Correction" in str(err.value)


def test_qpv_outside_epci_names_its_epci(vue):
    with pytest.raises(OsqError, match=r"il est dans : Saint-Étienne Métropole \(244200770\)"):
        ev.preparer(vue, CAPSO, ["QP062036", "QP042013"], QUESTIONS)


# --- The note --------------------------------------------------------------------------------------


def test_plan_locates_a_qpv_outside_the_epci(con, tmp_path):
    # The check `osq check` and `osq build` run before any note: the QPV's line in the params file.
    from osq_utils.batch.plan import plan

    path = tmp_path / "obs.yml"
    path.write_text('observatoire:\n  id: essai\nnotes:\n  - modele: evaluation_cdv\n    territoires: {epci: "200069037"}\n'
                    '    parametres:\n      qpv: ["QP062036", "QP042013"]\n', encoding="utf-8")
    with pytest.raises(OsqError) as err:
        plan(con, path)
    assert "« QP042013 » (Montreynaud) n'est pas dans l'intercommunalité" in str(err.value)
    assert "il est dans : Saint-Étienne Métropole (244200770)" in str(err.value)
    assert (err.value.ligne, err.value.colonne) == (7, 25)

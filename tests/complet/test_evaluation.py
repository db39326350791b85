
"""Évaluation du contrat de ville: gaps QPV / agglomeration, their evolution, the questions, the note."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.errors import OsqError
from osq_utils.indicateurs.ecarts import SUIVIES, evolution_ecart, lecture_ensemble
from osq_utils.notes import evaluation as ev
from osq_utils.present import fr

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


# --- The answer of the figures, on the CAPSO's evaluation ------------------------------------------

QPV_CAPSO_EVALUATION = ["QP062036", "QP062037", "QP062058"]  # params/capso.yml
DIRECTIONS = {"reduit": "s'est réduit", "creuse": "s'est creusé", "inverse": "s'est inversé"}
MOTS_PUCES = {"reduit": "l'écart s'est réduit", "creuse": "l'écart s'est creusé", "stable": "l'écart est resté stable",
              "inverse": "l'écart s'est inversé"}


def _clause(answer: str, direction: str) -> str | None:
    """The words after « s'est réduit » (or creusé, inversé) up to the next direction, the stable count or the end."""
    m = re.search(re.escape(DIRECTIONS[direction]) + r" (.*?)(?:, (?:et )?s'est | ; il est resté|\. Les chiffres)",
                  answer)
    return m.group(1) if m else None


def _tendances_puces(details: str, question, glossaire) -> dict[tuple[str, str], str]:
    """(indicator, quartier) -> tendance, read back from the bullets of reponse_question()."""
    by_label = {f"- **{glossaire[c].libelle}** :": c for c in question.indicateurs}
    out, code = {}, None
    for line in details.splitlines():
        if line.startswith("- **"):
            code = by_label.get(line)  # None for an indicator without agglomeration figure
        elif line.startswith("    - ") and code is not None:
            nom, _, text = line[6:].partition(" : ")
            found = [t for t, mots in MOTS_PUCES.items() if mots in text]
            out[(code, nom)] = found[0] if found else "non_suivi"
    return out


def test_capso_answer_names_the_cases_of_the_gaps(vue, glossaire, catalogue):
    dossier = str(PROJECT_ROOT / "params" / "capso" / "evaluation")
    note = ev.preparer(vue, CAPSO, QPV_CAPSO_EVALUATION, None, dossier)
    assert len(note.questions) == 2
    ctx = SimpleNamespace(glossaire=glossaire, glossaire_href=None, catalogue=catalogue)
    for q in note.questions:
        donnees = {code: ev.ecarts(vue, note, code) for code in q.indicateurs}
        answer = ev.reponse_chiffres(q, donnees, glossaire)
        details = ev.reponse_question(q, donnees, glossaire, apres_reponse=True)
        # The section of the figures opens with the answer, then the counted summary and the bullets.
        assert f"#### Ce que montrent les chiffres\n\n{answer}{details}" in ev.question_observation(ctx, note, q, donnees).texte
        # The cases, computed here with evolution_ecart, one per indicator × QPV with an agglomeration figure.
        attendu: dict[str, dict[str, list[str]]] = {}
        tendances = {}
        for code in q.indicateurs:
            ind = glossaire[code]
            if ev.sans_reference(ind):
                continue
            for _, part in donnees[code].groupby("qpv", sort=False):
                tendance = evolution_ecart(part, ind).tendance
                tendances[(code, part["quartier"].iloc[0])] = tendance
                attendu.setdefault(tendance, {}).setdefault(code, []).append(part["quartier"].iloc[0])
        # The bullets say the same, case by case.
        puces = _tendances_puces(details, q, glossaire)
        assert puces == {k: t if t in MOTS_PUCES else "non_suivi" for k, t in tendances.items()}
        suivis = sum(t in SUIVIES for t in tendances.values())
        if not suivis:
            assert "ne permettent pas de répondre à cette question" in answer
            assert not any(_clause(answer, d) for d in DIRECTIONS) and "tendance" not in answer
            continue
        # Each direction names exactly its cases, indicator by indicator (or counts them beyond three).
        for direction in DIRECTIONS:
            clause, cas = _clause(answer, direction), attendu.get(direction, {})
            if not cas:
                assert clause is None, (direction, answer)
                continue
            assert clause is not None, (direction, answer)
            if sum(map(len, cas.values())) <= ev.CAS_NOMMES:
                assert clause == fr.liste([
                    f"pour {ev.nom_indicateur(glossaire[code])} "
                    + fr.liste([fr.a_nom(fr.nom_territoire(n, 'qpv')) for n in noms]) for code, noms in cas.items()])
            else:  # counts by indicator; an indicator with a single case names it
                for code, noms in cas.items():
                    nom = ev.nom_indicateur(glossaire[code])
                    if len(noms) == 1:
                        assert f"pour {nom} {fr.a_nom(fr.nom_territoire(noms[0], 'qpv'))}" in clause
                    else:
                        tous = "les " if len(noms) == len(note.qpvs) else ""
                        assert f"pour {nom} dans {tous}{ev.en_lettres(len(noms))} quartiers" in clause
                named = [n for noms in cas.values() if len(noms) == 1 for n in noms]
                assert not any(t.libelle in clause for t in note.qpvs if t.libelle not in named)
        stables = sum(map(len, attendu.get("stable", {}).values()))
        assert (f"il est resté stable dans {ev.en_lettres(stables)} cas" in answer) == (stables > 0 and any(
            d in attendu for d in DIRECTIONS))
        # One overall reading, by the documented rule.
        lecture = lecture_ensemble(tendances.values())
        phrases = {"rapprochement": "dans le sens d'un rapprochement", "eloignement": "dans le sens d'un éloignement",
                   "maintien": "dans le sens d'un maintien", "sans_tendance": "ne dessinent pas de tendance commune"}
        assert [p for p in phrases.values() if p in answer] == [phrases[lecture]]
        assert f"sur {suivis} écart" in details
        assert "cause" not in answer and "grâce" not in answer  # the caution that follows says it once
        # Counts in letters: no digit beside a quartier's name but those of the indicators' labels.
        sans_libelles = answer
        for code in q.indicateurs:
            sans_libelles = sans_libelles.replace(ev.nom_indicateur(glossaire[code]), "")
        assert not re.search(r"\d", sans_libelles), answer


"""Évaluation du contrat de ville: gaps QPV / agglomeration, their evolution, the questions, the note."""

from __future__ import annotations

import pandas as pd

from osq_utils.indicateurs.ecarts import cas_par_tendance, evolution_ecart, lecture_ensemble
from osq_utils.notes import evaluation as ev
from osq_utils.present.ecarts import phrase_evolution, position

NBSP = "\u00a0"
def _rows(gaps: dict[int, float | None]) -> pd.DataFrame:
    return pd.DataFrame({"annee": list(gaps), "ecart": [g if g is not None else float("nan") for g in gaps.values()],
                         "statut_ecart": ["ok" if g is not None else "absent" for g in gaps.values()]})


def test_wording_reduced_widened_stable(glossaire):
    rate = glossaire["taux_pauvrete"]
    reduced = evolution_ecart(_rows({2016: 30.0, 2017: None, 2019: 28.8}), rate)
    assert phrase_evolution(reduced, rate).startswith(f"l'écart s'est réduit de 1,2{NBSP}point entre 2016 et 2019")
    assert reduced.annees_manquantes == (2017,)
    widened = evolution_ecart(_rows({2016: 12.6, 2019: 15.1}), rate)
    assert phrase_evolution(widened, rate).startswith(f"l'écart s'est creusé de 2,5{NBSP}points")
    stable = evolution_ecart(_rows({2016: 20.0, 2019: 20.4}), rate)
    assert stable.tendance == "stable"
    assert f"est resté stable entre 2016 et 2019 (de +20,0{NBSP}points à +20,4{NBSP}points)" in phrase_evolution(stable, rate)
    # 0.5 point exactly is not stable: the threshold is strict and documented in the note.
    assert evolution_ecart(_rows({2016: 20.0, 2019: 20.5}), rate).tendance == "creuse"
    # Below the agglomeration (negative gap): a gap that gets closer to 0 is reduced.
    assert evolution_ecart(_rows({2016: -5.0, 2019: -3.0}), rate).tendance == "reduit"
    assert evolution_ecart(_rows({2016: -1.0, 2019: 1.0}), rate).tendance == "inverse"
    assert evolution_ecart(_rows({2016: None, 2019: None}), rate).tendance == "aucune"
    median = glossaire["revenu_median"]
    assert evolution_ecart(_rows({2016: 0.661, 2019: 0.668}), median).tendance == "stable"
    assert evolution_ecart(_rows({2016: 0.74, 2019: 0.72}), median).tendance == "creuse"


def test_sens_only_words_the_situation(glossaire):
    assert position(41.1, glossaire["taux_pauvrete"]) == "une situation moins favorable que dans l'agglomération"
    assert position(0.64, glossaire["revenu_median"]) == "une situation moins favorable que dans l'agglomération"
    assert position(30.2, glossaire["part_prestations_sociales"]) == ""  # sens neutre


# --- The answer of the figures (invented gaps on made-up quartiers, not real figures) -------------


def _gaps(code: str, par_quartier: dict[str, dict[int, float | None]]) -> pd.DataFrame:
    """ecarts_par_annee()-like rows for one indicator: a QPV per name, a gap per year (None: not comparable)."""
    rows = []
    for n, (nom, gaps) in enumerate(par_quartier.items()):
        for annee, gap in gaps.items():
            rows.append({"qpv": f"QP0000{n:02d}", "quartier": nom, "indicateur": code, "annee": annee,
                         "valeur": 1.0, "statut": "ok", "source": "essai",
                         "valeur_reference": float("nan") if gap is None else 1.0,
                         "statut_reference": "absent" if gap is None else "ok", "source_reference": "essai",
                         "ecart": float("nan") if gap is None else gap,
                         "statut_ecart": "absent" if gap is None else "ok"})
    return pd.DataFrame(rows, columns=ev.ECART_COLUMNS)


def _question(*codes: str) -> ev.Question:
    return ev.Question(1, "Les écarts se sont-ils réduits ?", codes)


def _reponse(question: ev.Question, donnees: dict, glossaire) -> str:
    text = ev.reponse_chiffres(question, donnees, glossaire)
    assert text.startswith("**Réponse des chiffres** : ") and text.endswith("\n\n")
    return text.removeprefix("**Réponse des chiffres** : ").strip()


def test_lecture_ensemble_rule():
    assert lecture_ensemble(["reduit", "reduit", "creuse"]) == "rapprochement"
    assert lecture_ensemble(["reduit", "creuse", "une_annee", "aucune"]) == "sans_tendance"  # half is not a majority
    assert lecture_ensemble(["creuse", "creuse", "stable"]) == "eloignement"
    assert lecture_ensemble(["stable", "stable", "reduit"]) == "maintien"
    assert lecture_ensemble(["inverse", "inverse", "reduit"]) == "sans_tendance"
    assert lecture_ensemble(["une_annee", "aucune"]) == lecture_ensemble([]) == "aucune"
    assert cas_par_tendance([("a", "X", "reduit"), ("b", "Y", "creuse"), ("a", "Z", "reduit")]) == {
        "reduit": {"a": ["X", "Z"]}, "creuse": {"b": ["Y"]}}


def test_indicator_names_take_their_article(glossaire):
    assert ev.nom_indicateur(glossaire["taux_pauvrete"]) == "le taux de pauvreté"
    assert ev.nom_indicateur(glossaire["part_prestations_sociales"]).startswith("la part des prestations sociales")
    assert ev.nom_indicateur(glossaire["gini"]) == "l'indice de Gini"
    assert ev.nom_indicateur(glossaire["decile_1"]) == "le 1er décile du niveau de vie"
    assert ev.nom_indicateur(glossaire["allocataires_caf"]) == "les allocataires CAF"


def test_answer_all_narrowed(glossaire):
    q = _question("taux_pauvrete")
    donnees = {"taux_pauvrete": _gaps("taux_pauvrete", {"Quartier A": {2016: 30.0, 2019: 28.0},
                                                        "Les Tilleuls": {2016: -5.0, 2019: -3.0}})}
    assert _reponse(q, donnees, glossaire) == (
        "l'écart avec l'agglomération s'est réduit pour le taux de pauvreté à Quartier A et aux Tilleuls. Les "
        "chiffres publiés vont plutôt dans le sens d'un rapprochement des quartiers et de l'agglomération (écart "
        "réduit dans les deux cas suivis).")


def test_answer_mixed_agrees_with_the_table(glossaire):
    q = _question("taux_pauvrete", "revenu_median", "part_prestations_sociales")
    donnees = {
        "taux_pauvrete": _gaps("taux_pauvrete", {"Quartier A": {2016: 30.0, 2017: None, 2019: 28.8},
                                                 "Quartier B": {2016: 20.0, 2019: 20.4},
                                                 "Quartier C": {2016: 12.6, 2019: 15.1}}),
        # Ratios compared as printed: 0,661 and 0,668 both print × 0,66 or × 0,67, a change below 0,02.
        "revenu_median": _gaps("revenu_median", {"Quartier A": {2016: 0.661, 2019: 0.668},
                                                 "Quartier B": {2016: 0.74, 2019: 0.72}}),
        "part_prestations_sociales": _gaps("part_prestations_sociales", {"Quartier C": {2016: 28.7, 2019: 30.2}}),
    }
    text = _reponse(q, donnees, glossaire)
    assert text == (
        "l'écart avec l'agglomération s'est réduit pour le taux de pauvreté à Quartier A, et s'est creusé pour le "
        "taux de pauvreté à Quartier C, pour le niveau de vie médian à Quartier B et pour la part des prestations "
        "sociales dans le revenu disponible à Quartier C ; il est resté stable dans deux cas. Les chiffres publiés ne "
        "dessinent pas de tendance commune : aucun sens d'évolution ne concerne plus de la moitié des six écarts suivis.")
    # Same direction words as the table's « Évolution » column, case by case.
    table = ev.tableau_ecarts(q, donnees, glossaire)
    mots = [e.split(" ")[0] for e in table["Évolution"]]
    assert mots == ["réduit", "stable", "creusé", "stable", "creusé", "creusé"]
    assert [c.tendance for c in ev.cas_question(q, donnees, glossaire)] == [
        "reduit", "stable", "creuse", "stable", "creuse", "creuse"]


def test_answer_widened_majority(glossaire):
    q = _question("taux_pauvrete")
    donnees = {"taux_pauvrete": _gaps("taux_pauvrete", {"Quartier A": {2016: 30.0, 2019: 32.0},
                                                        "Quartier B": {2016: 30.0, 2019: 31.0},
                                                        "Quartier C": {2016: 30.0, 2019: 30.0}})}
    assert _reponse(q, donnees, glossaire).endswith(
        "Les chiffres publiés vont plutôt dans le sens d'un éloignement des quartiers et de l'agglomération (écart "
        "creusé dans deux des trois cas suivis).")


def test_answer_all_stable(glossaire):
    q = _question("taux_pauvrete")
    donnees = {"taux_pauvrete": _gaps("taux_pauvrete", {"Quartier A": {2016: 30.0, 2019: 30.4}})}
    assert _reponse(q, donnees, glossaire) == (
        "l'écart avec l'agglomération est resté stable dans le seul cas suivi. Les chiffres publiés vont plutôt dans "
        "le sens d'un maintien des écarts entre les quartiers et l'agglomération.")


def test_answer_nothing_followable(glossaire):
    q = _question("taux_pauvrete", "taux_emploi")
    donnees = {"taux_pauvrete": _gaps("taux_pauvrete", {"Quartier A": {2016: 30.0, 2019: None},
                                                        "Quartier B": {2016: None, 2019: None}}),
               "taux_emploi": _gaps("taux_emploi", {})}
    text = _reponse(q, donnees, glossaire)
    assert text == (
        "les chiffres publiés ne permettent pas de répondre à cette question, car aucun écart entre un quartier et "
        "l'agglomération ne peut être suivi dans le temps, faute d'au moins deux années où le quartier et "
        "l'agglomération sont tous deux connus.")
    assert "rapprochement" not in text and "tendance" not in text
    # No agglomeration figure at all: the QPV's own evolutions are named instead (values, not gaps).
    emploi = _gaps("taux_emploi", {"Quartier A": {2013: 0.0, 2018: 0.0}, "Quartier B": {2013: 0.0, 2018: 0.0}})
    emploi["valeur"] = [39.7, 35.9, 40.0, 40.2]
    text = _reponse(_question("taux_emploi"), {"taux_emploi": emploi}, glossaire)
    assert text == (
        "les chiffres publiés ne permettent pas de répondre à cette question, car aucun de ses indicateurs n'a de "
        "chiffre de l'agglomération dans les sources. Seule l'évolution propre des quartiers peut être décrite : le "
        "chiffre du quartier a baissé pour le taux d'emploi des 15-64 ans à Quartier A ; il est resté stable dans un "
        "cas.")
    assert _reponse(_question("taux_emploi"), {"taux_emploi": _gaps("taux_emploi", {})}, glossaire) == (
        "les chiffres publiés ne permettent pas de répondre à cette question, car aucune valeur n'est publiée pour "
        "ces quartiers dans les sources.")


def test_answer_many_qpv_gives_counts(glossaire):
    noms = [f"Quartier {c}" for c in "ABCDE"]
    q = _question("taux_pauvrete", "revenu_median", "part_prestations_sociales")
    donnees = {"taux_pauvrete": _gaps("taux_pauvrete", {n: {2016: 30.0, 2019: 28.0} for n in noms}),
               "revenu_median": _gaps("revenu_median", {n: {2016: 0.60, 2019: 0.65 if n in noms[:2] else 0.60}
                                                        for n in noms}),
               "part_prestations_sociales": _gaps("part_prestations_sociales",
                                                  {n: {2016: 20.0, 2019: 18.0 if n == "Quartier E" else 20.0}
                                                   for n in noms})}
    text = _reponse(q, donnees, glossaire)
    # Beyond three cases in one direction: counts by indicator (« les cinq quartiers »: all of them), in letters (a
    # « 5 » beside a quartier's name would read as its figure), one case named.
    assert text == (
        "l'écart avec l'agglomération s'est réduit pour le taux de pauvreté dans les cinq quartiers, pour le niveau de "
        "vie médian dans deux quartiers et pour la part des prestations sociales dans le revenu disponible à Quartier E "
        "; il est resté stable dans sept cas. Les chiffres publiés vont plutôt dans le sens d'un rapprochement des "
        "quartiers et de l'agglomération (écart réduit dans huit des quinze cas suivis).")
    assert not any(n in text for n in noms[:4])
    del donnees["part_prestations_sociales"]
    assert _reponse(_question("taux_pauvrete", "revenu_median"), donnees, glossaire).endswith(
        "Les chiffres publiés vont plutôt dans le sens d'un rapprochement des quartiers et de l'agglomération (écart "
        "réduit dans sept des dix cas suivis).")
    # Beyond three indicators in one direction, the count alone.
    codes = ("taux_pauvrete", "part_prestations_sociales", "part_revenus_activite", "part_indemnites_chomage")
    donnees = {c: _gaps(c, {n: {2016: 10.0, 2019: 12.0} for n in noms[:2]}) for c in codes}
    assert _reponse(_question(*codes), donnees, glossaire).startswith(
        "l'écart avec l'agglomération s'est creusé dans huit cas, pour quatre indicateurs. Les chiffres publiés vont plutôt "
        "dans le sens d'un éloignement")
    # Three cases are still named.
    donnees = {"taux_pauvrete": _gaps("taux_pauvrete", {n: {2016: 30.0, 2019: 28.0} for n in noms[:3]})}
    assert "à Quartier A, à Quartier B et à Quartier C" in _reponse(_question("taux_pauvrete"), donnees, glossaire)


def test_answer_reversal(glossaire):
    q = _question("taux_pauvrete", "revenu_median")
    donnees = {"taux_pauvrete": _gaps("taux_pauvrete", {"Quartier A": {2016: -1.0, 2019: 1.0},
                                                        "Quartier B": {2016: 2.0, 2019: -0.5}}),
               "revenu_median": _gaps("revenu_median", {"Quartier A": {2016: 0.90, 2019: 0.95}})}
    assert _reponse(q, donnees, glossaire) == (
        "l'écart avec l'agglomération s'est réduit pour le niveau de vie médian à Quartier A, et s'est inversé pour "
        "le taux de pauvreté à Quartier A et à Quartier B. Les chiffres publiés ne dessinent pas de tendance "
        "commune : aucun sens d'évolution ne concerne plus de la moitié des trois écarts suivis.")


def test_method_states_the_reading_rule():
    text = ev.encadre_methode()
    assert "plus de la moitié des écarts que l'on peut suivre dans le temps se sont réduits" in text
    assert "ne dessinent pas de tendance commune" in text and "elle n'en donne pas la cause" in text

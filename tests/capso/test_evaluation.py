
"""Évaluation du contrat de ville: gaps QPV / agglomeration, their evolution, the questions, the note."""

from __future__ import annotations

import nbformat
import pandas as pd
import papermill as pm
import pytest

from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.indicateurs.ecarts import evolution_ecart, evolution_propre
from osq_utils.notes import evaluation as ev
from osq_utils.present.ecarts import phrase_evolution, phrase_evolution_propre
from osq_utils.secret.vue import Vue

CAPSO, QPV_CAPSO = "200069037", ["QP062036", "QP062037"]

NBSP = "\u00a0"
QUESTIONS = [
    {"question": "La politique de la ville a-t-elle permis de réduire les écarts entre les quartiers et l'agglomération ?",
     "indicateurs": ["taux_pauvrete", "revenu_median", "part_prestations_sociales"]},
    {"question": "L'accès à l'emploi des habitants des quartiers s'est-il amélioré ?", "indicateurs": ["taux_emploi"]},
]


@pytest.fixture(scope="module")
def capso(store_file):
    vue = Vue.ouvrir(store_file)
    note = ev.preparer(vue, CAPSO, QPV_CAPSO, QUESTIONS)
    data = {code: ev.ecarts(vue, note, code) for q in note.questions for code in q.indicateurs}
    return vue, note, data


def _row(df, qpv, annee):
    return df[(df["qpv"] == qpv) & (df["annee"] == annee)].iloc[0]


# --- Gaps against published values ---------------------------------------------------------


def test_poverty_gap_capso_2016_and_holes_after(capso, glossaire):
    _, _, data = capso
    df = data["taux_pauvrete"]
    r = _row(df, "QP062036", 2016)
    # Insee/ANCT, data_filo16_qp_revdis.csv: tp60_a16 = 59,8 for QP062036
    assert r["valeur"] == pytest.approx(59.8)
    # Insee, insee-filosofi-2015-2016/filosofi_epci_2016.csv: TP6016 = 18.7 for 200069037
    assert r["valeur_reference"] == pytest.approx(18.7)
    assert r["ecart"] == pytest.approx(41.1)
    # Insee/ANCT, data_filo19_qp_revdis.csv: DISP_TP60_A19 = 56,0 for QP062036; the EPCI files of
    # insee-filosofi-2014-2019-disp carry no poverty rate: 2019 is a hole, never 0.
    r19 = _row(df, "QP062036", 2019)
    assert r19["valeur"] == pytest.approx(56.0)
    assert r19["statut_reference"] == "absent" and r19["statut_ecart"] == "absent" and pd.isna(r19["ecart"])
    # REVN_2017 to REVN_2019 give the QPV's rate for 2013 to 2015 (TP60 = 60,4 in REVN_2017, revenus 2013); the
    # CAPSO was created in 2017 and its predecessor is another EPCI: those years are holes too.
    r13 = _row(df, "QP062036", 2013)
    assert r13["valeur"] == pytest.approx(60.4) and r13["statut_ecart"] == "absent" and pd.isna(r13["ecart"])
    evo = evolution_ecart(df[df["qpv"] == "QP062036"], glossaire["taux_pauvrete"])
    assert evo.tendance == "une_annee" and evo.annees_manquantes == (2013, 2014, 2015, 2017, 2018, 2019)
    assert phrase_evolution(evo, glossaire["taux_pauvrete"]) == (
        f"l'écart n'est connu que pour 2016 (+41,1{NBSP}points) : son évolution ne peut pas être mesurée")


def test_capso_epci_published_from_2016_only(con):
    # CAPSO was created on 1 January 2017: FILO2014_DISP_EPCI.csv and FILO2015_DISP_EPCI.csv have no
    # 200069037 row; FILO2016_DISP_EPCI.csv (2017 map) has it, Q216 = 18585.
    years = con.execute("SELECT annee, valeur FROM observations WHERE niveau = 'epci' AND code = ? "
                        "AND indicateur = 'revenu_median' ORDER BY annee", [CAPSO]).fetchall()
    assert [y for y, _ in years] == [2016, 2017, 2018, 2019]
    assert years[0][1] == pytest.approx(18585)


def test_median_ratio_reduced(capso, glossaire):
    _, _, data = capso
    df, ind = data["revenu_median"], glossaire["revenu_median"]
    # data_filo16_qp_revdis.csv disp_q2_a16 = 11520; FILO2016_DISP_EPCI.csv Q216 = 18585
    assert _row(df, "QP062036", 2016)["ecart"] == pytest.approx(11520 / 18585)
    # data_filo19_qp_revdis.csv DISP_MED_A19 = 12 650; FILO2019_DISP_EPCI.csv Q219 = 19730
    assert _row(df, "QP062036", 2019)["ecart"] == pytest.approx(12650 / 19730)
    evo = evolution_ecart(df[df["qpv"] == "QP062036"], ind)
    assert (evo.tendance, evo.annee_debut, evo.annee_fin) == ("reduit", 2016, 2019)
    assert phrase_evolution(evo, ind) == (
        f"l'écart s'est réduit de 0,02 entre 2016 et 2019 (rapport au chiffre de l'agglomération passé de "
        f"×{NBSP}0,62 à ×{NBSP}0,64)")


def test_benefits_gap_widened(capso, glossaire):
    _, _, data = capso
    df, ind = data["part_prestations_sociales"], glossaire["part_prestations_sociales"]
    # QP062036: disp_ppsoc_a16 = 36,6 and DISP_PPSOC_A19 = 38,3; CAPSO: PPSOC16 = 7,9 and PPSOC19 = 8,1
    evo = evolution_ecart(df[df["qpv"] == "QP062036"], ind)
    assert (evo.ecart_debut, evo.ecart_fin) == (pytest.approx(28.7), pytest.approx(30.2))
    assert phrase_evolution(evo, ind) == (
        f"l'écart s'est creusé de 1,5{NBSP}point entre 2016 et 2019 (de +28,7{NBSP}points à +30,2{NBSP}points)")


def test_employment_rate_has_no_agglomeration_figure(capso, glossaire):
    _, note, data = capso
    df, ind = data["taux_emploi"], glossaire["taux_emploi"]
    assert ev.sans_reference(ind)
    assert (df["statut_reference"] == "absent").all() and df["ecart"].isna().all()
    # insertion-pro/IPRO_2018.csv TX_TOT_EMPL = 39,7 (census 2013, as in IPRO_2017) and IPRO_2022.csv = 35,9
    # (census 2018) for QP062036: the years are the censuses', not the tables' publication.
    evo = evolution_propre(df[df["qpv"] == "QP062036"], ind)
    assert phrase_evolution_propre(evo, ind) == (
        f"en baisse, de 39,7{NBSP}% en 2013 à 35,9{NBSP}% en 2018 (-3,8{NBSP}points)")
    assert sorted(df.loc[df["qpv"] == "QP062036", "annee"]) == [2013, 2015, 2016, 2017, 2018]
    text = ev.reponse_question(note.questions[1], {"taux_emploi": df}, glossaire)
    assert "aucun chiffre de l'agglomération" in text and "publication" not in text
    assert "les revenus 2015 sont dans le tableau de 2019" in ev.encadre_methode()


def test_answer_is_cautious_and_counts(capso, glossaire):
    _, note, data = capso
    q = note.questions[0]
    text = ev.reponse_question(q, {c: data[c] for c in q.indicateurs}, glossaire, "../glossaire.html")
    assert text.startswith("D'après les chiffres publiés, sur 4 écarts")
    assert "ne suffisent pas à dire si la politique de la ville en est la cause" in text
    assert "Chiffre de l'agglomération non publié pour 2013 à 2015, 2017 à 2019" in text
    assert "[Taux de pauvreté](../glossaire.html#taux_pauvrete)" in text
    table = ev.tableau_ecarts(q, {c: data[c] for c in q.indicateurs}, glossaire)
    first = table.iloc[0]
    # Every year of the QPV's series is a column, 2013 (REVN_2017) to 2019 (data_filo19).
    assert list(table.columns) == ["Quartier", "Indicateur", *map(str, range(2013, 2020)), "Évolution"]
    assert (first["2013"], first["2016"], first["2017"], first["Évolution"]) == (
        "nd", f"+41,1{NBSP}points", "nd", "non mesurable")


# --- Parameter errors ------------------------------------------------------------------------------


def test_notebook_capso_defaults_renders(store_file, tmp_path):
    from osq_utils.batch.notebook_md import executed_notebook_to_markdown
    from osq_utils.batch.render_pandoc import render_page

    template = PROJECT_ROOT / "notebooks" / "evaluation_cdv.ipynb"
    out = tmp_path / "evaluation.ipynb"
    pm.execute_notebook(str(template), str(out), parameters={"store": str(store_file)}, kernel_name="python3",
                        progress_bar=False, cwd=str(template.parent))
    nb = nbformat.read(out, as_version=4)
    markdown = executed_notebook_to_markdown(nb, tmp_path / "media", "media")
    page = render_page(markdown, tmp_path / "evaluation.html", title="Évaluation du contrat de ville",
                       site_title="Essai", nav=[], root_href="..")
    html = page.read_text(encoding="utf-8").replace("\xa0", " ").replace("&nbsp;", " ").replace("&#39;", "'").replace("\u2019", "'")
    for section in ("Les territoires comparés", "Ce que disent et ne disent pas ces chiffres",
                    "Question 1 : La politique de la ville a-t-elle permis de réduire les écarts",
                    "Question 2 : L'accès à l'emploi", "Ce que montrent les chiffres", "Paroles d'acteurs",
                    "Sources et définitions", "La coopération", "Les actions structurantes"):
        assert section in html, section
    # Without the observatory's inputs, the note says where they go instead of inventing an angle.
    assert "Entrées de l'évaluation : à renseigner" in html and "Aucun bilan des actions n'est déclaré" in html
    assert "ne mesurent pas l'effet de la politique de la ville" in html
    assert "59,8 % en 2016 contre 18,7 % dans l'agglomération" in html
    assert "+41,1" in html and "× 0,62" in html and "creusé de 1,5 point" in html
    assert "de 39,7 % en 2013 à 35,9 % en 2018" in html
    assert "Il y a un vrai déficit d'image des quartiers" in html  # AUD Saint-Omer verbatim, EPCI 200069037
    # One table and one chart per indicator: 3 for question 1, 1 for question 2.
    assert html.count('<img src="media/') == 4  # written as files beside the page (batch.notebook_md)
    assert 'alt="Graphique en courbes : taux de pauvreté de chaque quartier' in html
    assert "en gris foncé, trait pointillé : la distance entre les courbes est l'écart du tableau" in html
    assert "Source : " in html or "Sources : " in html
    assert "Traceback" not in html and "Error" not in html

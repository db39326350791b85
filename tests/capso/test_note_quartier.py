
"""QPV note: quartiers.py figures against the real published files, the map, and the notebook end to end."""

from __future__ import annotations

import csv
import io
import math
import zipfile

import numpy as np
import pytest

from osq_utils.errors import OsqError
from osq_utils.notes import quartier as qq
from osq_utils.present import fr
from osq_utils.secret.vue import Vue

CODES = qq.COMPARABLES + qq.QPV_SEULEMENT


def _row(path, code: str, key: str = "CODGEO") -> dict:
    """One row of an INSEE ';' CSV (BOM, decimal comma, space thousands separator) as floats where possible."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            if row[key] == code:
                return row
    raise AssertionError(f"{code} absent de {path}")


def _num(text: str) -> float:
    return float("".join(text.split()).replace("\u202f", "").replace("\u00a0", "").replace(",", "."))


@pytest.fixture(scope="module")
def saint_exupery(store_file):
    vue = Vue.ouvrir(store_file)
    quartier = qq.quartier(vue, "QP062036")
    obs = qq.observations_qpv(vue, quartier, CODES)
    return vue, quartier, obs


def _value(obs, territoire_rank: int, indicateur: str, annee: int):
    part = obs[(obs["_t"] == territoire_rank) & (obs["indicateur"] == indicateur) & (obs["annee"] == annee)]
    return part.iloc[0] if len(part) else None


# --- The QPV and its territories ---------------------------------------------------------


def test_quartier_has_its_three_communes_and_current_epci(saint_exupery):
    _, q, _ = saint_exupery
    assert q.qpv.libelle == "Saint-Exupéry - Léon Blum"
    assert [t.code for t in q.communes] == ["62040", "62525", "62765"]
    # The 2015 record says CA de Saint-Omer 246200455; today it is the CAPSO (merged in 2017).
    assert [t.code for t in q.epcis] == ["200069037"]
    assert q.ensemble_communes is not None and q.france is not None
    assert [t.niveau for t in q.references] == ["qpv", "commune", "commune", "commune", "groupement", "epci", "france"]


@pytest.mark.parametrize("code, expected", [
    ("QP999999", "QP062036"),  # unknown code: the fix names an example and the source to load
    ("QN06236M", "géographie 2015"),  # 2024 geography: no figures in the mirror
    ("62040", "QP"),  # a commune code by mistake
])
def test_unknown_qpv_code_is_a_clear_french_error(vue, code, expected):
    with pytest.raises(OsqError) as err:
        qq.quartier(vue, code)
    text = str(err.value)
    assert code in text and "code_qpv" in text and "Correction" in text and expected in err.value.correction


# --- Observations against the published files ----------------------------------------------


def test_qpv_figures_are_the_published_filosofi_qpv_values(saint_exupery, mirror):
    _, _, obs = saint_exupery
    filo18 = _row(mirror / "insee-anct-qpv-2015" / "filosofi" / "data_filo18_qp_revdis.csv", "QP062036")
    # data_filo18_qp_revdis.csv: DISP_TP60_A18 = 60,0 ; DISP_MED_A18 = 11 910 for QP062036
    assert _value(obs, 0, "taux_pauvrete", 2018)["valeur"] == pytest.approx(_num(filo18["DISP_TP60_A18"])) == 60.0
    assert _value(obs, 0, "revenu_median", 2018)["valeur"] == pytest.approx(_num(filo18["DISP_MED_A18"])) == 11910
    # IPRO_2020: the ABC cell is blank for QP062036 -> secret, never 0.
    secret = _value(obs, 0, "demandeurs_emploi_abc", 2020)
    assert secret["statut"] == "secret" and math.isnan(secret["valeur"])


def test_communes_aggregate_makes_up_no_poverty_rate_and_never_a_median(saint_exupery, glossaire):
    _, _, obs = saint_exupery
    rank = 4  # Ensemble des 3 communes
    # INSEE publishes the communes' poverty rates (FILO2018_DISP_Pauvres_COM.csv: 21, 25, 31) without the count of
    # poor persons: the three communes together have no poverty rate (neither a mean of rates nor a made-up count).
    row = _value(obs, rank, "taux_pauvrete", 2018)
    assert row is None or row["statut"] != "ok"
    assert not glossaire["taux_pauvrete"].agregeable
    median = _value(obs, rank, "revenu_median", 2019)
    assert median is None or median["statut"] != "ok"


def test_comparison_year_is_the_latest_with_the_communes(saint_exupery, mirror):
    _, q, obs = saint_exupery
    comp = qq.comparison(obs, q.references, qq.COMPARABLES, len(q.communes))
    pauvrete = comp[comp["indicateur"] == "taux_pauvrete"].set_index("code")
    # The QPV runs to 2019, and so do the communes' poverty rates (comparateur de territoires RP2018: TP6019).
    assert set(pauvrete["annee"]) == {2019}
    assert pauvrete.at["62040", "valeur"] == _comparateur_cell(mirror, "62040", "TP6019") == 20.0
    assert pauvrete.at["200069037", "statut"] == "absent" and math.isnan(pauvrete.at["200069037", "valeur"])
    median = comp[comp["indicateur"] == "revenu_median"].set_index("code")
    assert set(median["annee"]) == {2019}
    france = _row(mirror / "insee-filosofi-2014-2019-disp" / "france" / "FILO2019_DISP_METROPOLE.csv",
                  "France métropolitaine", key="LIBGEO")
    assert median.at["FRM", "valeur"] == _num(france["Q219"]) == 21930  # FILO2019_DISP_METROPOLE.csv: Q219
    assert median.at["62765", "valeur"] == 17230  # FILO2019_DISP_COM.csv: Q219 for Saint-Omer
    assert median.at["communes-QP062036", "statut"] == "absent"


def _comparateur_cell(mirror, code: str, column: str) -> float:
    path = mirror / "insee-comparateur-territoires-rp2018" / "base_cc_comparateur_csv.zip"
    with zipfile.ZipFile(path) as zf:
        rows = csv.DictReader(io.StringIO(zf.read("base_cc_comparateur.CSV").decode("ascii")), delimiter=";")
        return float(next(r for r in rows if r["CODGEO"] == code)[column])


# --- Gaps ----------------------------------------------------------------------------------------


def test_gaps_in_points_for_rates_and_ratio_for_medians(saint_exupery, glossaire):
    _, _, obs = saint_exupery
    pauvrete = qq.ecarts_par_annee(obs, glossaire["taux_pauvrete"])
    arques = pauvrete[pauvrete["territoire"] == "Arques"].set_index("annee")
    # 60,0 (data_filo18_qp_revdis.csv, tp60) - 21 (FILO2018_DISP_Pauvres_COM.csv, TP6018 for 62040)
    assert arques.at[2018, "ecart"] == pytest.approx(39.0)
    # 58,2 (data_filo17_qp_revdis.csv, tp60_a17) - 21 (comparateur de territoires RP2017, TP6017 for 62040)
    assert arques.at[2017, "ecart"] == pytest.approx(37.2)
    # The CAPSO's poverty rate is published for 2016 only: its other years are holes, never a gap of 0.
    capso = pauvrete[pauvrete["territoire"] == "CA du Pays de Saint-Omer"].set_index("annee")
    assert capso.at[2017, "statut_ecart"] == "absent" and np.isnan(capso.at[2017, "ecart"])
    median = qq.ecarts_par_annee(obs, glossaire["revenu_median"])
    france = median[median["niveau"] == "france"].set_index("annee")
    # 12 650 (data_filo19_qp_revdis.csv DISP_MED_A19) / 21 930 (FILO2019_DISP_METROPOLE.csv Q219)
    assert france.at[2019, "ecart"] == pytest.approx(12650 / 21930)
    assert fr.ecart(france.at[2019, "ecart"], "€") == "×\u00a00,58"


def test_gap_evolution_in_plain_words(saint_exupery, glossaire):
    _, _, obs = saint_exupery
    ind = glossaire["taux_pauvrete"]
    evo = {ref["territoire"]: (ref, e) for ref, e in qq.evolution_ecarts(qq.ecarts_par_annee(obs, ind), ind)}
    # Arques: 58,9 - 23 = 35,9 points in 2015 (REVN_2019 TP60, revenus 2015; filosofi_com_2015.csv TP6015),
    # 56,0 - 20 = 36,0 in 2019 (filo19 DISP_TP60_A19; comparateur de territoires RP2018 TP6019): stable.
    ref, arques = evo["Arques"]
    assert (arques.annee_debut, arques.annee_fin) == (2015, 2019)
    assert arques.variation == pytest.approx(0.1) and arques.tendance == "stable"
    text = qq.phrase_reference(ref, arques, ind)
    assert text.startswith("Face à Arques, l'écart est resté stable entre 2015 et 2019 (de +35,9\u00a0points à "
                           "+36,0\u00a0points)")
    assert "Pas d'écart calculable" not in text  # every year 2015-2019 has both figures
    # Longuenesse: 58,9 - 24 = 34,9 -> 56,0 - 22 = 34,0 points.
    assert "l'écart s'est réduit de 0,9\u00a0point" in qq.phrase_reference(*evo["Longuenesse"], ind)
    # The CAPSO's poverty rate exists for 2016 only in the sources: no evolution, said so.
    capso = qq.phrase_reference(*evo["CA du Pays de Saint-Omer"], ind)
    assert capso.startswith("Face à la CA du Pays de Saint-Omer, l'écart n'est connu que pour 2016")
    assert "son évolution ne peut pas être mesurée" in capso


def test_ratio_gap_evolution_uses_the_one_rule_on_printed_ratios(saint_exupery, glossaire):
    _, _, obs = saint_exupery
    ind = glossaire["revenu_median"]
    ref, france = next((r, e) for r, e in qq.evolution_ecarts(qq.ecarts_par_annee(obs, ind), ind) if r["niveau"] == "france")
    # 11 144 / 20 369,3 (2014: REVN_2018 DISP_Q2, revenus 2014; FILO2014_DISP_METROPOLE Q214) = × 0,55 ->
    # 12 650 / 21 930 (2019) = × 0,58: the gap's size went from 0,45 to 0,42, a reduction of 0,03, above the 0,02 of
    # the stability rule. 2013 has no France figure in the sources (the Filosofi files start in 2014): not compared.
    assert (france.ecart_debut, france.ecart_fin, france.variation) == (0.55, 0.58, -0.03)
    assert qq.phrase_reference(ref, france, ind) == (
        "Face à la France métropolitaine, l'écart s'est réduit de 0,03 entre 2014 et 2019 (rapport au chiffre de la "
        "France métropolitaine passé de ×\u00a00,55 à ×\u00a00,58).")


def test_gap_table_and_chart_keep_holes_as_nd(saint_exupery, glossaire):
    _, _, obs = saint_exupery
    ind = glossaire["taux_pauvrete"]
    ecarts = qq.ecarts_par_annee(obs, ind)
    table = qq.ecarts_table_markdown(ecarts, ind, "Source : essai.")
    # Every year the QPV and Arques are both published; 2013 and 2014 (no commune poverty rate in the sources)
    # compare nothing: no column, the legend says so.
    assert ("| Arques | +35,9\u00a0points | +37,8\u00a0points | +37,2\u00a0points | +39,0\u00a0points | "
            "+36,0\u00a0points |") in table
    assert "Aucun écart calculable en 2013, 2014" in table
    # The CAPSO's poverty rate is in the sources for 2016 only (filo16, 18,7): 59,8 - 18,7 = 41,1 points.
    assert ("| CA du Pays de Saint-Omer | nd | +41,1\u00a0points | nd | nd | nd |") in table
    shown, evo = qq.ecarts_for_chart(ecarts, ind)
    assert shown.unite == "points" and evo["valeur"].isna().sum() == (evo["statut"] != "ok").sum() > 0


# --- Text blocks, 2024 geography, map ----------------------------------------------------------------


def test_presentation_gives_the_2018_and_2013_populations(saint_exupery):
    _, q, obs = saint_exupery
    text = qq.presentation(q, obs)
    # DEMO_2022.csv POP_MUN = 3 126 (census 2018); pop_qp_2013.csv population_municipale_2013 = 2896 for QP062036
    assert "Il comptait 3\u202f126 habitants en 2018, contre 2\u202f896 en 2013" in text
    assert "trois communes : Arques, Longuenesse et Saint-Omer" in text and "la CA du Pays de Saint-Omer" in text


def test_job_seekers_secret_vintages_are_said(saint_exupery, glossaire):
    _, _, obs = saint_exupery
    text = qq.notes_chiffres_cles(obs, ["taux_pauvrete", "demandeurs_emploi_abc"], glossaire)
    # IPRO_2020 to IPRO_2022 (job seekers of 2019 to 2021): ABC blank for QP062036; IPRO_2019 (2018) has 544.
    assert "chiffre masqué par le producteur (secret, « s ») pour 2019 à 2021 ; le dernier chiffre publié (2018)" in text
    assert "publication des tableaux de l'ANCT" in text and "publications 20" not in text
    assert "Taux de pauvreté : pas de chiffre 2019 pour la CA du Pays de Saint-Omer (dernière année publiée : 2016)" in text


def test_qpv_2024_codes_of_the_communes_are_split(saint_exupery):
    vue, q, _ = saint_exupery
    codes = qq.qpv_2024(vue, [t.code for t in q.communes])
    # anct-qpv-2024-communes: Saint-Omer lists « QN06236M, QN06237M » in one cell.
    assert [c for c, _ in codes["62765"]] == ["QN06236M", "QN06237M"]
    assert [c for c, _ in codes["62040"]] == ["QN06236M"]
    text = qq.callout_2024(q, codes)
    assert "ni chiffres ni contours" in text and "QN06237M Quai Du commerce - Saint Sépulcre" in text


"""EPCI note: its communes side by side, ranked, against INSEE's own EPCI figures (real store, real files)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from osq_utils.errors import OsqError
from osq_utils.notes import epci as ag
from osq_utils.present import fr, tables
from osq_utils.secret.vue import Vue

CAPSO, SEM, BETHUNE, GPS = "200069037", "244200770", "200072460", "200059228"

COTE = ["population", "revenu_median", "taux_pauvrete", "part_logements_hlm", "allocataires_caf"]


@pytest.fixture(scope="module")
def cote_capso(store_file):
    vue = Vue.ouvrir(store_file)
    epci = ag.references_of_epci(vue, CAPSO)[0]
    return ag.communes_cote_a_cote(vue, epci, COTE)


def _row(cote, indicateur, code):
    part = cote[(cote["indicateur"] == indicateur) & (cote["code"] == code)]
    assert len(part) == 1
    return part.iloc[0]


# --- Reference territories ------------------------------------------------------------


def test_references_of_capso(vue, con, glossaire):
    refs = ag.references_of_epci(vue, CAPSO)
    assert [(t.niveau, t.code) for t in refs] == [("epci", CAPSO), ("departement", "62"), ("france", "FRM")]
    assert refs[0].libelle == "CA du Pays de Saint-Omer"
    assert len(ag.communes_of_epci(con, CAPSO)) == 53
    deps = ag.departements_of_epci(vue, CAPSO)
    assert [(d.code, d.part) for d in deps] == [("62", 1.0)]
    assert "Pas-de-Calais (62)" in ag.texte_departements(deps, refs[0])


def test_unknown_epci_is_a_french_error(con):
    with pytest.raises(OsqError, match="intercommunalité « 123 » inconnue") as err:
        ag.communes_of_epci(con, "123")
    assert "SIREN" in str(err.value)


# --- Communes side by side, rankings -----------------------------------------------------


def test_epci_row_is_insee_published_value(cote_capso):
    # filosofi_epci_2016.csv: TP6016 = 18.7 for 200069037; FILO2019_DISP_EPCI.csv: Q219 = 19730.
    pov = _row(cote_capso, "taux_pauvrete", CAPSO)
    assert (pov["niveau"], pov["annee"], pov["valeur"], pov["statut"]) == ("epci", 2016, 18.7, "ok")
    assert pd.isna(pov["rang"])  # the EPCI is a reference, not a ranked commune
    med = _row(cote_capso, "revenu_median", CAPSO)
    assert (med["annee"], med["valeur"]) == (2019, 19730.0)
    # Not published by EPCI and not summable from every commune: 'nd', never 0.
    hlm = _row(cote_capso, "part_logements_hlm", CAPSO)
    assert hlm["statut"] == "absent" and pd.isna(hlm["valeur"])


def test_year_is_the_latest_with_the_epci_value(cote_capso):
    # Filosofi 2018 gives commune poverty rates (Arques 21) but no EPCI rate: communes are
    # ranked in 2016, the latest year INSEE published CAPSO's own rate.
    assert (cote_capso.loc[cote_capso["indicateur"] == "taux_pauvrete", "annee"] == 2016).all()
    assert ag.annee_commune(
        pd.DataFrame({"annee": [2016, 2018], "statut": ["ok", "ok"]}),
        pd.DataFrame({"annee": [2016], "statut": ["ok"]})) == 2016
    assert ag.annee_commune(
        pd.DataFrame({"annee": [2016, 2018], "statut": ["ok", "ok"]}), pd.DataFrame({"annee": [], "statut": []})) == 2018


def test_ranking_skips_secret_communes(cote_capso):
    # filosofi_com_2016.csv, TP6016: Saint-Omer 30, Racquinghem 13, Audincthun blank (secret).
    pov = cote_capso[(cote_capso["indicateur"] == "taux_pauvrete") & (cote_capso["niveau"] == "commune")]
    assert len(pov) == 53
    assert pov["classees"].iloc[0] == 9 == pov["rang"].notna().sum()
    assert (_row(cote_capso, "taux_pauvrete", "62765")[["valeur", "rang"]].tolist()) == [30.0, 1]
    assert (_row(cote_capso, "taux_pauvrete", "62684")[["valeur", "rang"]].tolist()) == [13.0, 9]
    audincthun = _row(cote_capso, "taux_pauvrete", "62053")
    assert audincthun["statut"] == "secret" and pd.isna(audincthun["valeur"]) and pd.isna(audincthun["rang"])
    # FILO2016_DISP_COM.csv: Q216 = 17428 for Arques, 16070 for Saint-Omer; 2019 is the year shown.
    med = cote_capso[(cote_capso["indicateur"] == "revenu_median") & (cote_capso["niveau"] == "commune")]
    assert med["rang"].notna().sum() == 53 and med["rang"].max() == 53


def test_tables_show_marks_and_ranks(cote_capso, glossaire):
    gt = tables.cote_a_cote_table(cote_capso, glossaire, titre="Communes", source_note="Source : Insee, Filosofi 2016.",
                                  ordre=ag.ordre_population(cote_capso), glossaire_href="../glossaire.html")
    html = gt.as_raw_html()
    row = html[html.index(">Audincthun<"):]
    row = row[: row.index("</tr>")]
    cells = [c.split(">", 1)[1].split("<", 1)[0] for c in row.split("<td")[1:]]
    # population, its rank, median, its rank, poverty rate (secret: 's', no rank), HLM, CAF (nd)
    assert cells[4:6] == [fr.MARQUE_SECRET, fr.MARQUE_SANS_OBJET] and cells[6] == fr.MARQUE_ABSENT
    assert "0,0" not in row
    assert "19\u202f730\u00a0€" in html and "18,7\u00a0%" in html
    assert "../glossaire.html#taux_pauvrete" in html and "Source : Insee, Filosofi 2016." in html
    assert "height:36rem" in html  # 53 communes: the table scrolls in its box
    ranking = tables.classement_table(cote_capso, "taux_pauvrete", glossaire, titre="Pauvreté",
                                      source_note="Source : Insee, Filosofi 2016.").as_raw_html()
    assert "Audincthun" not in ranking and "44 au secret statistique" in ranking
    assert ranking.index("Saint-Omer") < ranking.index("Racquinghem")


def test_evolutions_keep_missing_years_missing(vue, con, glossaire):
    evo = ag.evolutions_communes(vue, ["62040", "62765"], "revenu_median").set_index(["code", "annee"])
    # FILO2016_DISP_COM.csv: Q216 = 17428 for Arques; comparateur de territoires RP2017: MED17 = 17570; Filosofi 2020
    # is published for départements only: no commune median that year.
    assert evo.loc[("62040", 2016), "valeur"] == 17428.0 and evo.loc[("62040", 2017), "valeur"] == 17570.0
    assert evo.loc[("62040", 2020), "statut"] == "absent" and math.isnan(evo.loc[("62040", 2020), "valeur"])

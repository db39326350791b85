"""EPCI note: its communes side by side, ranked, against INSEE's own EPCI figures (real store, real files)."""

from __future__ import annotations

import csv
import math

import nbformat
import pandas as pd
import papermill as pm
import pytest
from conftest import PROJECT_ROOT

from osq_utils import indicateurs
from osq_utils.errors import OsqError
from osq_utils.notes import epci as ag
from osq_utils.present import charts, fr, tables
from osq_utils.secret.vue import Vue

NOTEBOOK = PROJECT_ROOT / "notebooks" / "note_epci.ipynb"
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


def test_epci_over_two_departements_takes_the_most_populated(vue, con, glossaire, mirror_path_of):
    # CA Grand Paris Sud spans Essonne and Seine-et-Marne; census populations exist for 77 only,
    # so the weight is Filosofi's persons of fiscal households (FILO2019_DISP_COM.csv, NBPERS19).
    deps = ag.departements_of_epci(vue, GPS)
    assert [d.code for d in deps] == ["91", "77"] and deps[0].poids == "nb_personnes_menages_fiscaux"
    communes = set(ag.communes_of_epci(con, GPS))
    path = mirror_path_of("insee-filosofi-2014-2019-disp", "communes/FILO2019_DISP_COM.csv")
    with open(path, encoding="utf-8-sig") as fh:
        pers = {r["CODGEO"]: float(r["NBPERS19"].replace(",", ".")) for r in csv.DictReader(fh, delimiter=";")
                if r["CODGEO"] in communes}
    assert set(pers) == communes
    share_91 = sum(v for c, v in pers.items() if c.startswith("91")) / sum(pers.values())
    assert math.isclose(deps[0].part, share_91, rel_tol=1e-9)
    assert ag.references_of_epci(vue, GPS)[1].code == "91"
    text = ag.texte_departements(deps, ag.references_of_epci(vue, GPS)[0])
    assert "2 départements" in text and "Essonne" in text and fr.pourcent(share_91 * 100, 0) in text


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


def test_rang_ties_and_missing():
    values = pd.Series([10.0, float("nan"), 12.0, 10.0, 8.0])
    statuts = pd.Series(["ok", "secret", "ok", "ok", "absent"])
    assert ag.rang(values, statuts).tolist() == [2, pd.NA, 1, 2, pd.NA]


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


def test_long_epci_ranking_is_top_and_bottom(vue, con, glossaire):
    epci = ag.references_of_epci(vue, BETHUNE)[0]
    cote = ag.communes_cote_a_cote(vue, epci, ["revenu_median"])
    assert cote["communes"].iloc[0] == 100
    html = tables.classement_table(cote, "revenu_median", glossaire, titre="Revenu", source_note="Source : x.").as_raw_html()
    ranked = int(cote["classees"].iloc[0])
    assert f"{ranked - 20} autres communes classées" in html
    resume = ag.resume_classement(cote, "revenu_median")
    # FILO2019_DISP_EPCI.csv: Q219 = 19400 for 200072460.
    assert resume["epci"]["valeur"] == 19400.0
    assert resume["haut"]["valeur"] >= resume["bas"]["valeur"]


# --- Evolutions, small multiples -------------------------------------------------------


def test_evolutions_keep_missing_years_missing(vue, con, glossaire):
    evo = ag.evolutions_communes(vue, ["62040", "62765"], "revenu_median").set_index(["code", "annee"])
    # FILO2016_DISP_COM.csv: Q216 = 17428 for Arques; no commune file was published for 2017.
    assert evo.loc[("62040", 2016), "valeur"] == 17428.0
    assert evo.loc[("62040", 2017), "statut"] == "absent" and math.isnan(evo.loc[("62040", 2017), "valeur"])


def test_small_multiples_keep_the_largest_communes(vue, con, glossaire):
    codes = ag.communes_of_epci(con, BETHUNE)
    largest = ag.plus_peuplees(vue, codes, 24)
    assert len(largest) == 24 and largest[0] == "62119"  # Béthune, the most populated
    assert ag.plus_peuplees(vue, ag.communes_of_epci(con, CAPSO), 3) == ["62765", "62525", "62040"]
    epci = ag.references_of_epci(vue, BETHUNE)[0]
    series = ag.evolutions_communes(vue, largest, "revenu_median")
    ref = indicateurs.evolution(vue, [epci], "revenu_median")
    plot = charts.small_multiples(series, ref, glossaire["revenu_median"], nom_reference=epci.libelle,
                                  source_note="Source : Insee, Filosofi.", communes_total=len(codes))
    assert "Les 24 communes les plus peuplées sur les 100" in plot.labels.caption
    assert "2017" in plot.labels.caption
    fig = plot.draw()
    assert len([ax for ax in fig.axes if ax.get_lines() or ax.collections]) == 24
    # No line ever crosses 2017: every drawn segment holds consecutive published years only.
    data = charts.line_segments(series.assign(panneau="x"))
    assert not data.groupby("segment")["annee"].apply(lambda s: 2016 in s.values and 2018 in s.values).any()


# --- The note -----------------------------------------------------------------------------


@pytest.mark.parametrize("code,nom,valeurs", [
    (CAPSO, "CA du Pays de Saint-Omer", ["18,7\u00a0%", "19\u202f730\u00a0€"]),
    (SEM, "Saint-Étienne Métropole", ["18,2\u00a0%", "20\u202f250\u00a0€"]),  # filosofi_epci_2016 TP6016, FILO2019 Q219
])
def test_note_epci_executes_and_renders(store_file, tmp_path, code, nom, valeurs):
    from osq_utils.batch.notebook_md import executed_notebook_to_markdown
    from osq_utils.batch.render_pandoc import render_page

    out = tmp_path / f"epci-{code}.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), parameters={"code_epci": code, "store": str(store_file)},
                        kernel_name="python3", progress_bar=False, cwd=str(NOTEBOOK.parent))
    nb = nbformat.read(out, as_version=4)
    md = executed_notebook_to_markdown(nb, tmp_path / "media", "media")
    html = render_page(md, tmp_path / "page.html", title=nom, site_title="Essai", nav=[], root_href="..").read_text(
        encoding="utf-8")
    assert "Traceback" not in html
    for section in ("Chiffres clés", "Les communes côte à côte", "Classements des communes",
                    "Cartes des communes", "Évolution commune par commune", "Sources et définitions"):
        assert section in html
    for value in valeurs:
        assert value in html
    assert f"Les 53 communes de {nom}" in html
    assert "alt=\"Grille de petits graphiques" in html and "alt=\"Carte des communes" in html
    assert len(list((tmp_path / "media").glob("*.png"))) == 3  # two maps (42 and 62 have contours), small multiples
    assert "Source : Insee, Filosofi" in html and "secret statistique" in html

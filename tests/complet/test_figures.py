
"""Figures in the store checked against values published by INSEE (real files, real DuckDB)."""

from __future__ import annotations

import math

import pytest

from osq_utils import indicateurs


def value(con, niveau, code, indicateur, annee):
    row = con.execute(
        "SELECT valeur, statut, source FROM observations WHERE niveau = ? AND code = ? AND indicateur = ? AND annee = ?",
        [niveau, code, indicateur, annee],
    ).fetchall()
    assert row, f"pas d'observation {niveau} {code} {indicateur} {annee}"
    return row[0]


def test_arques_2018_poverty_rate_is_21(con):
    # Insee, Filosofi 2018, FILO2018_DISP_Pauvres_COM.csv: TP6018 = 21 for 62040.
    assert value(con, "commune", "62040", "taux_pauvrete", 2018)[:2] == (21.0, "ok")


def test_saint_omer_2016_median_income_is_16070(con):
    # Insee, Filosofi 2016, FILO2016_DISP_COM.csv: Q216 = 16070 for 62765.
    assert value(con, "commune", "62765", "revenu_median", 2016)[:2] == (16070.0, "ok")


def test_capso_2016_poverty_rate_is_18_7(con):
    # Insee, Filosofi 2016 by EPCI: TP6016 = 18.7 for 200069037.
    assert value(con, "epci", "200069037", "taux_pauvrete", 2016)[:2] == (18.7, "ok")


def test_france_2019_median(con):
    # Insee, FILO2019_DISP_METROPOLE.csv: Q219 = 21930.
    assert value(con, "france", "FRM", "revenu_median", 2019)[0] == 21930.0


def test_poverty_rate_keeps_its_published_denominator_and_no_made_up_numerator(con):
    row = con.execute(
        "SELECT valeur, numerateur, denominateur FROM observations WHERE code = '62765' AND indicateur = 'taux_pauvrete' AND annee = 2016"
    ).fetchone()
    valeur, num, den = row
    assert den == 13746.0  # NBPERSMENFISC16 of Saint-Omer
    assert valeur == 30.0 and num is None  # TP6016 of Saint-Omer; INSEE does not publish the count of poor persons


def test_blank_insee_cell_is_secret_never_zero(con):
    # FILO2016_DISP_COM.csv, 01001: Q116 (first quartile) is blank, D116 too -> decile_1 secret.
    valeur, statut, _ = value(con, "commune", "01001", "decile_1", 2016)
    assert statut == "secret" and valeur is None
    n_zero_secret = con.execute("SELECT count(*) FROM observations WHERE statut = 'secret' AND valeur IS NOT NULL").fetchone()[0]
    assert n_zero_secret == 0


def test_gp_density_recomputed_from_counts(con):
    # BPE 2019: D201 general practitioners in Saint-Omer, population of COG 2019 (COGugaison).
    row = con.execute(
        "SELECT valeur, numerateur, denominateur FROM observations WHERE code = '62765' AND indicateur = 'densite_medecins_generalistes'"
    ).fetchone()
    assert row[2] == 14782.0
    assert math.isclose(row[0], row[1] / row[2] * 10000)


def test_commune_from_iris_only_when_all_inhabited_iris_present(con):
    # Saint-Omer's census figures come from its IRIS; a commune without IRIS gets none.
    hlm = con.execute("SELECT valeur FROM observations WHERE code = '62765' AND indicateur = 'part_logements_hlm'").fetchone()
    assert hlm is not None and 0 < hlm[0] < 100
    small = con.execute(
        "SELECT count(*) FROM observations WHERE code = '62001' AND indicateur = 'part_logements_hlm'"
    ).fetchone()[0]
    assert small == 0  # Acheville is not divided into IRIS: the census IRIS file does not cover it


def test_comparison_table_rows(vue, con, glossaire):
    refs = indicateurs.references_of_commune(vue, "62040")
    assert [t.niveau for t in refs] == ["commune", "epci", "departement", "france"]
    assert refs[1].code == "200069037"
    # Key figures: the latest year of the commune. Insee, cc_filosofi_2021_COM.csv: TP6021 = 20,0 for 62040.
    recent = indicateurs.comparison(vue, refs, ["taux_pauvrete"], recente=True).set_index("niveau")
    assert recent.loc["commune", "valeur"] == 20.0 and recent.loc["commune", "annee"] == 2021
    # No poverty rate of 2021 is published for départements and France in the mirror: 'absent', never 0.
    assert recent.loc["departement", "statut"] == "absent" and math.isnan(recent.loc["departement", "valeur"])
    # Tables: the year most territories have. Median: FILO2019_DISP_COM, _EPCI, _DEP and _METROPOLE.csv publish
    # the four of them (Q219 = 18 520, 19 730, 19 560, 21 930).
    comp = indicateurs.comparison(vue, refs, ["revenu_median", "taux_pauvrete"])
    med = comp[comp["indicateur"] == "revenu_median"].set_index("niveau")
    assert (med["annee"] == 2019).all() and med["valeur"].tolist() == [18520, 19730, 19560, 21930]
    # Poverty: 2016, the latest year published for the commune and its EPCI (filo16, TP6016 = 22 for 62040).
    pov = comp[comp["indicateur"] == "taux_pauvrete"].set_index("niveau")
    assert (pov["annee"] == 2016).all() and pov.loc["commune", "valeur"] == 22.0
    assert pov.loc["epci", "statut"] == "ok" and pov.loc["departement", "statut"] == "absent"


@pytest.mark.parametrize("code", ["62040", "62525", "62765"])
def test_ccas_demo_communes_have_income(con, code):
    assert value(con, "commune", code, "revenu_median", 2019)[1] == "ok"


SHAPEFILE_PARTS = (".dbf", ".shx", ".prj", ".cpg")


def test_every_mirror_file_is_read_and_reported(con, catalogue):
    reported = set(map(tuple, con.execute("SELECT source, fichier FROM chargements").fetchall()))
    for source in catalogue.values():
        for f in source.fichiers:
            name = f.chemin.split("/")[-1]
            if name.endswith(SHAPEFILE_PARTS) or name in ("LICENSE", "PROVENANCE.md"):
                continue  # read with their .shp; a licence text or the mirror's provenance note is not data
            assert (source.id, name) in reported, f"{source.id}/{f.chemin} non lu"


def test_load_report_counts_rejected_rows_with_reasons(con):
    row = con.execute(
        "SELECT lignes_lues, lignes_gardees, lignes_rejetees, raisons FROM chargements "
        "WHERE source = 'insee-anct-qpv-2015' AND fichier = 'data_filo16_qp_revdis.csv'"
    ).fetchone()
    lues, gardees, rejetees, raisons = row
    assert rejetees == 1 and lues == gardees + 1
    assert "Ensemble" in raisons


def test_epci_spanning_an_uncovered_departement_gets_no_partial_total(con):
    # COGugaison's 2021-2024 memberships cover the départements 42, 62, 77 and 94 only. CA Grand Paris Sud
    # (200059228) spans the Essonne and the Seine-et-Marne: summing its Seine-et-Marne communes would give a
    # partial population, so OSQ derives none; the CAPSO (all in the Pas-de-Calais) gets its sum.
    def derived(code):
        return con.execute("SELECT valeur FROM observations WHERE niveau = 'epci' AND code = ? AND indicateur = "
                           "'population' AND annee = 2024 AND source = 'osq-calculs'", [code]).fetchall()

    assert derived("200059228") == []
    capso = con.execute("SELECT sum(valeur) FROM observations WHERE niveau = 'commune' AND indicateur = 'population' "
                        "AND annee = 2024 AND code IN (SELECT code FROM appartenances WHERE cog = 2024 AND "
                        "niveau_parent = 'epci' AND code_parent = '200069037')").fetchone()[0]
    assert derived("200069037") == [(capso,)]

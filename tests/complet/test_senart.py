"""The Sénart observatory: its 8 communes taken from the national membership tables, its portrait compared with
its intercommunality, the départements that one covers and France, its ABS beside the portrait."""

from __future__ import annotations

from osq_utils import territoires
from osq_utils.batch import plan as pl
from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.indicateurs import zones
from osq_utils.notes import communale

SENART_YML = PROJECT_ROOT / "data" / "zones" / "senart.yml"
PARAMS = PROJECT_ROOT / "params" / "senart.yml"


def test_senart_is_the_former_san_inside_its_current_intercommunality(con):
    senart = zones.zones_du_fichier(con, SENART_YML)["SENART"]
    # COG 2014 (COGugaison): the 8 communes of the SAN Sénart Ville Nouvelle, as the seed counts them.
    assert set(senart.communes) == set(territoires.communes_of(con, "epci", "247700370", 2014))
    assert len(senart.communes) == 8 and not senart.iris
    # Today: a part of Grand Paris Sud Seine-Essonne-Sénart, which spans Seine-et-Marne and Essonne.
    gps = set(territoires.communes_of(con, "epci", "200059228"))
    assert set(senart.communes) < gps
    assert {c[:2] for c in gps} == {"77", "91"}


def test_the_portrait_compares_senart_with_its_intercommunality_its_departements_and_france(vue):
    senart = zones.zone(vue, "SENART", SENART_YML)
    refs = zones.references_of_zone(vue, senart)
    # Eight communes are not eight columns: the zone, its intercommunality, the two départements it covers, France.
    assert [(t.niveau, t.code) for t in refs] == [("zone", "SENART"), ("epci", "200059228"), ("departement", "77"),
                                                  ("departement", "91"), ("france", "FRM")]


def test_each_abs_of_senart_shows_the_portrait_beside_its_commune(con, vue):
    plan = pl.plan(con, PARAMS)
    abs_jobs = [j for j in plan.jobs if j.modele == "abs_ccas"]
    assert len(abs_jobs) == 8 * 3
    assert {j.parametres["zones"] for j in abs_jobs} == {str(SENART_YML)}
    assert [j.code for j in plan.jobs if j.modele == "note_zone"] == ["SENART"]
    refs = communale.references(vue, "77296", zones=str(SENART_YML), strate=True)
    assert [t.niveau for t in refs] == ["commune", "epci", "zone", "departement", "france", "strate"]

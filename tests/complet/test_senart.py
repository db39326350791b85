"""The Sénart observatory: its 8 communes taken from the national membership tables, its ABS beside its portrait."""

from __future__ import annotations

from osq_utils import territoires
from osq_utils.batch import plan as pl
from osq_utils.catalogues.groupements import load_groupements
from osq_utils.catalogues.racine import PROJECT_ROOT

SENART_YML = PROJECT_ROOT / "data" / "territoires" / "senart.yml"
PARAMS = PROJECT_ROOT / "params" / "senart.yml"


def test_senart_is_the_former_san_inside_its_current_intercommunality(con):
    (senart,) = load_groupements(SENART_YML, territoires.communes_connues(con)).values()
    # COG 2014 (COGugaison): the 8 communes of the SAN Sénart Ville Nouvelle, as the seed counts them.
    assert set(senart.communes) == set(territoires.communes_of(con, "epci", "247700370", 2014))
    assert len(senart.communes) == 8
    # Today: a part of Grand Paris Sud Seine-Essonne-Sénart, which spans Seine-et-Marne and Essonne.
    gps = set(territoires.communes_of(con, "epci", "200059228"))
    assert set(senart.communes) < gps
    assert {c[:2] for c in gps} == {"77", "91"}
    assert {c[:2] for c in senart.communes} == {"77"}


def test_each_abs_of_senart_shows_the_portrait_beside_its_commune(con):
    plan = pl.plan(con, PARAMS)
    abs_jobs = [j for j in plan.jobs if j.modele == "abs_ccas"]
    assert len(abs_jobs) == 8 * 3
    assert {j.parametres["groupements"] for j in abs_jobs} == {str(SENART_YML)}

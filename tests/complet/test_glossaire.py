
"""The glossary: complete definitions, and every indicator really present in the store."""

from __future__ import annotations


def test_every_indicator_is_in_the_store_at_its_levels_and_years(con, glossaire):
    found = con.execute("SELECT DISTINCT indicateur, niveau, annee FROM observations WHERE statut = 'ok'").df()
    for ind in glossaire:
        mine = found[found["indicateur"] == ind.code]
        for niveau in ind.niveaux:
            assert niveau in set(mine["niveau"]), (ind.code, niveau)
        assert set(ind.annees) == set(mine["annee"]), (ind.code, sorted(set(mine["annee"])))

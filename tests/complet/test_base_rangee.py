"""The whole mirror's store keeps its observations in territory order after every load (store.ranger)."""

from __future__ import annotations


def test_the_loaded_store_is_in_territory_order(con):
    backwards = con.execute(
        "SELECT count(*) FROM (SELECT niveau, code, lag(niveau) OVER (ORDER BY rowid) AS n0, "
        "lag(code) OVER (ORDER BY rowid) AS c0 FROM observations) WHERE n0 > niveau OR (n0 = niveau AND c0 > code)"
    ).fetchone()[0]
    assert backwards == 0
    assert con.execute("SELECT count(*) FROM observations").fetchone()[0] > 10_000_000

"""store.ranger: the observations stored in territory order, the table's schema and rows unchanged."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from osq_utils import store

# Rows of a made-up table (not real figures), written in the order sources are loaded.
LIGNES = [("62040", "commune", "b", 2019, 1.0, "s1"), ("02001", "commune", "a", 2019, 2.0, "s1"),
          ("62040", "commune", "a", 2018, 3.0, "s2"), ("200069037", "epci", "a", 2019, 4.0, "s2"),
          ("02001", "commune", "a", 2018, 5.0, "s2")]


def _physique(con) -> list[tuple]:
    return con.execute("SELECT niveau, code, indicateur, annee, valeur FROM observations ORDER BY rowid").fetchall()


def test_ranger_orders_the_rows_by_territory_and_keeps_them(tmp_path):
    con = store.connect(tmp_path / "osq.duckdb")
    frame = pd.DataFrame(LIGNES, columns=["code", "niveau", "indicateur", "annee", "valeur", "source"]).assign(statut="ok")
    con.register("f", frame)
    con.execute("INSERT INTO observations (code, niveau, indicateur, annee, valeur, source, statut) "
                "SELECT code, niveau, indicateur, annee, valeur, source, statut FROM f")
    before = sorted(_physique(con))
    assert _physique(con) != before  # loaded source by source: not in territory order
    store.ranger(con)
    assert _physique(con) == before
    # The schema is the store's: its check on statut and its defaults still hold.
    assert con.execute("SELECT DISTINCT estime FROM observations").fetchall() == [(False,)]
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO observations (code, niveau, indicateur, annee, source, statut) "
                    "VALUES ('1', 'commune', 'a', 2019, 's', 'faux')")
    con.close()

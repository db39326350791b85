"""The precision a producer published travels from its file to the store (observations.decimales)."""

from __future__ import annotations

import duckdb
import pandas as pd

from osq_utils import store
from osq_utils.ingest.base import decimales_of, observations
from osq_utils.ingest.tabular import published_decimals, read_validated


def test_published_decimals_is_the_most_digits_of_the_column():
    # A writer drops trailing zeros: "18" next to "17.8" is still a one-decimal column.
    assert published_decimals(pd.Series(["17.8", "18", ""])) == 1
    assert published_decimals(pd.Series(["20", "21", "s"])) == 0
    assert published_decimals(pd.Series(["", "nd"])) is None


def test_read_validated_records_precision_per_column(tmp_path):
    path = tmp_path / "f.csv"
    # Illustrative cells, not real figures.
    path.write_text("CODGEO;TP;MED\n62040;21;18 520,5\n62041;;17 000\n", encoding="utf-8")
    df = read_validated(path, sep=";", code_column="CODGEO", niveau="commune", numeric=["TP", "MED"])
    assert decimales_of(df, "TP") == 0
    assert decimales_of(df, "MED") == 1
    obs = observations(df["CODGEO"], niveau="commune", indicateur="x", annee=2019, valeur=df["TP"],
                       decimales=decimales_of(df, "TP"))
    assert obs["decimales"].tolist() == [0, 0]


def test_an_older_store_gains_the_precision_column(tmp_path):
    path = tmp_path / "ancienne.duckdb"
    con = duckdb.connect(str(path))
    con.execute(store.SCHEMA.replace(",\n    decimales SMALLINT", ""))
    con.execute("INSERT INTO observations (code, niveau, indicateur, annee, valeur, source, statut) "
                "VALUES ('62040', 'commune', 'x', 2019, 1.0, 's', 'ok')")
    assert "decimales" not in [r[0] for r in con.execute("DESCRIBE observations").fetchall()]
    con.close()
    con = store.connect(path)
    assert con.execute("SELECT decimales FROM observations").fetchall() == [(None,)]
    con.close()

"""The precision a producer published travels from its file to the store (observations.decimales)."""

from __future__ import annotations

import zipfile

import duckdb
import pandas as pd
import pytest

from osq_utils import store
from osq_utils.errors import OsqError
from osq_utils.ingest.base import absent_of, communes_and_arm, decimales_of, observations
from osq_utils.ingest.tabular import published_decimals, read_header, read_validated, zip_members


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


def test_precision_of_a_subset_of_rows(tmp_path):
    # Illustrative cells: a commune file whose arrondissements carry one decimal and communes none.
    path = tmp_path / "f.csv"
    path.write_text("CODGEO;TP\n62040;21\n62041;18\n75101;10.3\n", encoding="utf-8")
    df = read_validated(path, sep=";", code_column="CODGEO", niveau="commune", numeric=["TP"])
    (_, communes), (_, arm) = communes_and_arm(df, "CODGEO")
    assert (decimales_of(df, "TP"), decimales_of(communes, "TP"), decimales_of(arm, "TP")) == (1, 0, 1)
    assert communes["CODGEO"].tolist() == ["62040", "62041"] and arm["CODGEO"].tolist() == ["75101"]


def test_producer_marks_of_missing_cells_become_statuts(tmp_path):
    # Illustrative cells in Filosofi 2021's layout: « s » secret, « nd » not available, decimal comma.
    path = tmp_path / "f.csv"
    path.write_text("CODGEO;TP\n62040;20,0\n62041;s\n62042;nd\n", encoding="utf-8")
    df = read_validated(path, sep=";", code_column="CODGEO", niveau="commune", numeric=["TP"],
                        marqueurs={"s": "secret", "nd": "absent"})
    obs = observations(df["CODGEO"], niveau="commune", indicateur="x", annee=2021, valeur=df["TP"],
                       decimales=decimales_of(df, "TP"), absent=absent_of(df, "TP"))
    assert obs["statut"].tolist() == ["ok", "secret", "absent"]
    assert obs["valeur"].iloc[0] == 20.0 and obs["valeur"].iloc[1:].isna().all()
    assert obs["decimales"].tolist() == [1, 1, 1]
    with pytest.raises(OsqError, match="valeur non numérique « s »"):
        read_validated(path, sep=";", code_column="CODGEO", niveau="commune", numeric=["TP"])


def test_a_member_of_a_zip_is_read_and_located_in_errors(tmp_path):
    # Illustrative cells, in a zip as INSEE ships the comparateur de territoires.
    path = tmp_path / "base.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("base_cc.CSV", "CODGEO;P18_POP\r\n62040;100\r\n")
        zf.writestr("abime.CSV", "CODGEO;P18_POP\r\n6204;100\r\n")
    assert zip_members(path) == ["base_cc.CSV", "abime.CSV"]
    assert read_header(path, sep=";", membre="base_cc.CSV") == ["CODGEO", "P18_POP"]
    df = read_validated(path, sep=";", code_column="CODGEO", niveau="commune", numeric=["P18_POP"], membre="base_cc.CSV")
    assert df["P18_POP"].tolist() == [100.0] and decimales_of(df, "P18_POP") == 0
    with pytest.raises(OsqError) as err:
        read_validated(path, sep=";", code_column="CODGEO", niveau="commune", numeric=[], membre="abime.CSV")
    assert "base.zip › abime.CSV" in str(err.value) and err.value.ligne == 2 and "zéro initial" in err.value.message
    with pytest.raises(OsqError, match="membre « absent.csv » absent de l'archive"):
        read_header(path, sep=";", membre="absent.csv")


def test_absent_cells_are_never_secret_nor_zero():
    # Illustrative: a census cell missing for a commune created since (absent), next to a published zero.
    codes = pd.Series(["14666", "62040"])
    obs = observations(codes, niveau="commune", indicateur="x", annee=2018, valeur=pd.Series([float("nan"), 0.0]),
                       absent=True)
    assert obs["statut"].tolist() == ["absent", "ok"] and obs["valeur"].iloc[1] == 0.0

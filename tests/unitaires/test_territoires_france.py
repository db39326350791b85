"""Pure logic of the national territories: passages written backwards, contours brought to a later COG,
INSEE's membership workbooks, and what a typed commune code stands for.

Every table here is illustrative, written in the test (no mirror, no store file): the real cases are in
tests/complet/test_territoires_france.py.
"""

from __future__ import annotations

import duckdb
import geopandas as gpd
import pandas as pd
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook
from shapely.geometry import box

from osq_utils import store, territoires
from osq_utils.errors import OsqError
from osq_utils.ingest.contours import dissolve_to_cog
from osq_utils.ingest.referentiels import _check_zone_counts, orient_passages, tagc_cog_year, tagc_sheet

COLS = ["annee_depart", "annee_arrivee", "code_depart", "code_arrivee", "type_modif", "ratio"]


def _passages(rows):
    return pd.DataFrame(rows, columns=COLS)


# --- passages written backwards -----------------------------------------------------------------


def test_a_year_written_backwards_is_put_back_in_order():
    passages = _passages([
        # 2021→2022 in order: two communes merge into 00002.
        (2021, 2022, "00001", "00002", "f", 1.0), (2021, 2022, "00002", "00002", "f", 1.0),
        # 2022→2023 backwards: "00004 → 00003, 00004" for 00003 merged into 00004; a split "several → one".
        (2022, 2023, "00004", "00003", "f", 1.0), (2022, 2023, "00004", "00004", "f", 1.0),
        (2022, 2023, "00005", "00005", "d", 0.4), (2022, 2023, "00006", "00005", "d", 0.6),
        (2022, 2023, "00008", "00007", "c", 1.0),
    ])
    out, years = orient_passages(passages)
    assert years == [2022]
    assert out.iloc[:2].equals(passages.iloc[:2])
    late = out[out["annee_depart"] == 2022]
    assert list(zip(late["code_depart"], late["code_arrivee"], late["ratio"])) == [
        ("00003", "00004", 1.0), ("00004", "00004", 1.0), ("00005", "00005", 0.4), ("00005", "00006", 0.6),
        ("00007", "00008", 1.0)]


def test_a_year_in_order_is_left_alone():
    passages = _passages([(2016, 2017, "00001", "00002", "f", 1.0), (2016, 2017, "00002", "00002", "f", 1.0),
                          (2016, 2017, "00003", "00003", "d", 0.5), (2016, 2017, "00003", "00009", "d", 0.5)])
    out, years = orient_passages(passages)
    assert years == [] and out.equals(passages)


# --- contours brought to a later COG ------------------------------------------------------------


def test_dissolve_merges_fused_communes_and_leaves_split_ones_without_contour():
    communes = gpd.GeoDataFrame({"code": ["00001", "00002", "00003", "00004", "00005", "00006"],
                                 "nom": ["Un", "Deux", "Trois", "Quatre", "Cinq", "Six"]},
                                geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1), box(3, 0, 4, 1),
                                          box(4, 0, 5, 1), box(5, 0, 6, 1)], crs="EPSG:4326")
    table = _passages([
        (0, 0, "00002", "00001", "f", 1.0), (0, 0, "00001", "00001", "f", 1.0),  # 00002 merged into 00001
        (0, 0, "00003", "00003", "d", 0.5), (0, 0, "00003", "00007", "d", 0.5),  # 00003 split
        (0, 0, "00004", "00008", "c", 1.0),  # new code
        (0, 0, "00009", "00005", "f", 1.0), (0, 0, "00005", "00005", "f", 1.0),  # 00009 has no contour
    ])[["code_depart", "code_arrivee", "type_modif", "ratio"]]
    out, fate = dissolve_to_cog(communes, table)
    got = out.set_index("code")
    assert sorted(got.index) == ["00001", "00006", "00008"]
    assert got.loc["00001", "geometry"].equals(box(0, 0, 2, 1)) and got.loc["00001", "libelle"] is None
    assert got.loc["00008", "geometry"].equals(box(3, 0, 4, 1))
    assert got.loc["00006", "libelle"] == "Six"
    assert fate.to_dict() == {"00001": "garde", "00002": "fusionnee", "00003": "defusionnee", "00004": "garde",
                              "00005": "partielle", "00006": "garde"}


# --- INSEE's membership workbooks ---------------------------------------------------------------


def _workbook(tmp_path, header: list[str], rows: list[list], title: str = "Géographie au 01/01/2024"):
    path = tmp_path / "tagc.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("COM")
    ws.write(0, 0, "Liste des communes au 1er janvier 2024")
    ws.write(2, 0, f"Mise en ligne le 18/03/2024       {title}")
    ws.write_row(4, 0, [f"libellé {c}" for c in header])
    ws.write_row(5, 0, header)
    for i, r in enumerate(rows):
        ws.write_row(6 + i, 0, r)
    wb.close()
    return path, CalamineWorkbook.from_path(str(path))


def test_sheet_is_read_as_text_with_excel_rows(tmp_path):
    path, wb = _workbook(tmp_path, ["CODGEO", "LIBGEO", "DEP"], [["01001", "Un", "01"], ["2A004", "Deux", "2A"]])
    assert tagc_cog_year(wb, path) == 2024
    df = tagc_sheet(wb, "COM", path, ["CODGEO", "DEP"])
    assert df.to_dict("list") == {"CODGEO": ["01001", "2A004"], "DEP": ["01", "2A"]}
    assert list(df.index + 2) == [7, 8]  # tabular.line_of: the Excel rows


def test_missing_column_and_numeric_code_are_located(tmp_path):
    path, wb = _workbook(tmp_path, ["CODGEO", "LIBGEO"], [["01001", "Un"]])
    with pytest.raises(OsqError) as info:
        tagc_sheet(wb, "COM", path, ["CODGEO", "DEP"])
    assert (info.value.ligne, info.value.colonne) == (6, "DEP") and "feuille « COM »" in str(info.value.fichier)
    path, wb = _workbook(tmp_path, ["CODGEO", "LIBGEO"], [["01001", "Un"], [1002, "Deux"]])
    df = tagc_sheet(wb, "COM", path, ["CODGEO"])
    assert df["CODGEO"].tolist() == ["01001", "1002.0"]  # then validate_codes: « écrit comme un nombre »
    path, wb = _workbook(tmp_path, ["CODGEO"], [["01001"]], title="Géographie inconnue")
    with pytest.raises(OsqError) as info:
        tagc_cog_year(wb, path)
    assert "Géographie au 01/01/AAAA" in info.value.message


def test_zone_counts_must_match_the_communes():
    com = pd.DataFrame({"CODGEO": ["01001", "01002", "01004"], "EPCI": ["200000001", "200000001", "200000002"]})
    zones = pd.DataFrame({"NIVGEO": ["EPCI", "EPCI"], "CODGEO": ["200000001", "200000002"], "NB_COM": ["2.0", "1.0"]})
    _check_zone_counts(com, zones, "tagc.xlsx", ["EPCI"])
    zones.loc[1, "NB_COM"] = "3.0"
    with pytest.raises(OsqError) as info:
        _check_zone_counts(com, zones, "tagc.xlsx", ["EPCI"])
    assert "« 200000002 » : 3 communes annoncées" in info.value.message and "1 dans la feuille « COM »" in info.value.message


# --- what a typed commune code stands for ---------------------------------------------------------


@pytest.fixture
def con():
    connection = duckdb.connect()
    connection.execute(store.SCHEMA)
    connection.execute("""INSERT INTO territoires (niveau, code, libelle, cog, source) VALUES
        ('commune', '01053', 'Ville-Préfecture', 2024, 't'), ('commune', '01138', 'Ville-Nouvelle', 2024, 't'),
        ('commune', '01039', 'Ancienne', 2022, 't'), ('commune', '01138', 'Ville', 2022, 't'),
        ('commune', '75056', 'Capitale', 2024, 't'), ('arm', '75112', 'Capitale 12e Arrondissement', 2024, 't')""")
    connection.execute("""INSERT INTO passages_cog VALUES
        (2022, 2023, '01039', '01138', '01/01/2023', 'f', 1.0, 't'), (2022, 2023, '01138', '01138', '01/01/2023', 'f', 1.0, 't'),
        (2023, 2024, '01099', '01098', '2023-06-15', 'c', 1.0, 't')""")
    connection.execute("INSERT INTO appartenances VALUES (2024, 'arm', '75112', 'commune', '75056', 't')")
    yield connection
    connection.close()


def test_typed_codes(con):
    assert territoires.code_commune(con, "01053") == territoires.CodeCommune("01053", "commune", "Ville-Préfecture")
    assert territoires.code_commune(con, "75112").niveau == "arm"
    with pytest.raises(territoires.CodeCommuneInvalide) as info:
        territoires.code_commune(con, "01039")
    assert info.value.message == ("la commune « 01039 » (Ancienne) n'existe plus dans le code officiel géographique 2024 : "
                                  "elle a fusionné le 1er janvier 2023 et fait aujourd'hui partie de la commune "
                                  "Ville-Nouvelle (01138)")
    assert '"01138"' in info.value.correction
    with pytest.raises(territoires.CodeCommuneInvalide) as info:
        territoires.code_commune(con, "1053")
    assert "perdu son zéro initial (« 01053 » est Ville-Préfecture (01053))" in info.value.message
    assert territoires.README_CODES in info.value.message and '"01053"' in info.value.correction
    with pytest.raises(territoires.CodeCommuneInvalide) as info:
        territoires.code_commune(con, "99999")
    assert "inconnu" in info.value.message


def test_french_dates_of_passages():
    assert territoires._date_fr("2019-01-01", 2019) == "le 1er janvier 2019"
    assert territoires._date_fr("25/09/2018", 2019) == "le 25 septembre 2018"
    assert territoires._date_fr(None, 2019) == "entre le 1er janvier 2018 et le 1er janvier 2019"

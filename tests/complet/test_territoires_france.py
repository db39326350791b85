"""Territories of all France: INSEE's tables d'appartenance géographique 2022 and 2024, municipal
arrondissements, EPT, the passage tables and the commune contours brought to the COG 2024.

Every expected value is read at run time from the mirror's files (the producer's workbooks, read here with
python-calamine independently of the reader, and the GeoJSON contours); the store is the whole mirror
ingested (tests/complet/conftest.py).
"""

from __future__ import annotations

import io
import json
import zipfile
from functools import cache

import pandas as pd
import pytest
import shapely
import shapely.geometry
from python_calamine import CalamineWorkbook
from shapely import wkb

from osq_utils import indicateurs, territoires
from osq_utils.agregation import passages_between
from osq_utils.batch.plan import plan
from osq_utils.errors import OsqError
from osq_utils.sources import mirror_dir

MIRROR = mirror_dir()
TAGC = {2022: ("insee-tagc-2022", "table-appartenance-geo-communes-22.zip"),
        2024: ("insee-tagc-2024", "table-appartenance-geo-communes-2024.xlsx")}
CONTOURS = "ign-admin-express-2018-communes-france"
NONE = "ZZZZZZZZZ"


@cache
def sheet(cog: int, name: str) -> pd.DataFrame:
    """A sheet of the producer's workbook, header on row 6, every cell as text."""
    source_id, chemin = TAGC[cog]
    path = MIRROR / source_id / chemin
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(zf.read(zf.namelist()[0])))
    else:
        workbook = CalamineWorkbook.from_path(str(path))
    rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    return pd.DataFrame(rows[6:], columns=rows[5]).astype(str)


def row(cog: int, name: str, code: str) -> pd.Series:
    found = sheet(cog, name)
    found = found[found["CODGEO"] == code]
    assert len(found) == 1, (cog, name, code)
    return found.iloc[0]


def members(con, cog: int, niveau: str, code: str, niveau_parent: str) -> set[str]:
    return {c for (c,) in con.execute(
        "SELECT code_parent FROM appartenances WHERE source LIKE 'insee-tagc-%' AND cog = ? AND niveau = ? AND code = ? "
        "AND niveau_parent = ?", [cog, niveau, code, niveau_parent]).fetchall()}


# --- communes of each COG ---------------------------------------------------------------------


@pytest.mark.parametrize(("cog", "expected"), [(2022, 34_955), (2024, 34_935)])
def test_every_commune_of_each_cog(con, cog, expected):
    com = sheet(cog, "COM")
    assert len(com) == expected  # INSEE's count of communes on 1 January (PROVENANCE.md)
    got = dict(con.execute("SELECT code, libelle FROM territoires WHERE source = ? AND niveau = 'commune'",
                           [TAGC[cog][0]]).fetchall())
    assert got == dict(zip(com["CODGEO"], com["LIBGEO"]))
    assert con.execute("SELECT count(DISTINCT code) FROM appartenances WHERE source = ? AND niveau = 'commune' "
                       "AND niveau_parent = 'departement'", [TAGC[cog][0]]).fetchone()[0] == expected


@pytest.mark.parametrize("cog", [2022, 2024])
@pytest.mark.parametrize(("commune", "epci"), [("62040", "200069037"), ("42218", "244200770")])
def test_arques_and_saint_etienne(con, cog, commune, epci):
    r = row(cog, "COM", commune)
    assert r["EPCI"] == epci  # CA du Pays de Saint-Omer, Saint-Étienne Métropole (MANIFEST)
    assert members(con, cog, "commune", commune, "epci") == {epci}
    assert members(con, cog, "commune", commune, "departement") == {r["DEP"]}
    assert members(con, cog, "commune", commune, "region") == {r["REG"]}
    assert members(con, cog, "commune", commune, "france") == {"FRM", "FR"}
    assert territoires.parent(con, "commune", commune, "epci", cog) == epci
    assert commune in territoires.communes_of(con, "epci", epci, cog)


@pytest.mark.parametrize("cog", [2022, 2024])
def test_epci_departement_region_counts_match_the_zones_sheet(con, cog):
    zones = sheet(cog, "Zones_supra_communales")
    for nivgeo, niveau in (("EPCI", "epci"), ("DEP", "departement"), ("REG", "region")):
        stated = zones[(zones["NIVGEO"] == nivgeo) & (zones["CODGEO"] != NONE)]
        counts = dict(con.execute(
            "SELECT code_parent, count(DISTINCT code) FROM appartenances WHERE source = ? AND niveau = 'commune' "
            "AND niveau_parent = ? GROUP BY 1", [TAGC[cog][0], niveau]).fetchall())
        assert counts == {c: int(float(n)) for c, n in zip(stated["CODGEO"], stated["NB_COM"])}, nivgeo
        labels = dict(con.execute("SELECT code, libelle FROM territoires WHERE source = ? AND niveau = ?",
                                  [TAGC[cog][0], niveau]).fetchall())
        assert labels == dict(zip(stated["CODGEO"], stated["LIBGEO"])), nivgeo


@pytest.mark.parametrize("cog", [2022, 2024])
def test_communes_outside_any_epci_have_no_row(con, cog):
    com = sheet(cog, "COM")
    islands = set(com.loc[com["EPCI"] == NONE, "CODGEO"])
    assert len(islands) == 4  # Île-de-Bréhat, Île-de-Sein, Ouessant, L'Île-d'Yeu
    rows = con.execute("SELECT DISTINCT code_parent FROM appartenances WHERE source = ? AND niveau = 'commune' "
                       "AND niveau_parent = 'epci' AND code IN (SELECT unnest(?))", [TAGC[cog][0], list(islands)]).fetchall()
    assert rows == []
    assert NONE not in {c for (c,) in con.execute("SELECT code_parent FROM appartenances WHERE source = ?",
                                                   [TAGC[cog][0]]).fetchall()}


def test_corsica_codes_kept(con):
    com = sheet(2024, "COM")
    for dep in ("2A", "2B"):
        expected = set(com.loc[com["DEP"] == dep, "CODGEO"])
        assert expected and all(c.startswith(dep) for c in expected)
        assert set(territoires.communes_of(con, "departement", dep, 2024)) == expected
    ajaccio = row(2024, "COM", "2A004")
    assert territoires.parent(con, "commune", "2A004", "departement", 2024) == "2A"
    assert territoires.parent(con, "commune", "2A004", "region", 2024) == ajaccio["REG"] == "94"
    assert territoires.libelle(con, "departement", "2B", 2024) == row(2024, "Zones_supra_communales", "2B")["LIBGEO"]


# --- arrondissements and EPT ------------------------------------------------------------------


@pytest.mark.parametrize("cog", [2022, 2024])
def test_paris_arrondissement(con, cog):
    arm = row(cog, "ARM", "75112")
    assert arm["COM"] == "75056"
    assert territoires.libelle(con, "arm", "75112", cog) == arm["LIBGEO"]
    assert members(con, cog, "arm", "75112", "commune") == {"75056"}
    assert members(con, cog, "arm", "75112", "epci") == {arm["EPCI"]} == {"200054781"}  # Métropole du Grand Paris
    assert members(con, cog, "arm", "75112", "departement") == {"75"}
    assert members(con, cog, "arm", "75112", "region") == {arm["REG"]}
    assert members(con, cog, "arm", "75112", "france") == {"FRM", "FR"}
    if cog == 2024:
        assert arm["EPT"] == NONE  # Paris belongs to no établissement public territorial
        assert members(con, cog, "arm", "75112", "ept") == set()
    assert len(territoires.arrondissements_of(con, "75056", cog)) == 20
    assert len(territoires.arrondissements_of(con, "69123", cog)) == 9
    assert len(territoires.arrondissements_of(con, "13055", cog)) == 16
    assert territoires.arrondissements_of(con, "62040", cog) == ()


def test_ept_of_the_grand_paris(con):
    com = sheet(2024, "COM")
    ept = com[com["EPT"] != NONE]
    zones = sheet(2024, "Zones_supra_communales")
    stated = zones[(zones["NIVGEO"] == "EPT") & (zones["CODGEO"] != NONE)]
    assert len(stated) == 11
    for code, label, n in zip(stated["CODGEO"], stated["LIBGEO"], stated["NB_COM"]):
        communes = territoires.communes_of(con, "ept", code, 2024)
        assert set(communes) == set(ept.loc[ept["EPT"] == code, "CODGEO"]) and len(communes) == int(float(n))
        assert territoires.libelle(con, "ept", code, 2024) == label
        assert territoires.parent(con, "ept", code, "epci", 2024) == "200054781"
    creteil = row(2024, "COM", "94028")
    assert territoires.parent(con, "commune", "94028", "ept", 2024) == creteil["EPT"]
    refs = indicateurs.references_of_commune(con, "94028")
    assert [t.niveau for t in refs] == ["commune", "epci", "ept", "departement", "france"]
    assert indicateurs.intercommunalite_de(refs).code == creteil["EPT"]


def test_arrondissement_and_commune_never_in_one_total(con):
    com = sheet(2024, "COM")
    arm = sheet(2024, "ARM")
    france = territoires.communes_of(con, "france", territoires.FRANCE_ENTIERE, 2024)
    assert set(france) == set(com["CODGEO"]) and not set(france) & set(arm["CODGEO"])
    metro = territoires.communes_of(con, "france", territoires.FRANCE, 2024)
    assert set(metro) == set(com.loc[~com["DEP"].str.startswith("97"), "CODGEO"])
    assert territoires.communes_of(con, "departement", "75", 2024) == ("75056",)
    marseille = set(territoires.communes_of(con, "epci", "200054807", 2024))
    assert "13055" in marseille and not marseille & set(arm["CODGEO"])
    assert set(territoires.communes_of(con, "region", "94", 2024)) == set(com.loc[com["REG"] == "94", "CODGEO"])


def test_references_of_an_arrondissement(con):
    refs = indicateurs.references_of_commune(con, "75112")
    assert [(t.niveau, t.code) for t in refs] == [
        ("arm", "75112"), ("commune", "75056"), ("epci", "200054781"), ("departement", "75"), ("france", "FRM")]
    assert len({t.libelle for t in refs}) == len(refs)  # Paris the commune, Paris the département
    refs = indicateurs.references_of_commune(con, "97411")
    assert refs[-1].code == territoires.FRANCE_ENTIERE and refs[-1].libelle == "France"


# --- the passage tables ------------------------------------------------------------------------


def test_passages_lead_every_former_commune_to_a_commune_of_2024(con):
    """COGugaison's 2022→2023 and 2023→2024 passages are written backwards in the mirror: once put back in
    order by the reader, every commune of 2022 absent from 2024 leads to 2024 communes, and every
    arrival of the passages from 2014 on is a commune of 2024 (INSEE's 2024 table)."""
    passages = con.execute("SELECT * FROM passages_cog").df()
    com22, com24 = set(sheet(2022, "COM")["CODGEO"]), set(sheet(2024, "COM")["CODGEO"])
    table = passages_between(passages, 2022, 2024)
    gone = com22 - com24
    assert gone and gone <= set(table["code_depart"])
    assert set(table.loc[table["code_depart"].isin(gone), "code_arrivee"]) <= com24
    assert set(passages_between(passages, 2014, 2024)["code_arrivee"]) <= com24
    beon = table[table["code_depart"] == "01039"]  # Béon, merged into Culoz-Béon on 1 January 2023
    assert list(zip(beon["code_arrivee"], beon["type_modif"])) == [("01138", "f")]
    assert row(2024, "COM", "01138")["LIBGEO"] == "Culoz-Béon" and "01039" in com22
    report = json.loads(con.execute("SELECT raisons FROM chargements WHERE source = 'cogugaison-2014-2024' "
                                    "AND fichier LIKE 'passage%'").fetchone()[0])
    assert any("2022→2023, 2023→2024" in k for k in report)


# --- commune contours in the COG 2024 ------------------------------------------------------------


def _features(dep_file: str) -> dict[str, shapely.Geometry]:
    data = json.loads((MIRROR / CONTOURS / dep_file).read_text(encoding="utf-8"))
    return {f["properties"]["code"]: shapely.geometry.shape(f["geometry"]) for f in data["features"]}


def test_one_contour_per_commune_of_2024(con):
    geoms = con.execute("SELECT code, source, millesime FROM geometries WHERE niveau = 'commune'").df()
    assert not geoms["code"].duplicated().any()
    assert set(geoms["source"]) == {CONTOURS}
    com24 = set(sheet(2024, "COM")["CODGEO"])
    assert set(geoms["code"]) <= com24
    missing = com24 - set(geoms["code"])
    # Only communes split since 2018 (défusions): the 2018 tracé does not separate them.
    passages = con.execute("SELECT * FROM passages_cog").df()
    split = passages_between(passages, 2018, 2024)
    split = split[split["type_modif"] == "d"]
    assert missing and missing <= set(split["code_depart"]) | set(split["code_arrivee"])
    # The older source's four files are the same bytes: it stores the départements only.
    assert con.execute("SELECT DISTINCT niveau FROM geometries WHERE source = 'ign-admin-express-2018-communes'"
                       ).fetchall() == [("departement",)]


def test_merged_commune_is_dissolved(con):
    # Canteleux (62210) merged into Bonnières (62154) after the 2018 tracé.
    f2018 = _features("communes-62-pas-de-calais.geojson")
    assert {"62210", "62154"} <= set(f2018) and "62210" not in set(sheet(2024, "COM")["CODGEO"])
    (blob,) = con.execute("SELECT wkb FROM geometries WHERE niveau = 'commune' AND code = '62154'").fetchone()
    got = wkb.loads(bytes(blob))
    expected = shapely.union_all([f2018["62210"], f2018["62154"]])
    assert got.area == pytest.approx(expected.area, rel=1e-9)
    assert got.symmetric_difference(expected).area < 1e-9
    # An unchanged commune keeps its tracé as published.
    (blob,) = con.execute("SELECT wkb FROM geometries WHERE niveau = 'commune' AND code = '62040'").fetchone()
    assert wkb.loads(bytes(blob)).equals_exact(f2018["62040"], 0)


def test_every_commune_of_an_epci_can_be_drawn(con):
    for epci in ("200069037", "244200770", "200054781", "242010056"):  # CAPSO, Saint-Étienne, Grand Paris, Ajaccio
        communes = set(territoires.communes_of(con, "epci", epci, 2024))
        drawn = {c for (c,) in con.execute("SELECT code FROM geometries WHERE niveau = 'commune' "
                                            "AND code IN (SELECT unnest(?))", [list(communes)]).fetchall()}
        assert communes and drawn == communes, epci


# --- codes typed by a user --------------------------------------------------------------------


def test_code_of_a_current_commune_or_arrondissement(con):
    assert territoires.code_commune(con, "2A004").niveau == "commune"
    got = territoires.code_commune(con, "75112")
    assert (got.niveau, got.libelle) == ("arm", row(2024, "ARM", "75112")["LIBGEO"])
    for code in ("69383", "13205"):
        assert territoires.code_commune(con, code).niveau == "arm"


def test_merged_away_code_names_its_commune(con):
    with pytest.raises(territoires.CodeCommuneInvalide) as info:
        territoires.code_commune(con, "62210")
    message = info.value.message
    assert "n'existe plus" in message and "fusionné" in message
    assert f"{row(2024, 'COM', '62154')['LIBGEO']} (62154)" in message
    assert '"62154"' in info.value.correction


def test_lost_leading_zero_gets_the_readme_explanation(con):
    with pytest.raises(territoires.CodeCommuneInvalide) as info:
        territoires.code_commune(con, "1053")
    assert "zéro initial" in info.value.message and "« 01053 »" in info.value.message
    assert row(2024, "COM", "01053")["LIBGEO"] in info.value.message
    assert "README.md, section « Codes des communes »" in info.value.message
    readme = (territoires.__file__.rsplit("/osq_utils/", 1)[0] + "/README.md")
    assert "## Codes des communes" in open(readme, encoding="utf-8").read()


def _params(tmp_path, communes: str):
    path = tmp_path / "essai.yml"
    path.write_text("observatoire:\n  id: essai\nnotes:\n  - modele: abs_ccas\n    themes: [sante]\n    territoires:\n"
                    f"      communes: {communes}\n", encoding="utf-8")
    return path


def test_plan_gives_the_same_messages(con, tmp_path):
    for code, expected in (('"62210"', "62154"), ('"1053"', "01053")):
        path = _params(tmp_path, f'["62040", {code}]')
        line = path.read_text(encoding="utf-8").splitlines()[6]
        with pytest.raises(OsqError) as info:
            plan(con, path)
        with pytest.raises(territoires.CodeCommuneInvalide) as direct:
            territoires.code_commune(con, code.strip('"'))
        assert info.value.message.startswith(direct.value.message) and expected in info.value.message
        assert info.value.correction == direct.value.correction
        assert (info.value.ligne, info.value.colonne) == (7, line.index(code) + 1)
    jobs = plan(con, _params(tmp_path, '["75112", "2A004", "97411"]')).jobs
    assert [(j.niveau, j.code, j.libelle) for j in jobs] == [
        ("arm", "75112", row(2024, "ARM", "75112")["LIBGEO"]), ("commune", "2A004", "Ajaccio"),
        ("commune", "97411", row(2024, "COM", "97411")["LIBGEO"])]

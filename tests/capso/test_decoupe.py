"""Middle test tier: a CAPSO-only store cut at run time from the mirror, ingested by the real readers.

Expected values are read from the ORIGINAL mirror files at test time, never written here. The cut and
its store are the tier's session fixtures (tests/capso/conftest.py).
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import re
import zipfile

import decoupe
import pytest
from decoupe import EPCI_CAPSO

from osq_utils.sources import mirror_dir

MIRROR = mirror_dir()


# --- reading the original mirror files ----------------------------------------------------------

def rows(source_id: str, chemin: str, sep: str) -> list[dict[str, str]]:
    with open(MIRROR / source_id / chemin, encoding="utf-8-sig", newline="") as fh:
        return [{k.strip(): (v or "").strip() for k, v in r.items() if k} for r in csv.DictReader(fh, delimiter=sep)]


def number(text: str) -> float:
    return float(re.sub(r"[\s\u00a0\u202f]", "", text).replace(",", "."))


def row_of(source_id: str, chemin: str, sep: str, column: str, code: str) -> dict[str, str]:
    found = [r for r in rows(source_id, chemin, sep) if r[column] == code]
    assert len(found) == 1, f"{code} dans {source_id}/{chemin}"
    return found[0]


def capso_communes_2026() -> set[str]:
    return {r["commune_code"] for r in rows("etalab-decoupage-administratif-2026", "epci_membres_2026.csv", ",")
            if r["epci_code"] == EPCI_CAPSO}


def supracom() -> list[dict[str, str]]:
    return rows("cogugaison-2014-2024", "table_supracom_2014_2024_dep42_62_77_94.csv", ",")


# --- fixtures (coupe, store_file, con: tests/capso/conftest.py) ------------------------------------


@pytest.fixture
def cut(coupe):
    return coupe


@pytest.fixture
def store_capso(store_file):
    return store_file


def observation(con, source: str, niveau: str, code: str, indicateur: str, annee: int) -> float:
    found = con.execute(
        "SELECT valeur FROM observations WHERE source = ? AND niveau = ? AND code = ? AND indicateur = ? AND annee = ?",
        [source, niveau, code, indicateur, annee]).fetchall()
    assert len(found) == 1, (source, niveau, code, indicateur, annee, found)
    return found[0][0]


# --- the cut ------------------------------------------------------------------------------------

def test_cut_is_fast_and_covers_every_catalogue_file(cut, catalogue):
    dest, report = cut
    # Its duration is measured by bench/bench_tiers.py, never asserted here.
    for source in catalogue.values():
        for f in source.fichiers:
            assert (dest / source.id / f.chemin).is_file(), f"{source.id}/{f.chemin}"
            assert f"{source.id}/{f.chemin}" in report["fichiers"]


def test_cut_is_much_smaller_than_the_mirror(cut):
    _, report = cut
    # The national membership tables (TAGC 2022 and 2024, 5 MB) are copied whole: a twentieth of the mirror
    # with them, an eighth of that without.
    assert report["octets"] < report["octets_miroir"] / 15


def test_big_file_without_rule_is_refused():
    with pytest.raises(ValueError, match="aucune règle"):
        decoupe.rule_for("source-inconnue", "table.csv", 10 * decoupe.SMALL_FILE)


def _terminators(lines: list[bytes]) -> set[bytes]:
    return {line[len(line.rstrip(b"\r\n")):] for line in lines if line.rstrip(b"\r\n") != line}


def test_csv_lines_are_copied_byte_for_byte(cut):
    dest, report = cut
    checked = 0
    for key, entry in report["fichiers"].items():
        if not key.endswith((".csv", ".csv.gz")) or "lues" not in entry:
            continue
        original, copy = (MIRROR / key).read_bytes(), (dest / key).read_bytes()
        if key.endswith(".gz"):  # the cut of a gzip CSV is compared on its text
            original, copy = gzip.decompress(original), gzip.decompress(copy)
        o_lines, c_lines = original.splitlines(keepends=True), copy.splitlines(keepends=True)
        assert c_lines[0].rstrip(b"\r\n") == o_lines[0].rstrip(b"\r\n"), key  # header, BOM included
        assert _terminators(c_lines) <= _terminators(o_lines), key  # CRLF stays CRLF
        assert copy.endswith(b"\n") == original.endswith(b"\n"), key  # final newline as the producer's
        # Kept lines are a subsequence of the original lines, each one unchanged.
        body = iter(line.rstrip(b"\r\n") for line in o_lines[1:])
        assert all(any(line.rstrip(b"\r\n") == o for o in body) for line in c_lines[1:]), key
        assert len(c_lines) - 1 == entry["gardees"], key
        checked += 1
    assert checked


def test_zip_members_are_cut_line_by_line(cut):
    """The comparateur's zips: same members (names, dates), header and kept lines byte for byte; the data member
    keeps exactly the lines of département 62 and of the municipal arrondissements, in the producer's order."""
    dest, report = cut
    checked = 0
    for key, entry in report["fichiers"].items():
        if not key.endswith(".zip"):
            continue
        with zipfile.ZipFile(MIRROR / key) as original, zipfile.ZipFile(dest / key) as copy:
            assert [(i.filename, i.date_time) for i in copy.infolist()] == [
                (i.filename, i.date_time) for i in original.infolist()], key
            for o_info, c_info in zip(original.infolist(), copy.infolist(), strict=True):
                o_lines = original.read(o_info).splitlines(keepends=True)
                c_lines = copy.read(c_info).splitlines(keepends=True)
                assert c_lines[0] == o_lines[0], (key, o_info.filename)
                body = iter(o_lines[1:])
                assert all(any(line == o for o in body) for line in c_lines[1:]), (key, o_info.filename)
                if o_info.filename.lower().startswith("base"):
                    expected = [line for line in o_lines[1:]
                                if line.startswith(b"62") or decoupe.ARM.fullmatch(line.split(b";", 1)[0].decode())]
                    assert c_lines[1:] == expected, key
                    assert len(expected) == entry["gardees"] and len(o_lines) - 1 == entry["lues"], key
                    checked += 1
    assert checked == 2


def test_geojson_features_are_a_subset(cut):
    dest, report = cut
    for key, entry in report["fichiers"].items():
        if not key.endswith(".geojson"):
            continue
        original = json.loads((MIRROR / key).read_text(encoding="utf-8"))
        copy_text = (dest / key).read_text(encoding="utf-8")
        copy = json.loads(copy_text)
        assert {k: v for k, v in copy.items() if k != "features"} == {k: v for k, v in original.items() if k != "features"}, key
        features = {json.dumps(f, sort_keys=True) for f in original["features"]}
        assert all(json.dumps(f, sort_keys=True) in features for f in copy["features"]), key
        assert len(copy["features"]) == entry["gardees"] + (1 if "temoin" in entry else 0), key
        array = copy_text.index("[", copy_text.index('"features"')) + 1
        assert (MIRROR / key).read_text(encoding="utf-8").startswith(copy_text[:array]), key  # same layout up to the features


def test_shapefile_records_are_a_subset(cut):
    import geopandas as gpd

    dest, report = cut
    for key in [k for k in report["fichiers"] if k.endswith(".shp")]:
        original = gpd.read_file(MIRROR / key, encoding="latin1")
        copy = gpd.read_file(dest / key, encoding="latin1")
        assert copy.crs == original.crs and list(copy.columns) == list(original.columns), key
        assert len(copy) == report["fichiers"][key]["gardees"] > 0, key
        expected = original.set_index("CODE_QP").loc[copy["CODE_QP"]].reset_index()
        assert copy.drop(columns="geometry").equals(expected.drop(columns="geometry")), key
        assert list(copy.geometry.to_wkb()) == list(expected.geometry.to_wkb()), key


# --- the store built from the cut ---------------------------------------------------------------

def test_store_has_exactly_the_capso_communes(con):
    communes = capso_communes_2026()
    assert len(communes) == 53  # the CAPSO's composition (MANIFEST)
    assert {c for (c,) in con.execute("SELECT code FROM territoires WHERE niveau = 'commune' AND cog = 2026").fetchall()} == communes
    members = dict(con.execute(
        "SELECT code, code_parent FROM appartenances WHERE cog = 2026 AND niveau = 'commune' AND niveau_parent = 'epci'").fetchall())
    assert members == {c: EPCI_CAPSO for c in communes}


def test_store_memberships_follow_the_cogugaison_table(con):
    table = supracom()
    years = sorted({int(r["cog_year"]) for r in table if r["EPCI"] == EPCI_CAPSO})
    assert years
    for year in years:
        expected = {r["CODGEO"] for r in table if r["EPCI"] == EPCI_CAPSO and int(r["cog_year"]) == year}
        got = {c for (c,) in con.execute(
            "SELECT code FROM appartenances WHERE source = 'cogugaison-2014-2024' AND cog = ? AND niveau = 'commune' "
            "AND niveau_parent = 'epci' AND code_parent = ?", [year, EPCI_CAPSO]).fetchall()}
        assert got == expected, year
    # The year before: the communes that became the CAPSO (same code, or merged into a CAPSO commune), in their former EPCI.
    first, before = years[0], years[0] - 1
    capso = {r["CODGEO"] for r in table if r["EPCI"] == EPCI_CAPSO and int(r["cog_year"]) == first}
    merged = {p["code_from"] for p in rows("cogugaison-2014-2024", "passage_cog_annual_2014_2024.csv", ",")
              if int(p["year_from"]) == before and p["code_to"] in capso}
    expected = {(r["CODGEO"], r["EPCI"]) for r in table if int(r["cog_year"]) == before and r["CODGEO"] in capso | merged}
    got = set(con.execute(
        "SELECT code, code_parent FROM appartenances WHERE source = 'cogugaison-2014-2024' AND cog = ? "
        "AND niveau = 'commune' AND niveau_parent = 'epci'", [before]).fetchall())
    assert got == expected
    # The INSEE 2020 table agrees.
    expected_2020 = {r["CODGEO"] for r in rows("insee-iris-2021", "EPCI_2020.csv", ";") if r["EPCI"] == EPCI_CAPSO}
    got_2020 = {c for (c,) in con.execute(
        "SELECT code FROM appartenances WHERE source = 'insee-iris-2021' AND cog = 2020 AND niveau = 'commune' "
        "AND niveau_parent = 'epci' AND code_parent = ?", [EPCI_CAPSO]).fetchall()}
    assert got_2020 == expected_2020


def test_store_has_the_iris_and_qpv_of_the_capso(con):
    communes = capso_communes_2026()
    iris = {r["CODE_IRIS"]: r["TYP_IRIS"] for r in rows("insee-iris-2021", "iris_2021.csv", ";") if r["DEPCOM"] in communes}
    assert dict(con.execute("SELECT code, type_iris FROM iris_types WHERE cog = 2021").fetchall()) == iris
    # QPV 2015: those of the CAPSO's EPCI and of its predecessors (INSEE 2013 table).
    table = supracom()
    epcis = {r["EPCI"] for r in table if r["CODGEO"] in communes and re.fullmatch(r"\d{9}", r["EPCI"])}
    qpv = rows("anct-qpv-2015-contours", "pop_qp_2013.csv", ";")
    expected = {r["qp"] for r in qpv if {r["epci1"], r["epci2"]} & epcis}
    got = {c for (c,) in con.execute("SELECT code FROM territoires WHERE niveau = 'qpv' AND cog = 2015").fetchall()}
    assert got == expected and "QP062036" in got
    # QP062036 lies on the communes its producer names.
    names = next(r["liste_des_communes"] for r in qpv if r["qp"] == "QP062036").split(",")
    cog = rows("insee-cog-2019", "cog_com_2019.csv", ";")
    codes = {r["com"] for r in cog if r["typecom"] == "COM" and r["dep"] == "62" and r["libelle"] in {n.strip() for n in names}}
    parents = {c for (c,) in con.execute(
        "SELECT code_parent FROM appartenances WHERE niveau = 'qpv' AND code = 'QP062036' AND niveau_parent = 'commune'").fetchall()}
    assert parents == codes and parents <= communes


def test_observations_equal_the_original_files(con):
    arques = "62040"
    pauvres = row_of("insee-filosofi-2018-communes", "FILO2018_DISP_Pauvres_COM.csv", ";", "CODGEO", arques)
    assert observation(con, "insee-filosofi-2018-communes", "commune", arques, "taux_pauvrete", 2018) == pytest.approx(
        number(pauvres["TP6018"]))
    disp16 = row_of("insee-filosofi-2014-2019-disp", "communes/FILO2016_DISP_COM.csv", ";", "CODGEO", arques)
    assert observation(con, "insee-filosofi-2014-2019-disp", "commune", arques, "revenu_median", 2016) == pytest.approx(
        number(disp16["Q216"]))
    com16 = row_of("insee-filosofi-2015-2016", "filosofi_com_2016.csv", ";", "CODGEO", arques)
    assert observation(con, "insee-filosofi-2015-2016", "commune", arques, "taux_pauvrete", 2016) == pytest.approx(
        number(com16["TP6016"]))
    # EPCI, département and France medians of 2018.
    for chemin, niveau, code in (("epci/FILO2018_DISP_EPCI.csv", "epci", EPCI_CAPSO),
                                 ("departements/FILO2018_DISP_DEP.csv", "departement", "62")):
        row = row_of("insee-filosofi-2014-2019-disp", chemin, ";", "CODGEO", code)
        assert observation(con, "insee-filosofi-2014-2019-disp", niveau, code, "revenu_median", 2018) == pytest.approx(
            number(row["Q218"]))
    france = rows("insee-filosofi-2014-2019-disp", "france/FILO2018_DISP_METROPOLE.csv", ";")[0]
    assert observation(con, "insee-filosofi-2014-2019-disp", "france", "FRM", "revenu_median", 2018) == pytest.approx(
        number(france["Q218"]))


def test_caf_iris_counts_equal_the_original_file(con):
    communes = capso_communes_2026()
    caf = {r["CODGEO"]: r["A"] for r in rows("cnaf-caf-iris-2016-2020", "data_CAF_2019_IRIS.csv", ";") if r["CODGEO"][:5] in communes}
    assert caf
    got = dict(con.execute(
        "SELECT code, valeur FROM observations WHERE source = 'cnaf-caf-iris-2016-2020' AND niveau = 'iris' "
        "AND indicateur = 'allocataires_caf' AND annee = 2019").fetchall())
    assert set(got) == set(caf)
    for code, a in caf.items():
        if a == "":  # secret: stored as missing, never 0
            assert got[code] is None or math.isnan(got[code]), code
        else:
            assert got[code] == pytest.approx(number(a)), code


def test_qpv_figures_equal_the_original_files(con):
    qp = "QP062036"
    filo = row_of("insee-anct-qpv-2015", "filosofi/data_filo19_qp_revdis.csv", ";", "CODGEO", qp)
    assert observation(con, "insee-anct-qpv-2015", "qpv", qp, "taux_pauvrete", 2019) == pytest.approx(number(filo["DISP_TP60_A19"]))
    assert observation(con, "insee-anct-qpv-2015", "qpv", qp, "revenu_median", 2019) == pytest.approx(number(filo["DISP_MED_A19"]))
    ipro = row_of("insee-anct-qpv-2015", "insertion-pro/IPRO_2019.csv", ";", "CODGEO", qp)
    # IPRO_2019 publishes the job seekers of 2018 (its reference year, data/sources.yml).
    assert observation(con, "insee-anct-qpv-2015", "qpv", qp, "demandeurs_emploi_abc", 2018) == pytest.approx(
        number(ipro["ABC"]))
    pop = row_of("anct-qpv-2015-contours", "pop_qp_2013.csv", ";", "qp", qp)
    assert observation(con, "anct-qpv-2015-contours", "qpv", qp, "population", 2013) == pytest.approx(
        number(pop["population_municipale_2013"]))


def test_derived_epci_population_is_the_sum_of_its_communes(con):
    table = supracom()
    year = max(int(r["cog_year"]) for r in table if r["EPCI"] == EPCI_CAPSO)
    members = {r["CODGEO"] for r in table if r["EPCI"] == EPCI_CAPSO and int(r["cog_year"]) == year}
    pops = [number(r["POP"]) for r in rows("cogugaison-2014-2024", "cog_communes_pop_2014_2024_dep42_62_77_94.csv", ",")
            if int(r["cog_year"]) == year and r["CODGEO"] in members]
    assert len(pops) == len(members)
    assert observation(con, "osq-calculs", "epci", EPCI_CAPSO, "population", year) == pytest.approx(sum(pops))


def test_readers_loaded_every_kept_row(con, cut):
    """The load report of each cut file counts the rows the cut kept (plus a GeoJSON witness feature)."""
    _, report = cut
    loaded = {(s, f): n for s, f, n in con.execute("SELECT source, fichier, lignes_lues FROM chargements").fetchall()}
    checked = 0
    for key, entry in report["fichiers"].items():
        source_id, chemin = key.split("/", 1)
        n = loaded.get((source_id, chemin.rsplit("/", 1)[-1]))
        if n is None or "gardees" not in entry:
            continue
        assert n == entry["gardees"] + (1 if "temoin" in entry else 0), key
        checked += 1
    assert checked > 50


def test_cut_store_is_much_smaller_than_the_mirror(store_capso, cut):
    _, report = cut
    assert store_capso.stat().st_size < report["octets_miroir"] / 10

"""National producers other than INSEE's census and Filosofi: BPE 2019 (France entière), IPS of schools, young
people not in work or education (ANCT), crime (SSMSI), social housing (RPLS).

Every expected value is read from the mirror file during the test and compared with the store built by the real
readers (tests/complet/conftest.py); none is written here unless it is also read back from the file.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import json
from collections import defaultdict

import pandas as pd
import pytest

from osq_utils.catalogues.sources import SourceFile
from osq_utils.errors import OsqError
from osq_utils.ingest import READERS
from osq_utils.ingest.delinquance import CLASSES, taux_code
from osq_utils.ingest.iris_data import BPE_TYPES

ARQUES, SAINT_OMER, CAPSO, PAS_DE_CALAIS, HAUTS_DE_FRANCE = "62040", "62765", "200069037", "62", "32"
PLM = {"75056": "751", "69123": "6938", "13055": "132"}
BPE = "insee-bpe-2019-france"


def rows(mirror, source: str, name: str, sep: str) -> list[dict[str, str]]:
    path = mirror / source / name
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=sep))


def number(text: str) -> float:
    return float(text.replace(",", "."))


def stored(con, source: str, niveau: str, code: str, indicateur: str, annee: int) -> dict:
    found = con.execute(
        "SELECT valeur, numerateur, denominateur, statut, cog, decimales FROM observations "
        "WHERE source = ? AND niveau = ? AND code = ? AND indicateur = ? AND annee = ?",
        [source, niveau, code, indicateur, annee]).df()
    assert len(found) == 1, (source, niveau, code, indicateur, annee, found)
    return found.iloc[0].to_dict()


# --- BPE 2019, France entière ------------------------------------------------------------------


@pytest.fixture(scope="module")
def bpe(mirror) -> dict[tuple[str, str], float]:
    """(territory code, TYPEQU) -> facilities, summed from the file: communes, arrondissements, IRIS."""
    counts: dict[tuple[str, str], float] = defaultdict(float)
    for r in rows(mirror, BPE, "bpe_ens_2019_iris_france.csv.gz", ","):
        n = float(r["NB_EQUIP"])
        counts[(r["DEPCOM"], r["TYPEQU"])] += n
        counts[(r["DCIRIS"].replace("_", ""), r["TYPEQU"])] += n
        counts[("FR", r["TYPEQU"])] += n
        for commune, prefix in PLM.items():
            if r["DEPCOM"].startswith(prefix):
                counts[(commune, r["TYPEQU"])] += n
    return counts


def test_bpe_france_holds_the_four_departement_extract_byte_for_byte(mirror):
    """Why the national file supersedes insee-bpe-2019-iris: its rows of 42, 62, 77, 94 are the same bytes."""
    with gzip.open(mirror / BPE / "bpe_ens_2019_iris_france.csv.gz", "rb") as fh:
        france = fh.read().splitlines()
    extract = (mirror / "insee-bpe-2019-iris" / "bpe_ens_2019_iris_dep42_62_77_94.csv").read_bytes().splitlines()
    assert extract[0] == france[0]
    assert [line for line in france[1:] if line.split(b",")[1] in (b"42", b"62", b"77", b"94")] == extract[1:]


@pytest.mark.parametrize("typequ, indicateur", [("D201", "medecins_generalistes"), ("D301", "pharmacies")])
def test_bpe_national_total_is_the_sum_of_the_stored_communes(con, bpe, typequ, indicateur):
    total = con.execute("SELECT sum(valeur) FROM observations WHERE source = ? AND niveau = 'commune' AND indicateur = ?",
                        [BPE, indicateur]).fetchone()[0]
    assert total == bpe[("FR", typequ)]
    # The totals the mirror's PROVENANCE.md reports for this file.
    assert total == {"D201": 61_429, "D301": 24_474}[typequ]


@pytest.mark.parametrize("indicateur", list(BPE_TYPES))
def test_bpe_counts_by_commune_arrondissement_and_iris(con, bpe, indicateur):
    def expected(code: str) -> float:
        return sum(bpe.get((code, t), 0.0) for t in BPE_TYPES[indicateur])

    for code in (ARQUES, SAINT_OMER, "42218", "75056", "13055"):
        obs = stored(con, BPE, "commune", code, indicateur, 2019)
        assert (obs["valeur"], obs["numerateur"], obs["statut"], obs["cog"]) == (expected(code), expected(code), "ok", 2019)
        assert obs["decimales"] == 0
    assert stored(con, BPE, "arm", "75112", indicateur, 2019)["valeur"] == expected("75112")
    assert stored(con, BPE, "iris", "620400101", indicateur, 2019)["valeur"] == expected("620400101")
    # Arrondissements are never stored as communes.
    assert con.execute("SELECT count(*) FROM observations WHERE source = ? AND niveau = 'commune' AND code = '75112'",
                       [BPE]).fetchone()[0] == 0


def _population_2019(mirror, code: str) -> float:
    found = [r for r in rows(mirror, "cogugaison-2014-2024", "cog_communes_pop_2014_2024_dep42_62_77_94.csv", ",")
             if r["cog_year"] == "2019" and r["CODGEO"] == code]
    assert len(found) == 1
    return float(found[0]["POP"])


@pytest.mark.parametrize("indicateur, typequ", [
    ("densite_medecins_generalistes", "D201"), ("densite_chirurgiens_dentistes", "D221"), ("densite_infirmiers", "D232"),
    ("densite_masseurs_kinesitherapeutes", "D233"), ("densite_pharmacies", "D301"),
])
def test_densities_per_10000_inhabitants_of_the_cog_year(con, mirror, bpe, indicateur, typequ):
    for code in (ARQUES, SAINT_OMER):
        population = _population_2019(mirror, code)
        obs = stored(con, "osq-calculs", "commune", code, indicateur, 2019)
        assert (obs["numerateur"], obs["denominateur"]) == (bpe.get((code, typequ), 0.0), population)
        assert obs["valeur"] == pytest.approx(bpe.get((code, typequ), 0.0) / population * 10_000)
        assert obs["statut"] == "ok" and obs["cog"] == 2019 and pd.isna(obs["decimales"])


# --- IPS of écoles and collèges -----------------------------------------------------------------

IPS = "menj-ips-2021-2022"


@pytest.mark.parametrize("fichier, moyen, nombre", [
    ("fr-en-ips_ecoles_2022.csv", "ips_moyen_ecoles", "nb_ecoles_ips"),
    ("fr-en-ips_colleges_2022.csv", "ips_moyen_colleges", "nb_colleges_ips"),
])
def test_mean_ips_of_the_schools_of_a_commune(con, mirror, fichier, moyen, nombre):
    schools = [r for r in rows(mirror, IPS, fichier, ";") if r["IPS"].strip()]
    for code, niveau in ((ARQUES, "commune"), (SAINT_OMER, "commune"), ("13055", "commune"), ("13201", "arm")):
        prefix = PLM.get(code)
        ips = [float(r["IPS"]) for r in schools if (r["Code INSEE de la commune"].startswith(prefix) if prefix
                                                    else r["Code INSEE de la commune"] == code)]
        assert ips, code
        mean = stored(con, IPS, niveau, code, moyen, 2021)
        assert mean["valeur"] == pytest.approx(sum(ips) / len(ips))
        assert (mean["numerateur"], mean["denominateur"]) == (pytest.approx(sum(ips)), len(ips))
        assert stored(con, IPS, niveau, code, nombre, 2021)["valeur"] == len(ips)
    # The producer publishes one decimal; the mean is OSQ's (the glossary's decimals apply).
    assert all(len(r["IPS"].split(".")[1]) == 1 for r in schools)
    assert pd.isna(mean["decimales"])


def test_ips_rows_outside_the_cog_or_without_ips_are_counted(con, mirror):
    report = con.execute("SELECT fichier, lignes_rejetees, raisons FROM chargements WHERE source = ?", [IPS]).df()
    colleges = rows(mirror, IPS, "fr-en-ips_colleges_2022.csv", ";")
    blank = sum(1 for r in colleges if not r["IPS"].strip())
    outside = sum(1 for r in colleges if r["Code INSEE de la commune"][:3] in ("977", "978"))
    row = report.set_index("fichier").loc["fr-en-ips_colleges_2022.csv"]
    assert row["lignes_rejetees"] == blank + outside and blank > 0 and outside > 0
    assert json.loads(row["raisons"])["IPS non publié par le producteur"] == blank


# --- Young people neither in work nor in education (ANCT) ------------------------------------------

NEET = "anct-odt-jeunes-non-inseres-2008-2018"


@pytest.mark.parametrize("fichier, niveau, code", [
    ("neet_communes_2018.csv", "commune", ARQUES), ("neet_epci_2018.csv", "epci", CAPSO),
    ("neet_dpt_2018.csv", "departement", PAS_DE_CALAIS), ("neet_region_2018.csv", "region", HAUTS_DE_FRANCE),
])
def test_share_of_young_people_not_in_work_or_education(con, mirror, fichier, niveau, code):
    cells = {int(r["an"]): r["part_non_inseres"] for r in rows(mirror, NEET, fichier, ";") if r["codgeo"] == code}
    assert cells
    for annee, cell in cells.items():
        obs = stored(con, NEET, niveau, code, "part_jeunes_non_inseres", annee)
        assert obs["valeur"] == number(cell) and obs["statut"] == "ok"
        # No numerator is invented for a rate published alone; its padded '21,50' is published to one decimal.
        assert pd.isna(obs["numerateur"]) and pd.isna(obs["denominateur"])
        assert obs["decimales"] == 1 and cell.endswith("0")


def test_blank_shares_are_never_zero(con, mirror):
    blanks = [r for r in rows(mirror, NEET, "neet_communes_2018.csv", ";") if not r["part_non_inseres"].strip()]
    assert blanks
    r = blanks[0]
    obs = stored(con, NEET, "commune", r["codgeo"], "part_jeunes_non_inseres", int(r["an"]))
    assert obs["statut"] == "secret" and pd.isna(obs["valeur"])


# --- Crime recorded by police and gendarmerie (SSMSI) -----------------------------------------------

SSMSI = "ssmsi-delinquance-2016-2023-dep-reg"


@pytest.mark.parametrize("classe", list(CLASSES))
def test_crime_counts_and_rates_per_thousand(con, mirror, classe):
    code, den_col, _ = CLASSES[classe]
    for fichier, colonne, niveau, territoire in (("donnee-dep-2023.csv", "Code.département", "departement", PAS_DE_CALAIS),
                                                 ("donnee-reg-2023.csv", "Code.région", "region", HAUTS_DE_FRANCE)):
        cells = [r for r in rows(mirror, SSMSI, fichier, ";") if r["classe"] == classe and r[colonne] == territoire]
        assert len(cells) == 8
        for r in cells:
            annee = 2000 + int(r["annee"])
            faits = stored(con, SSMSI, niveau, territoire, code, annee)
            assert faits["valeur"] == number(r["faits"]) and faits["decimales"] == 0
            taux = stored(con, SSMSI, niveau, territoire, taux_code(code), annee)
            assert taux["valeur"] == number(r["tauxpourmille"])
            assert (taux["numerateur"], taux["denominateur"]) == (number(r["faits"]), number(r[den_col]))
            assert taux["valeur"] == pytest.approx(taux["numerateur"] / taux["denominateur"] * 1000)


def test_facts_not_attributed_to_a_territory_are_rejected_and_counted(con, mirror):
    report = con.execute("SELECT fichier, raisons FROM chargements WHERE source = ?", [SSMSI]).df().set_index("fichier")
    for fichier, colonne in (("donnee-dep-2023.csv", "Code.département"), ("donnee-reg-2023.csv", "Code.région")):
        na = sum(1 for r in rows(mirror, SSMSI, fichier, ";") if r[colonne] == "NA")
        assert na == 128
        assert json.loads(report.loc[fichier, "raisons"])["faits non attribués à un territoire (code « NA »)"] == na
    assert con.execute("SELECT count(*) FROM observations WHERE source = ? AND code = 'NA'", [SSMSI]).fetchone()[0] == 0


# --- Social housing stock (RPLS) ---------------------------------------------------------------------

RPLS = "sdes-rpls-2024-communes"


@pytest.fixture(scope="module")
def rpls(mirror) -> list[dict[str, str]]:
    return rows(mirror, RPLS, "export_parc_logements_sociaux_jan_2024.csv", ",")


@pytest.mark.parametrize("indicateur, colonne", [
    ("logements_sociaux", "nb_ls"), ("logements_sociaux_loues", "nb_loues"), ("logements_sociaux_vacants", "nb_vacants"),
])
def test_social_housing_counts(con, rpls, indicateur, colonne):
    by_code = {r["DEPCOM_ARM"]: r for r in rpls}
    for code in (ARQUES, SAINT_OMER):
        obs = stored(con, RPLS, "commune", code, indicateur, 2024)
        assert obs["valeur"] == float(by_code[code][colonne]) and obs["decimales"] == 0 and obs["cog"] == 2024
    paris = sum(float(r[colonne]) for r in rpls if r["DEPCOM_ARM"].startswith("751"))
    assert stored(con, RPLS, "commune", "75056", indicateur, 2024)["valeur"] == paris
    assert stored(con, RPLS, "arm", "75101", indicateur, 2024)["valeur"] == float(by_code["75101"][colonne])
    if colonne != "nb_ls":  # the detail is blank (secret) under 11 dwellings, never 0
        small = next(r for r in rpls if not r[colonne])
        obs = stored(con, RPLS, "commune", small["DEPCOM_ARM"], indicateur, 2024)
        assert obs["statut"] == "secret" and pd.isna(obs["valeur"])


def test_social_housing_vacancy_rate(con, rpls):
    by_code = {r["DEPCOM_ARM"]: r for r in rpls}
    for code in (ARQUES, SAINT_OMER):
        r = by_code[code]
        offered = float(r["nb_loues"]) + float(r["nb_vacants"])
        obs = stored(con, RPLS, "commune", code, "taux_vacance_logements_sociaux", 2024)
        assert (obs["numerateur"], obs["denominateur"]) == (float(r["nb_vacants"]), offered)
        assert obs["valeur"] == pytest.approx(float(r["nb_vacants"]) / offered * 100)


def test_communes_without_social_housing_get_no_row(con, rpls):
    listed = {r["DEPCOM_ARM"] for r in rpls if not r["DEPCOM_ARM"].startswith(("751", "6938", "132"))}
    in_store = {c for (c,) in con.execute("SELECT code FROM observations WHERE source = ? AND niveau = 'commune' "
                                          "AND indicateur = 'logements_sociaux'", [RPLS]).fetchall()}
    assert in_store == listed | set(PLM)


# --- damaged copies of the real files: located French errors ----------------------------------------


def _damaged(mirror, tmp_path, source: str, name: str, keep, change, target=lambda line: True) -> tuple[object, int]:
    """Header + the real lines for which keep(line) is true, the first `target` line among them changed by
    change(line); returns (a path_of serving that copy, file line of the changed row)."""
    opener = gzip.open if name.endswith(".gz") else open
    with opener(mirror / source / name, "rt", encoding="utf-8-sig", newline="") as fh:
        header, *body = fh.read().splitlines()
    kept = [line for line in body if keep(line)]
    pos = next(i for i, line in enumerate(kept) if target(line))
    kept[pos] = change(kept[pos])
    dest = tmp_path / name.removesuffix(".gz")
    dest.write_text("\n".join([header, *kept]) + "\n", encoding="utf-8")
    return (lambda source_id, chemin: dest), pos + 2


def _source(catalogue, ident: str, name: str):
    src = catalogue[ident]
    return dataclasses.replace(src, fichiers=tuple(f for f in src.fichiers if f.chemin == name))


def test_bpe_iris_of_another_commune_is_refused(mirror, catalogue, tmp_path):
    path_of, line = _damaged(mirror, tmp_path, BPE, "bpe_ens_2019_iris_france.csv.gz",
                             lambda l: ",62040," in l, lambda l: l.replace("62040_01", "62041_01"))
    with pytest.raises(OsqError, match="IRIS « 62041_01.. » invalide ou d'une autre commune") as err:
        READERS["bpe"](dataclasses.replace(_source(catalogue, BPE, "bpe_ens_2019_iris_france.csv.gz"),
                                           fichiers=(SourceFile("bpe.csv", None),)), path_of)
    assert (err.value.ligne, err.value.colonne) == (line, "DCIRIS")


def test_ssmsi_rate_that_is_not_facts_per_thousand_is_refused(mirror, catalogue, tmp_path):
    path_of, line = _damaged(mirror, tmp_path, SSMSI, "donnee-dep-2023.csv", lambda l: '"62";"32"' in l,
                             lambda l: l.rsplit(";", 1)[0] + ';"9,99"', lambda l: l.startswith('"Cambriolages de logement"'))
    with pytest.raises(OsqError, match="taux pour mille 9.99 différent de faits / LOG") as err:
        READERS["delinquance_ssmsi"](_source(catalogue, SSMSI, "donnee-dep-2023.csv"), path_of)
    assert (err.value.ligne, err.value.colonne) == (line, "tauxpourmille")


def test_neet_code_that_lost_its_leading_zero_is_refused(mirror, catalogue, tmp_path):
    path_of, line = _damaged(mirror, tmp_path, NEET, "neet_communes_2018.csv", lambda l: l.startswith("01"), lambda l: l[1:])
    with pytest.raises(OsqError, match="zéro initial a été perdu") as err:
        READERS["jeunes_non_inseres"](_source(catalogue, NEET, "neet_communes_2018.csv"), path_of)
    assert (err.value.ligne, err.value.colonne) == (line, "codgeo")

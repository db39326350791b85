
"""Partner deliveries read through their provider convention (osq_utils/ingest/livraisons.py).

Delivery files are written at test time (tests/livraisons.py) with values cut from the real store
built from the mirror, or from the mirror's files: no figure is invented.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from livraisons import write_caf_workbook, write_csv_latin1, write_single_sheet
from openpyxl import load_workbook

from osq_utils import store
from osq_utils.catalogues.conventions import load_convention
from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.errors import OsqError
from osq_utils.ingest.livraisons import ingest_delivery, read_delivery

CONVENTIONS = PROJECT_ROOT / "data" / "conventions"
CAF = "cnaf-caf-iris-2016-2020"
# Saint-Omer IRIS, two Ambérieu-en-Bugey IRIS (leading zero lost once typed as a number) and a
# Boulogne-sur-Mer IRIS whose CAF cells are all secret in data_CAF_2017_IRIS.csv.
CAF_IRIS = ["627650101", "627650201", "627650301", "627650302", "627650401", "010040101", "010040102", "621600101"]


def _value(con, code: str, indicateur: str, annee: int, col: str = "valeur") -> float:
    """The store's figure; NaN when the producer published none (e.g. APRES50 after 2017): written blank."""
    row = con.execute(f"SELECT {col} FROM observations WHERE code = ? AND indicateur = ? AND annee = ? AND source = ?",
                      [code, indicateur, annee, CAF]).fetchone()
    return math.nan if row is None or row[0] is None else row[0]


def _caf_rows(con, year: int) -> list[dict]:
    rows = []
    for code in CAF_IRIS:
        label = con.execute("SELECT libelle FROM territoires WHERE niveau = 'iris' AND code = ? LIMIT 1", [code]).fetchone()
        rows.append({
            "code": code, "libelle": label[0] if label else "",
            "allocataires": _value(con, code, "allocataires_caf", year),
            "rsa": _value(con, code, "allocataires_rsa", year),
            "aah": _value(con, code, "allocataires_aah", year),
            "logement": _value(con, code, "allocataires_aide_logement", year),
            "dependants": _value(con, code, "part_allocataires_dependants_50", year, "numerateur"),
        })
    return rows


@pytest.fixture(scope="module")
def caf_convention():
    return load_convention(CONVENTIONS / "caf-pas-de-calais.yml")


@pytest.fixture
def caf_2017(con, tmp_path) -> Path:
    return write_caf_workbook(tmp_path / "caf_pas-de-calais_iris_2017.xlsx", 2017, _caf_rows(con, 2017))


@pytest.fixture
def store_copy(store_file, tmp_path) -> Path:
    path = tmp_path / "osq.duckdb"
    shutil.copy(store_file, path)
    return path


def _obs(frame: pd.DataFrame, code: str, indicateur: str) -> pd.Series:
    hit = frame[(frame["code"] == code) & (frame["indicateur"] == indicateur)]
    assert len(hit) == 1, (code, indicateur, hit)
    return hit.iloc[0]


# --- conventions ---------------------------------------------------------------


def _line_of(path: Path, text: str) -> int:
    return next(i for i, t in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in t)


def test_caf_workbook_merged_headers_sheets_numeric_codes_totals_footnotes(caf_convention, caf_2017):
    obs, report = read_delivery(caf_convention, caf_2017)
    # CNAF, data_CAF_2017_IRIS.csv: A = "1 019", ARSAS = 314, AAAH = 96, AAL + AAPL = 736 + 396 for 627650201.
    assert _obs(obs, "627650201", "allocataires_caf")["valeur"] == 1019
    assert _obs(obs, "627650201", "allocataires_rsa")["valeur"] == 314
    assert _obs(obs, "627650201", "allocataires_aah")["valeur"] == 96
    assert _obs(obs, "627650201", "allocataires_aide_logement")["valeur"] == 736 + 396
    # Rate recomputed from its parts: APRES50 = 468 over A = 1 019 for 627650201.
    part = _obs(obs, "627650201", "part_allocataires_dependants_50")
    assert (part["numerateur"], part["denominateur"]) == (468, 1019)
    assert part["valeur"] == pytest.approx(45.927, abs=1e-3)
    # Ambérieu IRIS typed as numbers (10040101): the leading zero is restored from the IRIS scale.
    # data_CAF_2017_IRIS.csv: A = 410 for 010040101.
    assert _obs(obs, "010040101", "allocataires_caf")["valeur"] == 410
    assert not obs["code"].str.len().ne(9).any()
    # 621600101: every CAF cell blank (secret) in the CNAF file -> secret, never 0.
    secret = obs[obs["code"] == "621600101"]
    assert (secret["statut"] == "secret").all() and secret["valeur"].isna().all() and secret["numerateur"].isna().all()
    assert (obs["source"] == "livraison-caf-pas-de-calais").all() and (obs["annee"] == 2017).all()
    allocataires, ressources = report
    assert allocataires["fichier"] == "caf_pas-de-calais_iris_2017.xlsx, feuille « Allocataires »"
    assert allocataires["lignes_gardees"] == len(CAF_IRIS)
    assert allocataires["raisons"] == {"ligne de total": 1, "note sous le tableau": 2}
    assert allocataires["remarques"] == {"codes complétés d'un zéro initial": 2}
    assert ressources["raisons"] == {"ligne de total": 1, "note sous le tableau": 1}
    assert allocataires["observations"] == 4 * len(CAF_IRIS) and ressources["observations"] == len(CAF_IRIS)


def test_bailleur_latin1_csv_decimal_commas_and_lost_zero(con, tmp_path):
    conv = load_convention(CONVENTIONS / "bailleur-exemple.yml")
    rows = con.execute(
        "SELECT o.code, t.libelle, numerateur, denominateur FROM observations o JOIN territoires t "
        "ON t.code = o.code AND t.niveau = 'iris' AND t.cog = 2021 WHERE o.indicateur = 'part_logements_hlm' "
        "AND o.code LIKE '62765%' ORDER BY o.code").fetchall()
    assert any("é" in r[1] for r in rows)  # accents: the latin-1 encoding matters
    header = ["Code IRIS", "Libellé", "Année", "Logements HLM loués vides", "Résidences principales"]
    path = write_csv_latin1(tmp_path / "bailleur_2016.csv", header, [[c, lib, 2016, n, d] for c, lib, n, d in rows],
                            notes=["Source : Insee, recensement 2016 (valeurs pondérées).", "(1) Logements loués vides."],
                            decimals=6)
    obs, report = read_delivery(conv, path)
    # Insee, base-ic-logement 2016 (IRIS_housing_IR_Hab.csv): P16_RP_LOCHLMV = 349.478683 over RP = 1 490.226182
    # for 627650201 -> 23.45 %.
    part = _obs(obs, "627650201", "part_logements_hlm")
    assert part["numerateur"] == pytest.approx(349.478683) and part["denominateur"] == pytest.approx(1490.226182)
    assert part["valeur"] == pytest.approx(23.4514, abs=1e-3)
    assert report[0]["raisons"] == {"note sous le tableau": 2}

    # Same file with a code that lost its zero: this convention refuses it, located.
    text = path.read_text(encoding="latin-1").replace("627650101", "62765010", 1)
    path.write_text(text, encoding="latin-1")
    with pytest.raises(OsqError, match="zéro initial a été perdu") as err:
        read_delivery(conv, path)
    assert err.value.ligne == 2 and err.value.colonne == "A (« Code IRIS »)"

    # Declared latin-1, delivered in UTF-16 (what « Unicode text » exports give): the error names the encoding.
    path.write_text(text, encoding="utf-16")
    with pytest.raises(OsqError, match="semble encodé en UTF-16"):
        read_delivery(conv, path)


def test_france_travail_csv_qpv(con, tmp_path):
    conv = load_convention(CONVENTIONS / "france-travail.yml")
    rows = con.execute(
        "SELECT o.code, any_value(t.libelle), any_value(o.valeur) FROM observations o JOIN territoires t ON t.code = o.code "
        "WHERE o.indicateur = 'demandeurs_emploi_abc' AND o.annee = 2019 AND o.code IN ('QP062001', 'QP062002', 'QP062003') "
        "GROUP BY o.code ORDER BY o.code").fetchall()
    header = ["Code quartier", "Nom du quartier", "Année", "Demandeurs d'emploi cat. A, B, C"]
    path = write_csv_latin1(tmp_path / "defm_abc_qpv_2019T4.csv", header,
                            [[c, lib, 2019, v] for c, lib, v in rows] + [["Ensemble", "", 2019, sum(r[2] for r in rows)]],
                            notes=["Source : ANCT, données quartiers 2019."], decimals=0)
    obs, report = read_delivery(conv, path)
    # ANCT / Insee, quartiers prioritaires (source insee-anct-qpv-2015): IPRO_2020.csv, which publishes the job
    # seekers of 2019, has ABC = 107 for QP062001.
    assert _obs(obs, "QP062001", "demandeurs_emploi_abc")["valeur"] == 107
    assert set(obs["niveau"]) == {"qpv"} and len(obs) == 3
    assert report[0]["raisons"] == {"ligne de total": 1, "note sous le tableau": 1}
    with pytest.raises(OsqError, match="aucun tableau de la convention"):
        read_delivery(conv, path.rename(tmp_path / "defm_abc_qpv_2019T3.csv"))


def test_delivery_errors_name_file_sheet_row_column_and_fix(caf_convention, caf_2017, tmp_path):
    from openpyxl import load_workbook

    wb = load_workbook(caf_2017)
    ws = wb["Allocataires"]
    ws["D6"] = "env. 300"  # a comment typed into a number cell
    wb.save(caf_2017)
    with pytest.raises(OsqError) as err:
        read_delivery(caf_convention, caf_2017)
    e = err.value
    assert str(e.fichier).endswith("caf_pas-de-calais_iris_2017.xlsx, feuille « Allocataires »") and "env. 300" in e.message
    assert (e.ligne, e.colonne) == (6, "D (« Foyers allocataires / dont RSA »)")
    assert "laissez la cellule vide" in e.correction

    ws["D6"] = 314
    ws["C4"] = "Total allocataires"  # header renamed by the provider
    wb.save(caf_2017)
    with pytest.raises(OsqError, match="« Foyers allocataires / Ensemble » introuvable") as err:
        read_delivery(caf_convention, caf_2017)
    assert "C « Foyers allocataires / Total allocataires »" in err.value.message

    ws["C4"] = "Ensemble"
    a7, ws["A7"] = ws["A7"].value, ws["A6"].value  # the same IRIS twice
    wb.save(caf_2017)
    with pytest.raises(OsqError, match="en double") as err:
        read_delivery(caf_convention, caf_2017)
    assert err.value.ligne == 7

    ws["A7"] = a7

    del wb["Ressources"]
    wb.save(caf_2017)
    with pytest.raises(OsqError, match="feuille « Ressources » absente ; feuilles du classeur : Lisez-moi, Allocataires"):
        read_delivery(caf_convention, caf_2017)


# --- writing to the store ----------------------------------------------------------


def test_ingest_delivery_one_transaction_and_load_report(caf_convention, caf_2017, store_copy, con, tmp_path):
    write = store.connect(store_copy)
    try:
        before = write.execute("SELECT count(*) FROM observations").fetchone()[0]
        report = ingest_delivery(write, caf_convention, caf_2017)
        got = write.execute("SELECT valeur FROM observations WHERE source = 'livraison-caf-pas-de-calais' "
                            "AND code = '627650201' AND indicateur = 'allocataires_caf' AND annee = 2017").fetchall()
        assert got == [(1019.0,)]  # data_CAF_2017_IRIS.csv: A = "1 019" for 627650201
        n = write.execute("SELECT count(*) FROM observations").fetchone()[0]
        assert n == before + 5 * len(CAF_IRIS)
        loads = write.execute("SELECT fichier, lignes_lues, lignes_gardees, lignes_rejetees, raisons FROM chargements "
                              "WHERE source = 'livraison-caf-pas-de-calais' ORDER BY fichier").fetchall()
        assert [r[0] for r in loads] == [row["fichier"] for row in sorted(report, key=lambda r: r["fichier"])]
        assert loads[0][1:4] == (len(CAF_IRIS) + 3, len(CAF_IRIS), 3) and "ligne de total" in loads[0][4]
        # Delivered again: replaced, not duplicated.
        ingest_delivery(write, caf_convention, caf_2017)
        assert write.execute("SELECT count(*) FROM observations").fetchone()[0] == n
        # A later year's delivery adds its year and keeps the earlier one.
        caf_2018 = write_caf_workbook(tmp_path / "caf_pas-de-calais_iris_2018.xlsx", 2018, _caf_rows(con, 2018))
        ingest_delivery(write, caf_convention, caf_2018)
        years = write.execute("SELECT DISTINCT annee FROM observations WHERE source = 'livraison-caf-pas-de-calais' ORDER BY 1").fetchall()
        assert years == [(2017,), (2018,)]
        # A broken delivery leaves the store as it was.
        from openpyxl import load_workbook

        wb = load_workbook(caf_2018)
        wb["Ressources"]["B5"] = "n.c."
        wb.save(caf_2018)
        count = write.execute("SELECT count(*) FROM observations").fetchone()[0]
        with pytest.raises(OsqError, match="n.c."):
            ingest_delivery(write, caf_convention, caf_2018)
        assert write.execute("SELECT count(*) FROM observations").fetchone()[0] == count
    finally:
        write.close()


def test_new_indicator_from_a_new_excel_delivery(mirror, store_copy, tmp_path):
    """Adding an indicator needs a glossary entry and a convention, no code."""
    glossary = yaml.safe_load((PROJECT_ROOT / "data" / "glossaire.yml").read_text(encoding="utf-8"))
    entry = {"code": "allocataires_prime_activite", "libelle": "Allocataires de la prime d'activité", "theme": "prestations",
             "definition": "Foyers allocataires de la prime d'activité au 31 décembre.", "unite": "allocataires",
             "type": "compte", "numerateur": "Allocataires de la prime d'activité", "denominateur": None,
             "sources": ["livraison-caf-prime-activite"], "niveaux": ["iris", "commune"], "annees": [2019],
             "sens": "neutre", "decimales": 0,
             "seuil_secret": {"regle": "CNAF : effectifs inférieurs à 5 allocataires masqués.", "valeur": 5,
                              "unite": "allocataires"}}
    glossary["indicateurs"].append(entry)
    glossary_copy = tmp_path / "glossaire.yml"
    glossary_copy.write_text(yaml.safe_dump(glossary, allow_unicode=True, sort_keys=False), encoding="utf-8")
    convention = tmp_path / "caf-prime-activite.yml"
    convention.write_text(
        "source: livraison-caf-prime-activite\nfournisseur: CAF du Pas-de-Calais\nrole_contact: Chargé(e) d'études\n"
        "periodicite: annuelle\nformat: xlsx\nechelle: iris\nclauses_secret:\n  texte: Effectifs de moins de 5 non diffusés.\n"
        "derniere_livraison: null\nfichiers:\n  - motif: 'prime_activite_*.xlsx'\n    feuille: 1\n    lignes_a_sauter: 2\n"
        "    colonne_code: IRIS\n    annee_dans_nom: true\n    colonnes:\n      Foyers bénéficiaires: allocataires_prime_activite\n",
        encoding="utf-8")
    with pytest.raises(OsqError, match="allocataires_prime_activite » absent du glossaire") as err:
        load_convention(convention)
    assert err.value.ligne == _line_of(convention, "allocataires_prime_activite")
    conv = load_convention(convention, glossary_copy)

    # Real values: CNAF, data_CAF_2019_IRIS.csv, column APPA, Saint-Omer IRIS.
    caf = pd.read_csv(mirror / CAF / "data_CAF_2019_IRIS.csv", sep=";", dtype=str)
    caf = caf[caf["CODGEO"].str.startswith("62765")].head(6)
    path = write_single_sheet(tmp_path / "prime_activite_2019.xlsx", "PPA", ["IRIS", "Foyers bénéficiaires"],
                              [[int(c), int(v)] for c, v in zip(caf["CODGEO"], caf["APPA"])],
                              title="Bénéficiaires de la prime d'activité au 31/12/2019")
    write = store.connect(store_copy)
    try:
        ingest_delivery(write, conv, path)
        got = dict(write.execute("SELECT code, valeur FROM observations WHERE indicateur = 'allocataires_prime_activite' "
                                 "AND annee = 2019").fetchall())
    finally:
        write.close()
    assert got["627650101"] == 246  # data_CAF_2019_IRIS.csv: APPA = 246 for 627650101
    assert len(got) == len(caf) >= 5 and not any(math.isnan(v) for v in got.values())


def test_osq_livraison_command(caf_2017, store_copy):
    # The command a new user runs: a CAF workbook (real CNAF 2017 values of a few IRIS, written at test time).
    import subprocess
    import sys

    import duckdb

    proc = subprocess.run([sys.executable, "-m", "osq_utils.cli", "livraison", str(CONVENTIONS / "caf-pas-de-calais.yml"),
                           str(caf_2017), "--base", str(store_copy)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "valeurs dérivées recalculées" in proc.stderr
    con = duckdb.connect(str(store_copy), read_only=True)
    try:
        # CNAF data_CAF_2017_IRIS.csv: A = 1 019 recipients for IRIS 627650201 (Saint-Omer).
        row = con.execute("SELECT valeur FROM observations WHERE source = 'livraison-caf-pas-de-calais' AND code = "
                          "'627650201' AND indicateur = 'allocataires_caf' AND annee = 2017").fetchone()
        assert row == (1019.0,)
    finally:
        con.close()


# --- impossible deliveries (issue 13): refused, located, never in the store ----------------------------------
# Each delivery is written with real figures read from the store (France Travail job seekers of the three CAPSO
# QPV, CAF allocataires of Saint-Omer IRIS), then damaged the way a partner's export goes wrong.

DEFM_HEADER = ["Code quartier", "Nom du quartier", "Année", "Demandeurs d'emploi cat. A, B, C"]


@pytest.fixture(scope="module")
def france_travail():
    return load_convention(CONVENTIONS / "france-travail.yml")


@pytest.fixture
def defm(con) -> list[list]:
    """The real 2019 job seekers (categories A, B, C) of three Pas-de-Calais QPV, as the ANCT publishes them
    (QP062036's is secret that year)."""
    rows = con.execute(
        "SELECT o.code, any_value(t.libelle), any_value(o.valeur) FROM observations o JOIN territoires t ON t.code = o.code "
        "WHERE o.indicateur = 'demandeurs_emploi_abc' AND o.annee = 2019 AND o.code IN ('QP062001', 'QP062037', 'QP062058') "
        "GROUP BY o.code ORDER BY o.code").fetchall()
    assert len(rows) == 3 and all(v > 0 for _, _, v in rows)
    return [[c, lib, 2019, int(v)] for c, lib, v in rows]


def _error(conv, path) -> OsqError:
    with pytest.raises(OsqError) as info:
        read_delivery(conv, path)
    return info.value


def test_negative_count_is_refused_located(france_travail, defm, tmp_path):
    rows = [list(r) for r in defm]
    rows[0][3] = -rows[0][3]  # the sign typed by mistake: once a key figure of the QP062036 note
    path = write_csv_latin1(tmp_path / "defm_abc_qpv_2019T4.csv", DEFM_HEADER, rows, decimals=0)
    e = _error(france_travail, path)
    assert (e.ligne, e.colonne) == (2, "D (« Demandeurs d'emploi cat. A, B, C »)")
    assert "valeur impossible" in e.message and "jamais négative" in e.message and str(path) in str(e)


def test_fractional_count_is_refused(france_travail, defm, tmp_path):
    rows = [list(r) for r in defm]
    rows[1][3] = rows[1][3] + 0.5
    path = write_csv_latin1(tmp_path / "defm_abc_qpv_2019T4.csv", DEFM_HEADER, rows, decimals=1)
    e = _error(france_travail, path)
    assert (e.ligne, e.colonne) == (3, "D (« Demandeurs d'emploi cat. A, B, C »)")
    assert "effectif non entier" in e.message and ",5 »" in e.message


@pytest.mark.parametrize("year, when", [(1995, "antérieure à 2000"), (2031, "dans le futur")])
def test_impossible_year_is_refused(france_travail, defm, tmp_path, year, when):
    rows = [[c, lib, year, v] for c, lib, _, v in defm]
    path = write_csv_latin1(tmp_path / "defm_abc_qpv_2019T4.csv", DEFM_HEADER, rows, decimals=0)
    e = _error(france_travail, path)
    assert (e.ligne, e.colonne) == (2, "C (« Année »)")
    assert f"année {year} impossible ({when})" in e.message and "premiere_annee" in e.correction


def test_utf8_file_for_a_latin1_convention_names_the_encoding(france_travail, defm, tmp_path):
    path = tmp_path / "defm_abc_qpv_2019T4.csv"
    lines = [";".join(DEFM_HEADER), *(";".join(str(c) for c in r) for r in defm)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    e = _error(france_travail, path)
    assert "encodé en UTF-8, alors que la convention déclare latin-1" in e.message
    assert "Ã©" in e.message and "encodage: utf-8" in e.correction and e.ligne == 1


def test_comma_for_a_semicolon_convention_names_the_separator(france_travail, defm, tmp_path):
    path = tmp_path / "defm_abc_qpv_2019T4.csv"
    quoted = [f'"{h}"' if "," in h else h for h in DEFM_HEADER]
    lines = [",".join(quoted), *(",".join(str(c) for c in r) for r in defm)]
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")
    e = _error(france_travail, path)
    assert "séparé par la virgule « , », alors que la convention déclare le point-virgule « ; »" in e.message
    assert 'separateur: ","' in e.correction


def test_numerator_above_denominator_is_refused(con, tmp_path):
    """A share recomputed from a numerator larger than its denominator (once 859 %) never loads."""
    conv = load_convention(CONVENTIONS / "caf-pas-de-calais.yml")
    path = write_caf_workbook(tmp_path / "caf_pas-de-calais_iris_2017.xlsx", 2017, _caf_rows(con, 2017))
    wb = load_workbook(path)
    ws = wb["Ressources"]
    num = 3  # C: « Allocataires dont les prestations font 50 % ou plus des ressources », over B: « Allocataires »
    assert str(ws.cell(3, num).value).startswith("Allocataires dont les prestations")
    row = next(r for r in range(4, ws.max_row + 1) if isinstance(ws.cell(r, num).value, int | float)
               and ws.cell(r, num).value > 0)
    ws.cell(row, num).value = ws.cell(row, num).value * 100  # two zeros too many
    wb.save(path)
    e = _error(conv, path)
    assert e.ligne == row and "supérieur à son dénominateur" in e.message and "ne dépasse pas 100 %" in e.message


def test_refused_delivery_leaves_the_store_unchanged(france_travail, defm, store_file, tmp_path):
    copy = tmp_path / "osq.duckdb"
    shutil.copy(store_file, copy)
    con = duckdb.connect(str(copy))
    try:
        before = con.execute("SELECT count(*), sum(hash(o)) FROM observations o").fetchone()
        rows = [list(r) for r in defm]
        rows[2][3] = -1
        path = write_csv_latin1(tmp_path / "defm_abc_qpv_2019T4.csv", DEFM_HEADER, rows, decimals=0)
        with pytest.raises(OsqError):
            ingest_delivery(con, france_travail, path)
        assert con.execute("SELECT count(*), sum(hash(o)) FROM observations o").fetchone() == before
    finally:
        con.close()

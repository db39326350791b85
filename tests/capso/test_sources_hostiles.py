"""A hostile copy of a source file never reaches the store (issue 13, « guarded ingestion »).

For the source of every reader, one real file of the CAPSO cut (tests/decoupe.py, cut from the mirror at run
time) is damaged in each way a copy goes wrong: truncated, header only, one short row, an impossible value,
extra fields, another encoding, another separator, empty. Ingesting it must raise a French OsqError and leave
every row of that source in the store byte-for-byte as it was (observations, territories, memberships…).

Kinds that do not exist for a format are not generated: a GeoJSON or a workbook has no separator and no row
to shorten; a file of codes and names has no value to put out of range. The table below says which apply.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest

from osq_utils import store
from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.errors import OsqError
from osq_utils.ingest import ingest_source

KINDS_CSV = ("tronque", "entete_seul", "ligne_courte", "hors_bornes", "champs_en_trop", "encodage", "separateur", "vide")
KINDS_GEO = ("tronque", "entete_seul", "encodage", "vide")
KINDS_BINAIRE = ("tronque", "vide")

# source -> (its file to damage, (column, impossible value) or None when the file holds no value).
# The row damaged is the first data row whose cell in that column is filled, among rows holding `avec` if given.
CSV_CASES: dict[str, tuple[str, tuple[str, str] | None, str | None]] = {
    "insee-filosofi-2014-2019-disp": ("communes/FILO2016_DISP_COM.csv", ("NBPERS16", "-22"), None),
    "insee-filosofi-2015-2016": ("filosofi_com_2016.csv", ("TP6016", "220"), None),
    "insee-filosofi-2018-communes": ("FILO2018_DISP_Pauvres_COM.csv", ("TP6018", "220"), None),
    "insee-filosofi-2021-communes": ("cc_filosofi_2021_COM.csv", ("TP6021", "-22"), None),
    "insee-filosofi-2020-departements": ("FILO2020_DISP_PAUVRES_DEP.csv", ("TP6020", "220"), None),
    "insee-anct-qpv-2015": ("revenus/REVN_2019.csv", ("TP60", "220"), "QP062036"),
    "cnaf-caf-iris-2016-2020": ("data_CAF_2018_IRIS.csv", ("A", "-22"), None),
    "insee-rp-2016-iris": ("IRIS_population_IR_Hab.csv", ("P16_POP0014", "-22"), None),
    "menj-ips-2021-2022": ("fr-en-ips_colleges_2022.csv", ("IPS", "-22"), None),
    "anct-odt-jeunes-non-inseres-2008-2018": ("neet_communes_2018.csv", ("part_non_inseres", "220"), None),
    "sdes-rpls-2024-communes": ("export_parc_logements_sociaux_jan_2024.csv", ("nb_loues", "-22"), None),
    "ssmsi-delinquance-2016-2023-dep-reg": ("donnee-dep-2023.csv", ("faits", "-22"), "Cambriolages de logement"),
    # The CAPSO cut holds no Occitanie QPV: this source's file is the mirror's own.
    "qpv-occitanie": ("qp.csv", ("tp60", "220"), None),
    "anct-qpv-2015-contours": ("pop_qp_2013.csv", ("population_municipale_2013", "-22"), None),
    "insee-bpe-2019-france": ("bpe_ens_2019_iris_france.csv.gz", ("NB_EQUIP", "-22"), "D201"),
    "insee-comparateur-territoires-rp2018": ("base_cc_comparateur_csv.zip", ("P18_POP", "-22"), None),
    "insee-comparateur-territoires-rp2017": ("base-comparateur-2017_CSV.zip", ("P17_POP", "-22"), None),
    "cogugaison-2014-2024": ("cog_communes_pop_2014_2024_dep42_62_77_94.csv", ("POP", "-22"), None),
    "insee-cog-2019": ("cog_com_2019.csv", None, None),
    "etalab-decoupage-administratif-2026": ("communes_2026_all_types.csv", None, None),
    "insee-iris-2021": ("iris_2021.csv", None, None),
    "ign-contours-iris-42": ("iris_grd_quartier.csv", None, None),
}
GEO_CASES = {
    "ign-admin-express-2018-communes": "communes-62-pas-de-calais.geojson",
    "ign-admin-express-2018-communes-france": "communes-62-pas-de-calais.geojson",
    "ign-contours-iris-2020-capso": "iris2020_capso.geojson",
    "iris-contours-94": "iris_contours_94.geojson",
    "anct-qpv-2024-communes": "centroide-4326_qpv.geojson",
}
BINARY_CASES = {
    "insee-tagc-2024": "table-appartenance-geo-communes-2024.xlsx",
    "insee-tagc-2022": "table-appartenance-geo-communes-22.zip",
}
CASES = ([(s, k) for s in CSV_CASES for k in KINDS_CSV if k != "hors_bornes" or CSV_CASES[s][1]]
         + [(s, k) for s in GEO_CASES for k in KINDS_GEO] + [(s, k) for s in BINARY_CASES for k in KINDS_BINAIRE])


def test_every_reader_has_its_hostile_cases(catalogue):
    """No reader escapes: each reader of the catalogue has a source in the table above."""
    covered = {catalogue[s].lecteur for s in (*CSV_CASES, *GEO_CASES, *BINARY_CASES)}
    assert {s.lecteur for s in catalogue.values()} == covered


# --- damaging a file, as a copy goes wrong ----------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("undecodable")


def _damage_text(text: str, kind: str, sep: str, cell: tuple[str, str] | None, avec: str | None) -> str | bytes:
    lines = text.splitlines()
    header, body = lines[0], [line for line in lines[1:] if line.strip()]
    assert body, "the file to damage must hold data rows"
    if kind == "tronque":  # a download cut short: the first half of the rows, at a line end
        return "\n".join([header, *body[: len(body) // 2]]) + "\n"
    if kind == "entete_seul":
        return header + "\n"
    if kind == "vide":
        return ""
    if kind == "separateur":
        other = "," if sep == ";" else ";"
        return "\n".join(line.replace(sep, other) for line in [header, *body]) + "\n"
    if kind == "encodage":
        data = "\n".join([header, *body]) + "\n"
        return data.encode("latin-1" if not data.isascii() else "utf-16", errors="replace")
    names = [c.strip().strip('"').lstrip("\ufeff") for c in header.split(sep)]
    named = len(names) - next(k for k, n in enumerate(reversed(names)) if n)  # without trailing empty columns
    rows = [i for i, line in enumerate(body) if len(line.split(sep)) == len(names) and (avec is None or avec in line)]
    if kind == "hors_bornes":
        assert cell is not None
        column, value = cell
        j = names.index(column)
        i = next(i for i in rows if body[i].split(sep)[j].strip('" '))
    else:
        i = rows[0]
    cells = body[i].split(sep)
    if kind == "ligne_courte":  # the last named fields lost
        cells = cells[: max(1, named // 2)]
    elif kind == "champs_en_trop":
        cells = [*cells, "1", "2"]
    elif kind == "hors_bornes":
        cells[j] = value
    body[i] = sep.join(cells)
    return "\n".join([header, *body]) + "\n"


def _damage_csv(src: Path, dest: Path, kind: str, cell, avec) -> None:
    if src.suffix == ".zip":  # the member CSV of the archive is damaged, the archive rewritten
        with zipfile.ZipFile(src) as zf:
            members = {n: zf.read(n) for n in zf.namelist()}
        name = next(n for n in members if n.lower().endswith(".csv"))
        text, _ = _decode(members[name])
        damaged = _damage_text(text, kind, _sep(text), cell, avec)
        members[name] = damaged if isinstance(damaged, bytes) else damaged.encode("utf-8")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for n, data in members.items():
                zf.writestr(n, data)
        dest.write_bytes(buf.getvalue())
        return
    raw = gzip.decompress(src.read_bytes()) if src.suffix == ".gz" else src.read_bytes()
    text, _ = _decode(raw)
    damaged = _damage_text(text, kind, _sep(text), cell, avec)
    data = damaged if isinstance(damaged, bytes) else damaged.encode("utf-8")
    dest.write_bytes(gzip.compress(data) if src.suffix == ".gz" else data)


def _sep(text: str) -> str:
    header = text.split("\n", 1)[0]
    return max((";", ",", "\t"), key=header.count)


def _damage_geo(src: Path, dest: Path, kind: str) -> None:
    data = src.read_bytes()
    if kind == "tronque":
        dest.write_bytes(data[: len(data) // 2])
    elif kind == "entete_seul":  # a valid FeatureCollection without a feature
        dest.write_text('{"type": "FeatureCollection", "features": []}\n', encoding="utf-8")
    elif kind == "encodage":
        dest.write_bytes(data.decode("utf-8").encode("utf-16"))
    else:
        dest.write_bytes(b"")


def _damage_binary(src: Path, dest: Path, kind: str) -> None:
    data = src.read_bytes()
    dest.write_bytes(data[: len(data) // 2] if kind == "tronque" else b"")


# --- the store before and after -----------------------------------------------------------------------------


def _empreinte(con, source: str) -> dict[str, tuple]:
    """Every row of the source, table by table, as (count, order-independent hash)."""
    return {t: con.execute(f"SELECT count(*), sum(hash(x)) FROM {t} x WHERE source = ?", [source]).fetchone()
            for t in store.TABLES_BY_SOURCE if t != "chargements"}


@pytest.fixture(scope="module")
def base_ecrivable(store_file, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hostiles") / "capso.duckdb"
    shutil.copy(store_file, path)
    return path


@pytest.fixture(scope="module")
def chargees(base_ecrivable, coupe, mirror, catalogue) -> dict[str, Path]:
    """The reference: the CAPSO store holds every source loaded from the cut; qpv-occitanie is loaded again from
    the mirror's file (the cut holds no Occitanie QPV)."""
    dest, _ = coupe
    con = duckdb.connect(str(base_ecrivable))
    try:
        for source_id in ("qpv-occitanie",):
            ingest_source(con, catalogue[source_id], _bon_chemin(dest, mirror))
    finally:
        con.close()
    return {}


def _bon_chemin(dest: Path, mirror: Path):
    def path_of(source_id: str, chemin: str) -> Path:
        if source_id == "qpv-occitanie" and chemin == "qp.csv":
            return mirror / source_id / chemin
        return dest / source_id / chemin

    return path_of


@pytest.mark.parametrize("source_id, kind", CASES, ids=[f"{s}-{k}" for s, k in CASES])
def test_hostile_copy_is_refused_and_the_store_unchanged(source_id, kind, chargees, base_ecrivable, coupe, mirror,
                                                          catalogue, tmp_path):
    dest, _ = coupe
    good = _bon_chemin(dest, mirror)
    if source_id in CSV_CASES:
        chemin, cell, avec = CSV_CASES[source_id]
    else:
        chemin, cell, avec = (GEO_CASES | BINARY_CASES)[source_id], None, None
    damaged = tmp_path / Path(chemin).name  # same name: the previous load's count of this file applies
    src = good(source_id, chemin)
    if source_id in CSV_CASES:
        _damage_csv(src, damaged, kind, cell, avec)
    elif source_id in GEO_CASES:
        _damage_geo(src, damaged, kind)
    else:
        _damage_binary(src, damaged, kind)

    def path_of(sid: str, c: str) -> Path:
        return damaged if (sid, c) == (source_id, chemin) else good(sid, c)

    con = duckdb.connect(str(base_ecrivable))
    try:
        before = _empreinte(con, source_id)
        with pytest.raises(OsqError) as info:
            ingest_source(con, catalogue[source_id], path_of)
        after = _empreinte(con, source_id)
    finally:
        con.close()
    assert after == before
    exc = info.value
    assert exc.fichier is not None and exc.correction, str(exc)
    assert not any(w in exc.message for w in ("Traceback", "Error", "Expected", "invalid", "line ")), exc.message


# --- the command, as a user runs it ----------------------------------------------------------------------------


def _osq(env: dict, *args: str):
    return subprocess.run([sys.executable, "-m", "osq_utils.cli", *args], cwd=PROJECT_ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=600)


def _arques_2016(path: Path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT count(*) FILTER (WHERE niveau = 'commune' AND annee = 2016), "
                           "any_value(valeur) FILTER (WHERE code = '62040' AND indicateur = 'taux_pauvrete' "
                           "AND annee = 2016) FROM observations WHERE source = 'insee-filosofi-2015-2016'").fetchone()
    finally:
        con.close()


def test_osq_ingest_refuses_a_truncated_copy_dropped_into_the_sources(store_file, coupe, tmp_path):
    """Once: a truncated Filosofi copy in data/sources/ exited 0 and replaced the good data (the 2016 commune
    observations fell from 108,528 to 3,732 on the full store; Arques' 2016 poverty rate disappeared)."""
    dest, _ = coupe
    sources = tmp_path / "sources"
    shutil.copytree(dest, sources)
    base = tmp_path / "osq.duckdb"
    shutil.copy(store_file, base)
    before = _arques_2016(base)
    assert before[1] == 22.0  # Insee, filosofi_com_2016.csv, TP6016 of 62040
    com16 = sources / "insee-filosofi-2015-2016" / "filosofi_com_2016.csv"
    lines = com16.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines[1:] if not line.startswith("62040;")][:3]  # 3 rows, Arques' lost
    com16.write_text("\n".join([lines[0], *kept]) + "\n", encoding="utf-8")
    env = {"OSQ_SOURCES": str(sources), "OSQ_STORE": str(base)}
    proc = _osq(env, "ingest", "-s", "insee-filosofi-2015-2016")
    assert proc.returncode == 2, proc.stderr
    err = " ".join(proc.stderr.split())
    assert "Traceback" not in proc.stderr and "semble tronqué" in err and str(com16) in err.replace(" ", "")
    assert _arques_2016(base) == before
    proc = _osq(env, "ingest", "-s", "insee-filosofi-2015-2016", "--accepter-baisse")  # the user's explicit choice
    assert proc.returncode == 0, proc.stderr
    assert _arques_2016(base)[1] is None


@pytest.mark.parametrize("commande", ["ingest", "sources"])
def test_unknown_source_id_is_a_french_error(commande, tmp_path):
    """Once: `osq ingest -s` and `osq sources -s` with an unknown id gave a KeyError."""
    proc = _osq({"OSQ_STORE": str(tmp_path / "osq.duckdb"), "OSQ_SOURCES": str(tmp_path / "sources")},
                commande, "-s", "insee-filosofi-2051")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "KeyError" not in proc.stderr
    assert "insee-filosofi-2051" in proc.stderr and "inconnue" in proc.stderr

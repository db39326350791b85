
"""Bad input gives a located French OsqError and never corrupts the store.

Every damaged file is cut at run time from a REAL mirror file (header + a few
real lines), then damaged the way an analyst or a spreadsheet would: no figure
is invented. Readers are driven through ``ingest_source`` with a ``path_of``
that points one file of a real source at the damaged copy.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from osq_utils import store
from osq_utils.batch.plan import plan
from osq_utils.errors import OsqError
from osq_utils.ingest import ingest_source
from osq_utils.ingest.tabular import read_validated

DOREMI = "insee-filosofi-2015-2016"
COM16 = "filosofi_com_2016.csv"
DISP = "insee-filosofi-2014-2019-disp"
DISP_COM16 = "communes/FILO2016_DISP_COM.csv"
# Real communes kept in every extract: a commune with INSEE blanks (01001),
# communes of the CAPSO (Arques, Longuenesse, Saint-Omer).
KEEP = ("01001", "01002", "01004", "62040", "62525", "62765")


# --- helpers -------------------------------------------------------------------


def _lines(path: Path, encoding: str = "utf-8-sig") -> list[str]:
    with open(path, encoding=encoding, newline="") as fh:
        return fh.read().splitlines()


def _extract(src: Path, dest: Path, codes: tuple[str, ...] = KEEP, first: int = 0) -> list[str]:
    """Header + the real lines of `codes` (+ the `first` first data lines), written to dest."""
    lines = _lines(src)
    header, body = lines[0], lines[1:]
    keep = body[:first] + [l for l in body[first:] if l.split(";", 1)[0] in codes]
    out = [header, *keep]
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text("\n".join(out) + "\n", encoding="utf-8")
    return out


def _write(dest: Path, lines: list[str]) -> Path:
    dest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dest


def _line_no(lines: list[str], code: str) -> int:
    """1-based file line of the row of `code` (line 1 is the header)."""
    return next(i for i, l in enumerate(lines, start=1) if l.split(";", 1)[0] == code)


def _set_cell(lines: list[str], code: str, column: str, value: str) -> list[str]:
    header = lines[0].split(";")
    j = header.index(column)
    out = list(lines)
    i = _line_no(lines, code) - 1
    cells = out[i].split(";")
    cells[j] = value
    out[i] = ";".join(cells)
    return out


def _drop_column(lines: list[str], column: str) -> list[str]:
    j = lines[0].split(";").index(column)
    out = []
    for l in lines:
        cells = l.split(";")
        del cells[j]
        out.append(";".join(cells))
    return out


@pytest.fixture
def doremi_extracts(tmp_path, mirror, catalogue):
    """Small real extracts of the four files of insee-filosofi-2015-2016."""
    folder = tmp_path / "extraits"
    lines = {}
    for f in catalogue[DOREMI].fichiers:
        src = mirror / DOREMI / f.chemin
        if "epci" in f.chemin:
            lines[f.chemin] = _extract(src, folder / f.chemin, codes=("200069037", "246200455"), first=5)
        else:
            lines[f.chemin] = _extract(src, folder / f.chemin)
    return folder, lines


def _path_of(folder: Path, overrides: dict[str, Path] | None = None):
    overrides = overrides or {}

    def path_of(source_id: str, chemin: str) -> Path:
        return overrides.get(chemin, folder / chemin)

    return path_of


def _ingest_doremi(con, catalogue, folder, overrides=None):
    return ingest_source(con, catalogue[DOREMI], _path_of(folder, overrides))


def _ingest_error(catalogue, folder, damaged: Path, tmp_path) -> OsqError:
    con = store.connect(tmp_path / "erreurs.duckdb")
    try:
        with pytest.raises(OsqError) as info:
            _ingest_doremi(con, catalogue, folder, {COM16: damaged})
    finally:
        con.close()
    return info.value


# --- located errors on damaged source files -----------------------------------------


def test_wrong_separator_is_line_1(doremi_extracts, catalogue, tmp_path):
    folder, lines = doremi_extracts
    # The ';' INSEE file re-saved by a spreadsheet with ',' (decimals are '.', so no quoting needed).
    resaved = [l.replace(";", ",") for l in lines[COM16]]
    damaged = _write(tmp_path / "virgules.csv", resaved)
    exc = _ingest_error(catalogue, folder, damaged, tmp_path)
    assert Path(exc.fichier) == damaged
    assert exc.ligne == 1
    assert exc.colonne == 1
    assert "séparateur" in exc.message and "point-virgule" in exc.message
    assert "virgule « , »" in exc.message  # says what it found
    assert "point-virgule" in exc.correction
    assert "ligne 1" in str(exc) and str(damaged) in str(exc)


@pytest.mark.parametrize("column", ["CODGEO", "NBPERSMENFISC16", "TP6016"])
def test_missing_column_is_named(doremi_extracts, catalogue, tmp_path, column):
    folder, lines = doremi_extracts
    damaged = _write(tmp_path / f"sans_{column}.csv", _drop_column(lines[COM16], column))
    exc = _ingest_error(catalogue, folder, damaged, tmp_path)
    assert Path(exc.fichier) == damaged
    assert exc.ligne == 1
    assert exc.colonne == column
    assert f"colonne obligatoire « {column} » absente" in exc.message
    assert column in exc.correction


def test_missing_column_read_validated_suggests_close_names(mirror, tmp_path):
    lines = _extract(mirror / DISP / DISP_COM16, tmp_path / "x.csv")
    damaged = _write(tmp_path / "sans_nbpers.csv", _drop_column(lines, "NBPERS16"))
    with pytest.raises(OsqError) as info:
        read_validated(damaged, sep=";", code_column="CODGEO", niveau="commune", numeric=["NBMEN16", "NBPERS16"])
    exc = info.value
    assert (exc.ligne, exc.colonne) == (1, "NBPERS16")
    assert "absente" in exc.message and "Colonnes proches" in exc.message


def test_disp_file_without_nbpers_is_an_error(mirror, catalogue, tmp_path):
    lines = _extract(mirror / DISP / DISP_COM16, tmp_path / "x.csv")
    damaged = _write(tmp_path / "FILO2016_DISP_COM.csv", _drop_column(lines, "NBPERS16"))
    source = catalogue[DISP]
    one_file = dataclasses.replace(source, fichiers=(source.fichier(DISP_COM16),))
    con = store.connect(tmp_path / "disp.duckdb")
    try:
        with pytest.raises(OsqError) as info:
            ingest_source(con, one_file, lambda sid, chemin: damaged)
    finally:
        con.close()
    assert (info.value.ligne, info.value.colonne) == (1, "NBPERS16")


@pytest.mark.parametrize("code", ["01001", "01004"])
def test_lost_leading_zero(doremi_extracts, catalogue, tmp_path, code):
    folder, lines = doremi_extracts
    # What Excel does to a code column read as numbers: 01001 -> 1001.
    damaged_lines = list(lines[COM16])
    i = _line_no(damaged_lines, code) - 1
    damaged_lines[i] = damaged_lines[i][1:]
    damaged = _write(tmp_path / "excel.csv", damaged_lines)
    exc = _ingest_error(catalogue, folder, damaged, tmp_path)
    assert Path(exc.fichier) == damaged
    assert exc.ligne == i + 1
    assert exc.colonne == "CODGEO"
    assert f"« {code[1:]} »" in exc.message
    assert "zéro initial a été perdu" in exc.message
    assert f"« {code} » attendu" in exc.message
    assert "Texte" in exc.correction


def test_code_written_as_number(doremi_extracts, catalogue, tmp_path):
    folder, lines = doremi_extracts
    damaged_lines = list(lines[COM16])
    i = _line_no(damaged_lines, "62765") - 1
    damaged_lines[i] = "62765.0" + damaged_lines[i][len("62765"):]
    damaged = _write(tmp_path / "nombre.csv", damaged_lines)
    exc = _ingest_error(catalogue, folder, damaged, tmp_path)
    assert (exc.ligne, exc.colonne) == (i + 1, "CODGEO")
    assert "écrit comme un nombre" in exc.message


def test_duplicate_code_names_both_lines(doremi_extracts, catalogue, tmp_path):
    folder, lines = doremi_extracts
    original = lines[COM16]
    first = _line_no(original, "62765")
    damaged_lines = [*original, original[first - 1]]  # the Saint-Omer row pasted twice
    second = len(damaged_lines)
    damaged = _write(tmp_path / "double.csv", damaged_lines)
    exc = _ingest_error(catalogue, folder, damaged, tmp_path)
    assert Path(exc.fichier) == damaged
    assert exc.colonne == "CODGEO"
    assert exc.ligne == second
    assert "double" in exc.message and "62765" in exc.message
    assert f"lignes {first}, {second}" in exc.message
    assert "supprimez" in exc.correction


@pytest.mark.parametrize(("code", "column", "value"), [
    ("62765", "TP6016", "30a"),          # a typo after the real 30
    ("62040", "NBPERSMENFISC16", "n.d."),
    ("62525", "PIMP16", "12,5a"),
])
def test_text_in_numeric_column(doremi_extracts, catalogue, tmp_path, code, column, value):
    folder, lines = doremi_extracts
    damaged_lines = _set_cell(lines[COM16], code, column, value)
    damaged = _write(tmp_path / "texte.csv", damaged_lines)
    exc = _ingest_error(catalogue, folder, damaged, tmp_path)
    assert Path(exc.fichier) == damaged
    assert exc.ligne == _line_no(damaged_lines, code)
    assert exc.colonne == column
    assert f"valeur non numérique « {value} »" in exc.message
    assert "laissez la cellule vide" in exc.correction


def test_decimal_comma_and_thousands_space_are_numbers(mirror, tmp_path):
    """The real DISP files use a decimal comma and, in places, a space as thousands separator."""
    lines = _extract(mirror / DISP / DISP_COM16, tmp_path / "x.csv")
    spaced = _set_cell(lines, "62765", "NBPERS16", "13\u00a0746")
    path = _write(tmp_path / "espaces.csv", spaced)
    df = read_validated(path, sep=";", code_column="CODGEO", niveau="commune", numeric=["NBPERS16", "NBUC16"])
    row = df.set_index("CODGEO").loc["62765"]
    assert row["NBPERS16"] == 13746
    raw_nbuc = lines[_line_no(lines, "62765") - 1].split(";")[lines[0].split(";").index("NBUC16")]
    assert row["NBUC16"] == float(raw_nbuc.replace(",", "."))


# --- params files -------------------------------------------------------------------


def _params(tmp_path: Path, communes: str) -> tuple[Path, str]:
    text = (
        "observatoire:\n"
        "  id: essai\n"
        "  titre: Observatoire d'essai\n"
        "notes:\n"
        "  - modele: note_communale\n"
        "    territoires:\n"
        f"      communes: {communes}\n"
    )
    path = tmp_path / "essai.yml"
    path.write_text(text, encoding="utf-8")
    return path, text


def _yaml_position(text: str, token: str) -> tuple[int, int]:
    for i, line in enumerate(text.splitlines(), start=1):
        m = re.search(r"(?<![\w\"])" + re.escape(token) + r"(?![\w\"])", line)
        if m and "communes" in line:
            return i, m.start() + 1
    raise AssertionError(token)


def test_params_unknown_commune_is_located(con, tmp_path):
    path, text = _params(tmp_path, '["62040", 99999]')
    with pytest.raises(OsqError) as info:
        plan(con, path)
    exc = info.value
    assert Path(exc.fichier) == path
    assert (exc.ligne, exc.colonne) == _yaml_position(text, "99999") == (7, 27)
    assert "« 99999 » inconnu" in exc.message
    assert "guillemets" in exc.correction


@pytest.mark.parametrize("token", ["1001", "01001"])
def test_params_unquoted_code_lost_leading_zero(con, tmp_path, token):
    # 1001: the zero was dropped; 01001: YAML 1.1 reads it as an octal integer (513).
    path, text = _params(tmp_path, f'["62765", {token}, "62040"]')
    with pytest.raises(OsqError) as info:
        plan(con, path)
    exc = info.value
    assert Path(exc.fichier) == path
    assert (exc.ligne, exc.colonne) == _yaml_position(text, token)
    # 1001 is looked up (and unknown); 01001 is named as typed, never as the octal « 513 ».
    assert ("inconnu" in exc.message) == (token == "1001") and "513" not in exc.message
    assert "sans guillemets" in exc.message and "zéro initial" in exc.message and f"« {token} »" in exc.message


def test_params_valid_communes_plan(con, tmp_path):
    path, _ = _params(tmp_path, '["62040", "62765"]')
    p = plan(con, path)
    assert [j.code for j in p.jobs] == ["62040", "62765"]


# --- transactions: a failed ingestion leaves the store as it was --------------------------


def _count(con, source=DOREMI) -> int:
    return con.execute("SELECT count(*) FROM observations WHERE source = ?", [source]).fetchone()[0]


def _saint_omer_2016(con):
    return con.execute(
        "SELECT valeur, statut FROM observations WHERE source = ? AND niveau = 'commune' AND code = '62765' "
        "AND indicateur = 'taux_pauvrete' AND annee = 2016", [DOREMI]).fetchone()


def _snapshot(con) -> pd.DataFrame:
    df = con.execute(
        "SELECT code, niveau, indicateur, annee, valeur, statut FROM observations WHERE source = ?", [DOREMI]).df()
    return df.sort_values(["niveau", "code", "indicateur", "annee"]).reset_index(drop=True)


@pytest.mark.parametrize("damage", ["texte", "separateur", "zero", "double", "colonne"])
def test_failed_ingest_leaves_store_unchanged(doremi_extracts, catalogue, tmp_path, damage):
    folder, lines = doremi_extracts
    good = lines[COM16]
    damaged_lines = {
        "texte": lambda: _set_cell(good, "62765", "TP6016", "n.d."),
        "separateur": lambda: [l.replace(";", ",") for l in good],
        "zero": lambda: [l[1:] if l.startswith("01001;") else l for l in good],
        "double": lambda: [*good, good[_line_no(good, "62040") - 1]],
        "colonne": lambda: _drop_column(good, "NBMENFISC16"),
    }[damage]()
    damaged = _write(tmp_path / "abime.csv", damaged_lines)

    con = store.connect(tmp_path / "s.duckdb")
    try:
        _ingest_doremi(con, catalogue, folder)
        before = _snapshot(con)
        n = _count(con)
        loads = con.execute("SELECT count(*) FROM chargements WHERE source = ?", [DOREMI]).fetchone()[0]
        assert n > 0 and loads == 4
        assert _saint_omer_2016(con) == (30.0, "ok")  # the real value of the INSEE file

        with pytest.raises(OsqError) as info:
            _ingest_doremi(con, catalogue, folder, {COM16: damaged})
        assert Path(info.value.fichier) == damaged

        assert _count(con) == n
        assert _saint_omer_2016(con) == (30.0, "ok")
        assert con.execute("SELECT count(*) FROM chargements WHERE source = ?", [DOREMI]).fetchone()[0] == loads
        pd.testing.assert_frame_equal(_snapshot(con), before)
    finally:
        con.close()


def test_reingest_is_idempotent(doremi_extracts, catalogue, tmp_path):
    folder, _ = doremi_extracts
    con = store.connect(tmp_path / "s.duckdb")
    try:
        _ingest_doremi(con, catalogue, folder)
        n = _count(con)
        before = _snapshot(con)
        _ingest_doremi(con, catalogue, folder)
        _ingest_doremi(con, catalogue, folder)
        assert _count(con) == n
        dups = con.execute(
            "SELECT code, niveau, indicateur, annee, count(*) FROM observations WHERE source = ? "
            "GROUP BY ALL HAVING count(*) > 1", [DOREMI]).fetchall()
        assert dups == []
        assert con.execute("SELECT count(*) FROM chargements WHERE source = ?", [DOREMI]).fetchone()[0] == 4
        pd.testing.assert_frame_equal(_snapshot(con), before)
        assert _saint_omer_2016(con) == (30.0, "ok")
    finally:
        con.close()


def test_failure_inside_the_store_transaction_rolls_back(doremi_extracts, catalogue, tmp_path):
    """A failure after the DELETE (here: a row the CHECK constraint refuses) restores the old rows."""
    folder, _ = doremi_extracts
    con = store.connect(tmp_path / "s.duckdb")
    try:
        _ingest_doremi(con, catalogue, folder)
        before = _snapshot(con)
        good = con.execute("SELECT * FROM observations WHERE source = ? LIMIT 3", [DOREMI]).df()
        bad = good.drop(columns=["source"]).assign(statut="zero")  # not a known status
        with pytest.raises(duckdb.ConstraintException):
            store.replace_source(con, DOREMI, {"observations": bad}, [{"fichier": "x.csv"}])
        pd.testing.assert_frame_equal(_snapshot(con), before)
        assert _saint_omer_2016(con) == (30.0, "ok")
    finally:
        con.close()


# --- blank INSEE cells are secret, never 0 ----------------------------------------------


def test_blank_cells_are_secret_in_small_store(doremi_extracts, catalogue, mirror, tmp_path):
    folder, lines = doremi_extracts
    row = lines[COM16][_line_no(lines[COM16], "01001") - 1].split(";")
    header = lines[COM16][0].split(";")
    assert row[header.index("TP6016")] == ""  # the real INSEE file leaves it blank
    con = store.connect(tmp_path / "s.duckdb")
    try:
        _ingest_doremi(con, catalogue, folder)
        got = con.execute(
            "SELECT valeur, numerateur, statut FROM observations WHERE code = '01001' AND indicateur = 'taux_pauvrete' "
            "AND annee = 2016").fetchall()
        assert len(got) == 1
        valeur, numerateur, statut = got[0]
        assert statut == "secret" and valeur is None and numerateur is None
    finally:
        con.close()


def test_blank_cells_are_secret_in_store(con, mirror):
    # FILO2016_DISP_COM.csv: 01001 has NBMEN16 = 313 but blank Q116, D116, D916, GI16...
    lines = _lines(mirror / DISP / DISP_COM16)
    header = lines[0].split(";")
    row = lines[_line_no(lines, "01001") - 1].split(";")
    assert row[header.index("D116")] == "" and row[header.index("Q116")] == ""
    assert row[header.index("NBMEN16")] == "313"
    got = dict(
        (ind, (valeur, statut))
        for ind, valeur, statut in con.execute(
            "SELECT indicateur, valeur, statut FROM observations WHERE source = ? AND niveau = 'commune' "
            "AND code = '01001' AND annee = 2016", [DISP]).fetchall()
    )
    for ind in ("decile_1", "decile_9", "gini"):
        assert got[ind] == (None, "secret"), ind
    assert got["nb_menages_fiscaux"] == (313.0, "ok")
    zeros = con.execute(
        "SELECT count(*) FROM observations WHERE source = ? AND statut = 'secret' AND (valeur IS NOT NULL OR valeur = 0)",
        [DISP]).fetchone()[0]
    assert zeros == 0


def test_line_number_survives_an_empty_line(doremi_extracts, catalogue, tmp_path):
    folder, lines = doremi_extracts
    damaged_lines = _set_cell(lines[COM16], "62765", "TP6016", "n.d.")
    damaged_lines.insert(2, "")  # an empty line left by a text editor
    damaged = _write(tmp_path / "ligne_vide.csv", damaged_lines)
    exc = _ingest_error(catalogue, folder, damaged, tmp_path)
    assert exc.colonne == "TP6016"
    assert exc.ligne == _line_no(damaged_lines, "62765")


# --- guarded ingestion (issue 13): a copy that would lose or falsify data is refused -----------------------


def _arques_2016(con):
    return con.execute(
        "SELECT valeur, statut FROM observations WHERE source = ? AND niveau = 'commune' AND code = '62040' "
        "AND indicateur = 'taux_pauvrete' AND annee = 2016", [DOREMI]).fetchone()


def _refused(con, catalogue, folder, damaged_lines, tmp_path) -> OsqError:
    """Ingest COM16 replaced by damaged_lines (same file name, as when dropped into data/sources/)."""
    (tmp_path / "copie").mkdir(exist_ok=True)
    damaged = _write(tmp_path / "copie" / COM16, damaged_lines)
    before, n = _snapshot(con), _count(con)
    with pytest.raises(OsqError) as info:
        _ingest_doremi(con, catalogue, folder, {COM16: damaged})
    assert _count(con) == n
    pd.testing.assert_frame_equal(_snapshot(con), before)
    assert Path(info.value.fichier) == damaged
    return info.value


@pytest.fixture
def loaded(doremi_extracts, catalogue, tmp_path):
    """A store holding the real extracts (Arques' 2016 poverty rate: 22 %, filosofi_com_2016.csv)."""
    folder, lines = doremi_extracts
    con = store.connect(tmp_path / "garde.duckdb")
    _ingest_doremi(con, catalogue, folder)
    assert _arques_2016(con) == (22.0, "ok")
    yield con, folder, lines
    con.close()


def test_truncated_or_header_only_copy_keeps_the_good_data(loaded, catalogue, tmp_path):
    """Once: a truncated Filosofi file exited 0 and the 2016 commune observations fell from 108,528 to 3,732."""
    con, folder, lines = loaded
    good = lines[COM16]
    exc = _refused(con, catalogue, folder, good[:3], tmp_path)  # header + 2 of the 6 rows
    assert f"2 lignes de données contre {len(good) - 1} au chargement précédent" in exc.message
    assert "tronqué" in exc.message and "--accepter-baisse" in exc.correction
    assert _arques_2016(con) == (22.0, "ok")
    exc = _refused(con, catalogue, folder, good[:1], tmp_path)  # header only
    assert "ne contient que son en-tête" in exc.message and exc.ligne == 2
    # An edition that really is shorter loads when the user says so.
    ingest_source(con, catalogue[DOREMI], _path_of(folder, {COM16: tmp_path / "copie" / COM16}), accepter_baisse=True)
    assert _arques_2016(con) is None


def test_row_cut_short_is_refused_not_read_as_secret(loaded, catalogue, tmp_path):
    """Once: Arques' row cut short made its poverty rate « secret »."""
    con, folder, lines = loaded
    good = list(lines[COM16])
    i = _line_no(good, "62040")
    good[i - 1] = ";".join(good[i - 1].split(";")[:6])  # up to PIMP16: TP6016 and the rest lost
    exc = _refused(con, catalogue, folder, good, tmp_path)
    assert (exc.ligne, exc.colonne) == (i, "TP6016")
    assert "ligne incomplète : 6 champs au lieu de 29" in exc.message
    assert _arques_2016(con) == (22.0, "ok")


@pytest.mark.parametrize("value", ["-22", "220"])
def test_impossible_poverty_rate_is_refused(loaded, catalogue, tmp_path, value):
    """Once: a poverty rate of -22 or 220 was stored as « ok »."""
    con, folder, lines = loaded
    good = lines[COM16]
    exc = _refused(con, catalogue, folder, _set_cell(good, "62040", "TP6016", value), tmp_path)
    assert (exc.ligne, exc.colonne) == (_line_no(good, "62040"), "TP6016")
    assert "valeur impossible" in exc.message and "Taux de pauvreté" in exc.message
    assert "comprise entre 0 et 100" in exc.message
    assert _arques_2016(con) == (22.0, "ok")


def test_extra_fields_are_located_not_a_traceback(loaded, catalogue, tmp_path):
    """Once: a row with extra fields gave a Python traceback."""
    con, folder, lines = loaded
    good = list(lines[COM16])
    i = _line_no(good, "62040")
    good[i - 1] += ";12;13"
    exc = _refused(con, catalogue, folder, good, tmp_path)
    assert exc.ligne == i and "ligne trop longue : 31 champs au lieu de 29" in exc.message


def test_other_encoding_is_located(loaded, catalogue, tmp_path):
    con, folder, lines = loaded
    damaged = tmp_path / "copie" / COM16
    damaged.parent.mkdir(exist_ok=True)
    damaged.write_bytes(("\n".join(lines[COM16]) + "\n").encode("latin-1"))
    before = _snapshot(con)
    with pytest.raises(OsqError) as info:
        _ingest_doremi(con, catalogue, folder, {COM16: damaged})
    assert "encodage illisible" in info.value.message and info.value.ligne == _line_no(lines[COM16], "01001")
    pd.testing.assert_frame_equal(_snapshot(con), before)

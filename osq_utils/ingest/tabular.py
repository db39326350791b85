"""Read producer CSV files as they are, and validate them with located French errors.

Every value is read as text first: codes stay strings (leading zeros, 2A/2B),
and numbers are parsed explicitly (decimal comma, space or no-break space as
thousands separator). A blank numeric cell is kept as missing (NaN): for INSEE
files it means "secret statistique", never zero.
"""

from __future__ import annotations

import difflib
import gzip
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from osq_utils.errors import OsqError

# Code patterns by territorial level.
CODE_PATTERNS: dict[str, str] = {
    "commune": r"(?:\d{5}|2[AB]\d{3})",
    "arm": r"(?:751(?:0[1-9]|1\d|20)|6938[1-9]|132(?:0[1-9]|1[0-6]))",
    "iris": r"(?:\d{9}|2[AB]\d{7})",
    "epci": r"\d{9}",
    "ept": r"\d{9}",
    "departement": r"(?:\d{2,3}|2[AB])",
    "region": r"\d{2}",
    "qpv": r"Q[PN][0-9A-Z]{6}",
    "france": r"(?:1|FRM|FR)",
}
CODE_LENGTHS = {"commune": 5, "iris": 9, "epci": 9}
# Name of the index of a frame read by read_csv_text: its values are file lines - 2.
INDEX_LIGNES = "osq_ligne"
_SPACES = re.compile(r"[\s\u00a0\u202f]")
_SEPARATORS = {";": "point-virgule « ; »", ",": "virgule « , »", "\t": "tabulation", "|": "barre « | »"}


class ParCellule(dict):
    """Per-cell facts about the columns of a file (digits published, producer's marks), kept in a frame's
    attrs. Read-only once built: pandas deep-copies attrs at every operation, this one is shared instead."""

    def __deepcopy__(self, memo: dict) -> ParCellule:
        return self


@dataclass
class Rejets:
    """Rows a reader skipped on purpose, with the reason (for the load report)."""

    raisons: dict[str, int] = field(default_factory=dict)

    def add(self, raison: str, n: int = 1) -> None:
        if n:
            self.raisons[raison] = self.raisons.get(raison, 0) + int(n)

    @property
    def total(self) -> int:
        return sum(self.raisons.values())


def _check_separator(path: Path | str, header: str, sep: str) -> None:
    if sep in header:
        return
    found = max(_SEPARATORS, key=header.count)
    seen = f"le fichier semble utiliser la {_SEPARATORS[found]}" if header.count(found) else "aucun séparateur trouvé"
    raise OsqError(
        f"séparateur attendu : {_SEPARATORS[sep]} ; {seen}",
        fichier=path,
        ligne=1,
        colonne=1,
        correction=f"enregistrez le fichier en CSV séparé par {_SEPARATORS[sep]} "
        "(dans Excel : « CSV (séparateur : point-virgule) »), ou remettez le fichier d'origine du producteur.",
    )


def member_label(path: Path, membre: str | None) -> Path | str:
    """How errors name a file: the path, or « archive.zip › member.csv » for a member of a zip."""
    return f"{path} › {membre}" if membre else path


def _open_text(path: Path, encoding: str, membre: str | None):
    """A text stream of the file (or its gzip, `.gz`), or of one member of a zip archive (read in memory)."""
    if membre is None:
        opener = gzip.open if Path(path).suffix == ".gz" else open  # pandas infers the compression from the name too
        return opener(path, "rt", encoding=encoding, newline="")
    try:
        with zipfile.ZipFile(path) as zf:
            data = zf.read(membre)
    except KeyError:
        raise OsqError(f"membre « {membre} » absent de l'archive", fichier=path,
                       correction="reprenez l'archive d'origine du producteur, ou corrigez le nom du membre attendu.") from None
    except zipfile.BadZipFile as exc:
        raise OsqError(f"archive zip illisible ({exc})", fichier=path,
                       correction="reprenez l'archive d'origine du producteur.") from exc
    return io.StringIO(data.decode(encoding), newline="")


def zip_members(path: Path) -> list[str]:
    """Names of the members of a zip archive (a located French error if it is not one)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.namelist()
    except zipfile.BadZipFile as exc:
        raise OsqError(f"archive zip illisible ({exc})", fichier=path,
                       correction="reprenez l'archive d'origine du producteur.") from exc


def read_header(path: Path, sep: str, encoding: str = "utf-8-sig", membre: str | None = None) -> list[str]:
    """The column names of a delimited file (or zip member), without reading its rows."""
    try:
        with _open_text(Path(path), encoding, membre) as fh:
            header = fh.readline()
    except UnicodeDecodeError as exc:
        raise _encoding_error(Path(path), exc, encoding, membre) from exc
    _check_separator(member_label(Path(path), membre), header, sep)
    return [c.strip() for c in header.rstrip("\r\n").split(sep)]


def read_csv_text(path: Path, sep: str, encoding: str = "utf-8-sig", membre: str | None = None) -> pd.DataFrame:
    """Read a delimited file (its gzip, or a member of a zip archive) with every cell as text; blank cells
    become ''."""
    path = Path(path)
    label = member_label(path, membre)
    try:
        with _open_text(path, encoding, membre) as fh:
            header = fh.readline()
            text = fh.read() if membre else None
    except UnicodeDecodeError as exc:
        raise _encoding_error(path, exc, encoding, membre) from exc
    if not header.strip():
        raise OsqError("fichier vide : ni en-tête ni données", fichier=label, ligne=1,
                       correction="reprenez le fichier d'origine du producteur (« osq sources ») ; la base garde le "
                       "chargement précédent.")
    _check_separator(label, header, sep)
    _check_row_lengths(path, membre, text, header, sep, label)
    try:
        df = pd.read_csv(
            io.StringIO(header + text) if text is not None else path,
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_values=[],
            encoding=encoding,
            engine="c",
            skip_blank_lines=False,  # keep the index aligned with file lines for error messages
        )
    except UnicodeDecodeError as exc:
        raise _encoding_error(path, exc, encoding, membre) from exc
    except pd.errors.ParserError as exc:
        raise _extra_fields(label, exc, sep) from exc
    # Trailing ';;;;' in some INSEE files create empty unnamed columns.
    df = df.loc[:, [c for c in df.columns if not (str(c).startswith("Unnamed:") or str(c).strip() == "")]]
    df.columns = [str(c).strip() for c in df.columns]
    # The index numbers the data rows (file line - 2, see line_of); its name tells ingest.garde that values
    # taken from these rows can be located in the file.
    df.index.name = INDEX_LIGNES
    # Drop empty lines (all cells blank) after numbering: line_of() stays exact.
    return df[(df.fillna("") != "").any(axis=1)]


def _check_row_lengths(path: Path, membre: str | None, text: str | None, header: str, sep: str, label) -> None:
    """Refuse a row with fewer fields than the named columns (a line cut short: pandas would fill the missing
    cells with blanks, read as secret) or more fields than the header (pandas would take the first ones as an
    index and shift the rest). Counts separators per line on the raw bytes; a line holding a quote is not
    checked for extra fields (a quoted separator is text)."""
    fields = header.rstrip("\r\n").split(sep)
    names = list(fields)
    while names and not names[-1].strip():  # trailing separators of the header (empty unnamed columns)
        names.pop()
    raw = (header + text).encode("utf-8") if text is not None else (
        gzip.open(path).read() if Path(path).suffix == ".gz" else Path(path).read_bytes())
    data = np.frombuffer(raw, dtype=np.uint8)
    ends = np.flatnonzero(data == 10)
    if not len(ends) or ends[-1] != len(data) - 1:
        ends = np.append(ends, len(data))  # last line without a newline
    per_line = np.diff(np.searchsorted(np.flatnonzero(data == ord(sep)), ends), prepend=0)
    quoted = np.diff(np.searchsorted(np.flatnonzero(data == ord('"')), ends), prepend=0) > 0
    starts = np.concatenate(([0], ends[:-1] + 1))
    filled = (ends - starts) > 1  # not an empty line (nor a lone \r)
    filled[0] = False  # line 1 is the header
    short = np.flatnonzero((per_line + 1 < len(names)) & filled)
    long = np.flatnonzero((per_line + 1 > len(fields)) & filled & ~quoted)
    correction = ("reprenez le fichier d'origine du producteur (« osq sources ») ; la base garde le chargement "
                  "précédent.")
    if short.size and (not long.size or short[0] < long[0]):
        i = int(short[0])
        n = int(per_line[i]) + 1
        raise OsqError(
            f"ligne incomplète : {n} champs au lieu de {len(names)} (la colonne « {names[n].strip()} » et les "
            "suivantes manquent) ; le fichier est peut-être tronqué",
            fichier=label, ligne=i + 1, colonne=names[n].strip(), correction=correction,
        )
    if long.size:
        i = int(long[0])
        raise OsqError(
            f"ligne trop longue : {int(per_line[i]) + 1} champs au lieu de {len(fields)} "
            f"({_SEPARATORS.get(sep, sep)} en trop, ou une cellule qui en contient un sans guillemets)",
            fichier=label, ligne=i + 1, colonne=len(fields) + 1,
            correction="supprimez le champ en trop, ou mettez la cellule entre guillemets ; sinon " + correction,
        )


def _encoding_error(path: Path, exc: UnicodeDecodeError, encoding: str, membre: str | None) -> OsqError:
    """A French error at the line of the first undecodable byte (pandas and readline decode by chunks: the
    offset of the exception is not the file's, the bytes are looked up in the file)."""
    try:
        raw = zipfile.ZipFile(path).read(membre) if membre else (
            gzip.open(path).read() if Path(path).suffix == ".gz" else Path(path).read_bytes())
    except (OSError, zipfile.BadZipFile, KeyError):
        raw = b""
    bad = exc.object[exc.start:exc.end]
    at = raw.find(bad) if bad else -1
    line = raw.count(b"\n", 0, at) + 1 if at >= 0 else None
    utf16 = raw[:2] in (b"\xff\xfe", b"\xfe\xff")
    return OsqError(
        f"encodage illisible : le fichier n'est pas en {encoding}"
        + (" mais en UTF-16" if utf16 else f" (octet {bad[:1]!r} illisible, latin-1 ou Windows-1252 probable)"),
        fichier=member_label(Path(path), membre), ligne=1 if utf16 else line,
        correction="reprenez le fichier d'origine du producteur (« osq sources »), ou réenregistrez-le en UTF-8 ; "
        "la base garde le chargement précédent.",
    )


def _extra_fields(label, exc: Exception, sep: str) -> OsqError:
    """A located French error for pandas' « Expected N fields in line L, saw M »."""
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if not found:
        return OsqError(f"fichier illisible comme CSV séparé par {_SEPARATORS.get(sep, sep)} ({exc})", fichier=label,
                        correction="reprenez le fichier d'origine du producteur (« osq sources »).")
    expected, line, seen = (int(g) for g in found.groups())
    return OsqError(
        f"ligne trop longue : {seen} champs au lieu de {expected} ({_SEPARATORS.get(sep, sep)} en trop, "
        "ou une cellule qui en contient un sans guillemets)",
        fichier=label, ligne=line, colonne=expected + 1,
        correction="supprimez le champ en trop, ou mettez la cellule entre guillemets ; sinon reprenez le fichier "
        "d'origine du producteur.",
    )


def require_columns(df: pd.DataFrame, path: Path | str, columns: list[str]) -> None:
    """Fail with the first missing column and the closest names present."""
    for col in columns:
        if col not in df.columns:
            close = difflib.get_close_matches(col, list(df.columns), n=3, cutoff=0.6)
            hint = f" Colonnes proches : {', '.join(close)}." if close else ""
            raise OsqError(
                f"colonne obligatoire « {col} » absente.{hint}",
                fichier=path,
                ligne=1,
                colonne=col,
                correction=f"ajoutez la colonne « {col} » à la ligne d'en-tête ou utilisez le fichier d'origine du producteur.",
            )


def line_of(df: pd.DataFrame, pos: int) -> int:
    """File line of the row at position pos (line 1 is the header)."""
    return int(df.index[pos]) + 2


def validate_codes(df: pd.DataFrame, path: Path | str, column: str, niveau: str) -> None:
    """Codes must match their level's pattern; a missing leading zero gets its own message."""
    pattern = CODE_PATTERNS[niveau]
    values = df[column].str.strip()
    bad = ~values.str.fullmatch(pattern)
    if not bad.any():
        return
    pos = int(np.flatnonzero(bad.to_numpy())[0])
    value = values.iloc[pos]
    length = CODE_LENGTHS.get(niveau)
    if length and value.isdigit() and len(value) == length - 1:
        raise OsqError(
            f"code {niveau} « {value} » à {len(value)} caractères : le zéro initial a été perdu "
            f"(« 0{value} » attendu). Un tableur a sans doute converti les codes en nombres.",
            fichier=path,
            ligne=line_of(df, pos),
            colonne=column,
            correction="importez la colonne des codes au format Texte dans le tableur, ou reprenez le fichier d'origine.",
        )
    if value == "":
        message = f"code {niveau} vide"
    elif re.fullmatch(r"\d+[.,]0+", value) or re.fullmatch(r"\d[.,]\d+E\+?\d+", value, re.I):
        message = f"code {niveau} « {value} » écrit comme un nombre"
    else:
        message = f"code {niveau} « {value} » invalide"
    raise OsqError(
        message,
        fichier=path,
        ligne=line_of(df, pos),
        colonne=column,
        correction=f"un code {niveau} s'écrit comme {_example(niveau)} ; corrigez la cellule ou reprenez le fichier d'origine.",
    )


def _example(niveau: str) -> str:
    return {
        "commune": "« 62040 » ou « 2A004 » (5 caractères)",
        "arm": "« 75112 », « 69383 » ou « 13205 » (arrondissement municipal)",
        "ept": "« 200057875 » (9 chiffres)",
        "iris": "« 620400101 » (9 caractères)",
        "epci": "« 200069037 » (9 chiffres)",
        "departement": "« 62 », « 2A » ou « 974 »",
        "region": "« 32 »",
        "qpv": "« QP062036 »",
        "france": "« 1 » (France métropolitaine)",
    }[niveau]


def validate_unique(df: pd.DataFrame, path: Path | str, columns: list[str]) -> None:
    """Fail on the first duplicated key, naming both lines."""
    dup = df.duplicated(subset=columns, keep=False)
    if not dup.any():
        return
    first_dup = df[dup].iloc[0]
    same = df[(df[columns] == first_dup[columns]).all(axis=1)]
    lines = [str(int(i) + 2) for i in same.index[:3]]
    key = " / ".join(str(first_dup[c]) for c in columns)
    raise OsqError(
        f"code en double « {key} » (lignes {', '.join(lines)})",
        fichier=path,
        ligne=int(same.index[1]) + 2,
        colonne=columns[0],
        correction="supprimez la ligne en trop : chaque territoire ne doit figurer qu'une fois par fichier.",
    )


def cell_decimals(cleaned: pd.Series) -> pd.Series:
    """Digits after the decimal separator in each cell holding a number (NaN elsewhere).

    cleaned: the cells as text with '.' as decimal separator.
    """
    numbers = cleaned.str.fullmatch(r"[-+]?\d+(?:\.\d*)?").fillna(False).astype(bool)
    dot = cleaned.str.find(".")
    digits = (cleaned.str.len() - dot - 1).where(dot >= 0, 0)
    return digits.where(numbers).astype("float64")


def published_decimals(cleaned: pd.Series) -> int | None:
    """The precision a producer published in a column: the most digits after the decimal separator.

    cleaned: the cells as text with '.' as decimal separator. None when no cell holds a number.
    """
    digits = cell_decimals(cleaned)
    return int(digits.max()) if digits.notna().any() else None


def parse_numbers(df: pd.DataFrame, path: Path | str, columns: list[str]) -> pd.DataFrame:
    """Parse French-formatted numbers; '' stays NaN; any other text is a located error.

    The result's attrs["decimales"] maps each column to the precision the file publishes (published_decimals);
    attrs["chiffres"] gives, for each column, the digits after the separator of each cell (cell_decimals), so
    that the precision of a subset of rows (one level of a file) can be read with ingest.base.decimales_of.
    """
    out = {}
    decimales: dict[str, int | None] = {}
    chiffres = ParCellule()
    for col in columns:
        raw = df[col].astype(str).str.strip()
        cleaned = raw.str.replace(_SPACES, "", regex=True).str.replace(",", ".", regex=False)
        chiffres[col] = cell_decimals(cleaned)
        decimales[col] = int(chiffres[col].max()) if chiffres[col].notna().any() else None
        num = pd.to_numeric(cleaned.replace("", np.nan), errors="coerce")
        bad = num.isna() & (raw != "")
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise OsqError(
                f"valeur non numérique « {raw.iloc[pos]} » dans une colonne de nombres",
                fichier=path,
                ligne=line_of(df, pos),
                colonne=col,
                correction="saisissez un nombre (virgule décimale acceptée) ou laissez la cellule vide "
                "si la valeur est secrète ou inconnue.",
            )
        out[col] = num.astype("float64")
    frame = pd.DataFrame(out, index=df.index)
    frame.attrs["decimales"] = decimales
    frame.attrs["chiffres"] = chiffres
    return frame


def read_validated(
    path: Path,
    *,
    sep: str,
    code_column: str,
    niveau: str,
    numeric: list[str],
    keep: list[str] | None = None,
    encoding: str = "utf-8-sig",
    drop_codes: dict[str, str] | None = None,
    rejets: Rejets | None = None,
    membre: str | None = None,
    marqueurs: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Read, check separator, columns, codes, uniqueness and numbers.

    drop_codes maps code values to a reason: those rows (e.g. the 'Ensemble'
    total row of ANCT files) are rejected before validation and counted.
    membre: read that member of the zip archive at path.
    marqueurs maps a producer's text mark of a missing cell to its statut (e.g. {"s": "secret",
    "nd": "absent"} for Filosofi 2021): marked cells are read as missing, and
    attrs["statuts"][col] holds, for each numeric column, the statut of each marked cell ('' elsewhere).
    Returns code column (str) + numeric columns (float) + keep columns (str).
    """
    df = read_csv_text(path, sep=sep, encoding=encoding, membre=membre)
    label = member_label(Path(path), membre)
    keep = keep or []
    require_columns(df, label, [code_column, *numeric, *keep])
    df[code_column] = df[code_column].str.strip()
    if drop_codes:
        mask = df[code_column].isin(list(drop_codes))
        for code, raison in drop_codes.items():
            if rejets is not None:
                rejets.add(raison, int((df[code_column] == code).sum()))
        df = df[~mask]
    validate_codes(df, label, code_column, niveau)
    validate_unique(df, label, [code_column])
    statuts = ParCellule()
    if marqueurs:
        df = df.copy()
        for col in numeric:
            cells = df[col].str.strip()
            statuts[col] = cells.map(marqueurs).fillna("")
            df[col] = cells.where(~cells.isin(list(marqueurs)), "")
    nums = parse_numbers(df, label, numeric)
    out = pd.concat([df[[code_column, *keep]], nums], axis=1)
    out.attrs["decimales"] = nums.attrs["decimales"]
    out.attrs["chiffres"] = nums.attrs["chiffres"]
    out.attrs["statuts"] = statuts
    return out

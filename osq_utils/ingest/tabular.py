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
    with _open_text(Path(path), encoding, membre) as fh:
        header = fh.readline()
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
        raise OsqError(
            f"encodage illisible ({exc.reason}) : le fichier n'est pas en {encoding}",
            fichier=label,
            ligne=1,
            correction="réenregistrez le fichier en UTF-8, ou déclarez son encodage (par exemple latin-1).",
        ) from exc
    _check_separator(label, header, sep)
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
    # Trailing ';;;;' in some INSEE files create empty unnamed columns.
    df = df.loc[:, [c for c in df.columns if not (str(c).startswith("Unnamed:") or str(c).strip() == "")]]
    df.columns = [str(c).strip() for c in df.columns]
    # Drop empty lines (all cells blank) after numbering: line_of() stays exact.
    return df[(df != "").any(axis=1)]


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

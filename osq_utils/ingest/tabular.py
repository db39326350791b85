"""Read producer CSV files as they are, and validate them with located French errors.

Every value is read as text first: codes stay strings (leading zeros, 2A/2B),
and numbers are parsed explicitly (decimal comma, space or no-break space as
thousands separator). A blank numeric cell is kept as missing (NaN): for INSEE
files it means "secret statistique", never zero.
"""

from __future__ import annotations

import difflib
import gzip
import re
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


def _check_separator(path: Path, header: str, sep: str) -> None:
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


def read_csv_text(path: Path, sep: str, encoding: str = "utf-8-sig") -> pd.DataFrame:
    """Read a delimited file (or its gzip, `.gz`) with every cell as text; blank cells become ''."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open  # pandas infers the compression from the name too
    try:
        with opener(path, "rt", encoding=encoding, newline="") as fh:
            header = fh.readline()
    except UnicodeDecodeError as exc:
        raise OsqError(
            f"encodage illisible ({exc.reason}) : le fichier n'est pas en {encoding}",
            fichier=path,
            ligne=1,
            correction="réenregistrez le fichier en UTF-8, ou déclarez son encodage (par exemple latin-1).",
        ) from exc
    _check_separator(path, header, sep)
    df = pd.read_csv(
        path,
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


def require_columns(df: pd.DataFrame, path: Path, columns: list[str]) -> None:
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


def validate_unique(df: pd.DataFrame, path: Path, columns: list[str]) -> None:
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


def published_decimals(cleaned: pd.Series) -> int | None:
    """The precision a producer published in a column: the most digits after the decimal separator.

    cleaned: the cells as text with '.' as decimal separator. None when no cell holds a number.
    """
    numbers = cleaned[cleaned.str.fullmatch(r"[-+]?\d+(?:\.\d*)?")]
    if numbers.empty:
        return None
    digits = numbers.str.extract(r"\.(\d*)$", expand=False).str.len()
    return int(digits.max()) if digits.notna().any() else 0


def parse_numbers(df: pd.DataFrame, path: Path, columns: list[str]) -> pd.DataFrame:
    """Parse French-formatted numbers; '' stays NaN; any other text is a located error.

    The result's attrs["decimales"] maps each column to the precision the file publishes (published_decimals).
    """
    out = {}
    decimales: dict[str, int | None] = {}
    for col in columns:
        raw = df[col].astype(str).str.strip()
        cleaned = raw.str.replace(_SPACES, "", regex=True).str.replace(",", ".", regex=False)
        decimales[col] = published_decimals(cleaned)
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
) -> pd.DataFrame:
    """Read, check separator, columns, codes, uniqueness and numbers.

    drop_codes maps code values to a reason: those rows (e.g. the 'Ensemble'
    total row of ANCT files) are rejected before validation and counted.
    Returns code column (str) + numeric columns (float) + keep columns (str).
    """
    df = read_csv_text(path, sep=sep, encoding=encoding)
    keep = keep or []
    require_columns(df, path, [code_column, *numeric, *keep])
    df[code_column] = df[code_column].str.strip()
    if drop_codes:
        mask = df[code_column].isin(list(drop_codes))
        for code, raison in drop_codes.items():
            if rejets is not None:
                rejets.add(raison, int((df[code_column] == code).sum()))
        df = df[~mask]
    validate_codes(df, path, code_column, niveau)
    validate_unique(df, path, [code_column])
    nums = parse_numbers(df, path, numeric)
    out = pd.concat([df[[code_column, *keep]], nums], axis=1)
    out.attrs["decimales"] = nums.attrs["decimales"]
    return out

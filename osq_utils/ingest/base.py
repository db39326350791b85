"""Shared pieces of the readers: tidy observation frames and the load result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from osq_utils.ingest.garde import Provenance, provenance_of
from osq_utils.ingest.tabular import CODE_PATTERNS, Rejets

# path_of(source_id, chemin) -> Path of a fetched file (may read another source's file).
PathOf = Callable[[str, str], Path]


@dataclass
class IngestResult:
    """What a reader returns: frames per store table and one report row per file."""

    tables: dict[str, list[pd.DataFrame]] = field(default_factory=dict)
    report: list[dict] = field(default_factory=list)
    # Provenance of each observation frame (None when unknown), filled with its file by file().
    provenances: list[Provenance | None] = field(default_factory=list)
    chemins: dict[str, Path] = field(default_factory=dict)
    _sans_fichier: list[Provenance] = field(default_factory=list)

    def add(self, table: str, frame: pd.DataFrame) -> None:
        self.tables.setdefault(table, []).append(frame)
        if table == "observations":
            prov = frame.attrs.pop("provenance", None)
            self.provenances.append(prov)
            if prov is not None:
                self._sans_fichier.append(prov)

    def file(self, path: Path | str, lues: int, rejets: Rejets | None = None, observations: int = 0,
             remarques: dict[str, int] | None = None) -> None:
        """One report row. remarques: what the reader corrected or noticed in kept rows (shown with the reasons,
        never counted as rejected)."""
        rej = rejets.total if rejets else 0
        for prov in self._sans_fichier:  # the frames added since the previous file come from this one
            if prov.fichier is None:
                prov.fichier = path
        self._sans_fichier.clear()
        self.chemins[Path(path).name] = Path(path)
        self.report.append(
            {
                "fichier": Path(path).name,
                "lignes_lues": int(lues),
                "lignes_gardees": int(lues - rej),
                "lignes_rejetees": int(rej),
                "raisons": {**(rejets.raisons if rejets else {}), **(remarques or {})},
                "remarques": dict(remarques or {}),
                "observations": int(observations),
            }
        )

    def frames(self) -> dict[str, pd.DataFrame]:
        return {t: pd.concat(fs, ignore_index=True) for t, fs in self.tables.items() if fs}


def observations(
    codes: pd.Series,
    *,
    niveau: str,
    indicateur: str,
    annee: int,
    valeur: pd.Series,
    numerateur: pd.Series | None = None,
    denominateur: pd.Series | None = None,
    cog: int | None = None,
    decimales: int | None = None,
    absent: pd.Series | np.ndarray | bool | None = None,
) -> pd.DataFrame:
    """One indicator as tidy rows. A missing value is 'secret' (the producer's blank), never 0.

    decimales: the precision the producer published for valeur (tabular.published_decimals); None for a
    value the reader computes, whose precision is the glossary's.
    absent: where true, a missing value is 'absent' (not available, e.g. a census figure of a commune that
    did not exist, or Filosofi's « nd ») rather than 'secret'.
    """
    values = np.asarray(valeur, dtype="float64")
    secret = np.isnan(values)
    statut = np.where(secret, "secret", "ok")
    if absent is not None:
        not_there = np.broadcast_to(np.asarray(absent, dtype=bool), (len(codes),))
        statut = np.where(secret & not_there, "absent", statut)
    # No numerator may survive next to a missing value (it would reveal it); the
    # denominator (households, persons) is itself published and stays.
    num = np.full(len(values), np.nan) if numerateur is None else np.where(secret, np.nan, np.asarray(numerateur, dtype="float64"))
    frame = pd.DataFrame(
        {
            "code": codes.astype(str).to_numpy(),
            "niveau": niveau,
            "indicateur": indicateur,
            "annee": int(annee),
            "valeur": values,
            "numerateur": num,
            "denominateur": np.nan if denominateur is None else np.asarray(denominateur, dtype="float64"),
            "statut": statut,
            "cog": cog,
            "decimales": pd.array([decimales] * len(codes), dtype="Int16"),
        }
    )
    frame.attrs["provenance"] = provenance_of(valeur, numerateur, denominateur)  # for ingest.garde's errors
    return frame


def absent_of(df: pd.DataFrame, column: str) -> pd.Series | None:
    """Cells a producer marked « not available » in a column read with marqueurs (tabular.read_validated)."""
    statuts = df.attrs.get("statuts", {}).get(column)
    return None if statuts is None else statuts.reindex(df.index) == "absent"


def decimales_of(df: pd.DataFrame, column: str) -> int | None:
    """The published precision of a column read by tabular.read_validated (None if unknown): the most digits
    after the decimal separator over the rows of df, so that a subset (one level of a file whose levels are
    published with different precisions) gets its own."""
    chiffres = df.attrs.get("chiffres", {}).get(column)
    if chiffres is None:
        return df.attrs.get("decimales", {}).get(column)
    digits = chiffres.reindex(df.index)
    return int(digits.max()) if digits.notna().any() else None


def communes_and_arm(df: pd.DataFrame, column: str) -> list[tuple[str, pd.DataFrame]]:
    """Split the rows of a commune file into communes and municipal arrondissements (level 'arm').

    INSEE's commune files list the 45 arrondissements of Paris, Lyon and Marseille after the communes: they are
    territories of their own, never communes (the three PLM communes have their own rows)."""
    arm = df[column].str.fullmatch(CODE_PATTERNS["arm"]).fillna(False).astype(bool)
    return [("commune", df[~arm]), ("arm", df[arm])]


def rate(numerator: pd.Series, denominator: pd.Series, factor: float = 100.0) -> pd.Series:
    """numerator / denominator * factor, missing where the denominator is 0 or missing."""
    den = denominator.where(denominator > 0)
    return numerator / den * factor


def territories(codes: pd.Series, labels: pd.Series, niveau: str, cog: int) -> pd.DataFrame:
    return pd.DataFrame({"niveau": niveau, "code": codes.astype(str).to_numpy(), "libelle": labels.to_numpy(), "cog": int(cog)})


def memberships(codes: pd.Series, niveau: str, parents: pd.Series, niveau_parent: str, cog: int) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "cog": int(cog),
            "niveau": niveau,
            "code": codes.astype(str).to_numpy(),
            "niveau_parent": niveau_parent,
            "code_parent": parents.astype(str).to_numpy(),
        }
    )
    return frame[(frame["code_parent"] != "") & frame["code_parent"].notna() & (frame["code_parent"] != "nan")]

"""User-facing errors, in French, that locate the problem and say how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class OsqError(Exception):
    """An error the analyst can fix: names the file, line, column and the fix."""

    message: str
    fichier: str | Path | None = None
    ligne: int | None = None
    colonne: str | int | None = None
    correction: str | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.fichier is not None:
            where.append(f"fichier {self.fichier}")
        if self.ligne is not None:
            where.append(f"ligne {self.ligne}")
        if self.colonne is not None:
            where.append(f"colonne {self.colonne}")
        text = self.message
        if where:
            text = f"{', '.join(where)} : {text}"
        if self.correction:
            text += f"\n  → Correction : {self.correction}"
        return text


class Occupee(OsqError):
    """The store or an observatory's output is in use by another command or program (exit code 5 of `osq`)."""


class SourceManquante(OsqError):
    """A public source file is not available (neither in the mirror nor downloaded)."""


class ClusterIndisponible(OsqError):
    """The Dask scheduler cannot be reached, has no worker, or a worker cannot run OSQ's notes (exit code 6)."""

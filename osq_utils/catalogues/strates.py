"""Population strata of communes: the usual size bands of French local-finance and INSEE tables.

< 2 000, 2 000-4 999, 5 000-9 999, 10 000-19 999, 20 000-49 999, 50 000-99 999, >= 100 000 inhabitants
(population municipale). Derived figures of each stratum: `ingest.niveaux`; the ABS compares a commune with
its stratum (`notes.abs_ccas`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Strate:
    code: str
    minimum: int
    maximum: int | None  # excluded
    libelle: str

    def contient(self, population: float) -> bool:
        return population >= self.minimum and (self.maximum is None or population < self.maximum)


_N = "\u202f"  # narrow no-break space, the French thousands separator
STRATES = (
    Strate("0-1999", 0, 2_000, f"moins de 2{_N}000 habitants"),
    Strate("2000-4999", 2_000, 5_000, f"2{_N}000 à 4{_N}999 habitants"),
    Strate("5000-9999", 5_000, 10_000, f"5{_N}000 à 9{_N}999 habitants"),
    Strate("10000-19999", 10_000, 20_000, f"10{_N}000 à 19{_N}999 habitants"),
    Strate("20000-49999", 20_000, 50_000, f"20{_N}000 à 49{_N}999 habitants"),
    Strate("50000-99999", 50_000, 100_000, f"50{_N}000 à 99{_N}999 habitants"),
    Strate("100000+", 100_000, None, f"100{_N}000 habitants ou plus"),
)


def strate_of(population: float | None) -> Strate | None:
    if population is None or pd.isna(population) or population < 0:
        return None
    return next(s for s in STRATES if s.contient(population))


def strate(code: str) -> Strate | None:
    return next((s for s in STRATES if s.code == code), None)

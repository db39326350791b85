
"""EPCI note: its communes side by side, ranked, against INSEE's own EPCI figures (real store, real files)."""

from __future__ import annotations

import pandas as pd

from osq_utils.notes import epci as ag


def test_rang_ties_and_missing():
    values = pd.Series([10.0, float("nan"), 12.0, 10.0, 8.0])
    statuts = pd.Series(["ok", "secret", "ok", "ok", "absent"])
    assert ag.rang(values, statuts).tolist() == [2, pd.NA, 1, 2, pd.NA]

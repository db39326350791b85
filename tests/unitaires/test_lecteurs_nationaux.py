"""Pure pieces of the national readers: Paris, Lyon and Marseille from their arrondissements, and the precision of
a column padded with trailing zeros. Every table here is illustrative, written for the test."""

from __future__ import annotations

import numpy as np
import pandas as pd

from osq_utils.ingest.arrondissements import commune_of_arm, is_arm, plm_totals
from osq_utils.ingest.jeunesse import significant_decimals


def test_arrondissements_are_recognised_and_summed_into_their_commune():
    codes = pd.Series(["75101", "75120", "69381", "13216", "62040", "75056", "75121", "13217"])
    assert is_arm(codes).tolist() == [True, True, True, True, False, False, False, False]
    assert commune_of_arm(codes[:4]).tolist() == ["75056", "75056", "69123", "13055"]
    frame = pd.DataFrame({"code": ["75101", "75102", "13201", "13202", "62040"],
                          "n": [3.0, 4.0, 1.0, np.nan, 9.0], "m": [1.0, 1.0, 2.0, 2.0, 5.0]})
    totals = plm_totals(frame, "code", ["n", "m"]).set_index("code")
    assert totals.loc["75056"].tolist() == [7.0, 2.0]
    # A secret arrondissement makes its commune's total secret, never a partial sum.
    assert pd.isna(totals.loc["13055", "n"]) and totals.loc["13055", "m"] == 4.0
    assert set(totals.index) == {"75056", "13055"}


def test_a_commune_the_file_already_holds_is_not_summed_again():
    frame = pd.DataFrame({"code": ["75101", "75056"], "n": [3.0, 3.0]})
    assert plm_totals(frame, "code", ["n"]).empty


def test_trailing_zeros_are_not_precision():
    assert significant_decimals(pd.Series([21.5, 22.3, 8.0, np.nan]), 2) == 1
    assert significant_decimals(pd.Series([21.55, 22.3]), 2) == 2
    assert significant_decimals(pd.Series([21.0, 8.0]), 2) == 0
    assert significant_decimals(pd.Series([np.nan]), 2) == 2
    assert significant_decimals(pd.Series([1.5]), None) is None


"""Aggregation of parts into wholes: sums, recomputed ratios, no partial totals, secrets kept.

Unit cases read real figures of the store (Filosofi, CAPSO communes); the
property test checks the ratio rule on arbitrary parts; the EPCI check compares
OSQ's sum of the 53 CAPSO communes with INSEE's own EPCI file.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from osq_utils.agregation import aggregate_parts, harmonise_cog, passages_between


def _parts(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["valeur", "numerateur", "denominateur", "statut"])


def test_parts_absent_part_makes_absent():
    parts = _parts([(10.0, 10.0, np.nan, "ok"), (np.nan, np.nan, np.nan, "absent")])
    whole = aggregate_parts(parts, "compte")
    assert whole["statut"] == "absent" and np.isnan(whole["valeur"])
    assert aggregate_parts(parts.iloc[0:0], "compte")["statut"] == "absent"


def test_parts_estimate_flag_is_kept():
    parts = _parts([(10.0, 10.0, np.nan, "ok"), (5.0, 5.0, np.nan, "ok")]).assign(estime=[False, True])
    whole = aggregate_parts(parts, "compte")
    assert whole["valeur"] == 15 and whole["estime"] is True


# --- property: a rate of a whole is the ratio of sums --------------------------------------

_part = st.tuples(
    st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),
    st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_part, min_size=2, max_size=60), st.sampled_from(["taux", "moyenne"]))
def test_property_rate_is_ratio_of_sums(parts, kind):
    factor = 100.0 if kind == "taux" else 1.0
    nums = [n for n, _ in parts]
    dens = [d for _, d in parts]
    rates = [n / d * factor for n, d in parts]
    frame = _parts([(r, n, d, "ok") for r, n, d in zip(rates, nums, dens)])
    whole = aggregate_parts(frame, kind)
    assert whole["statut"] == "ok"
    expected = math.fsum(nums) / math.fsum(dens) * factor
    assert whole["valeur"] == pytest.approx(expected, rel=1e-9, abs=1e-9)
    tol = 1e-9 * max(1.0, max(rates))
    assert min(rates) - tol <= whole["valeur"] <= max(rates) + tol
    assert whole["numerateur"] == pytest.approx(math.fsum(nums), rel=1e-12, abs=1e-12)
    assert whole["denominateur"] == pytest.approx(math.fsum(dens), rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=2, max_size=60), st.data())
def test_property_counts_sum_and_any_secret_hides(values, data):
    frame = _parts([(float(v), float(v), np.nan, "ok") for v in values])
    assert aggregate_parts(frame, "compte")["valeur"] == sum(values)
    i = data.draw(st.integers(min_value=0, max_value=len(values) - 1))
    frame.loc[i, ["valeur", "numerateur", "statut"]] = [np.nan, np.nan, "secret"]
    whole = aggregate_parts(frame, "compte")
    assert whole["statut"] == "secret" and np.isnan(whole["valeur"])


# --- agregation.aggregate: children into parents --------------------------------------------


# --- agregation.harmonise_cog: COG passages, vectorised ---------------------------------------
# Illustrative passage tables and figures written here (not real communes): the real cases are in
# tests/complet/test_territoires.py.

PASSAGE_COLS = ["annee_depart", "annee_arrivee", "code_depart", "code_arrivee", "type_modif", "ratio"]
TYPES = {"men": "compte", "tp": "taux", "taille": "moyenne", "med": "non_additif"}


def _passages(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=PASSAGE_COLS).astype({"annee_depart": int, "annee_arrivee": int, "ratio": float})


def _obs_rows(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["code", "indicateur", "annee", "valeur", "numerateur", "denominateur", "statut"])


def _reference_harmonise(obs, passages, depart, arrivee, types) -> pd.DataFrame:
    """The rule part by part, one group at a time (the former loop): what the vectorised version must equal."""
    table = passages_between(passages, depart, arrivee)
    mapped = obs.assign(estime=False).merge(table, left_on="code", right_on="code_depart", how="left")
    mapped["code_arrivee"] = mapped["code_arrivee"].fillna(mapped["code"])
    mapped["ratio"] = mapped["ratio"].fillna(1.0)
    split = mapped["type_modif"] == "d"
    counts = mapped["indicateur"].map(types) == "compte"
    for col in ("numerateur", "denominateur"):
        mapped[col] = mapped[col] * mapped["ratio"]
    mapped["valeur"] = np.where(counts & split, mapped["valeur"] * mapped["ratio"], mapped["valeur"])
    mapped["estime"] = split
    expected = table.groupby("code_arrivee")["code_depart"].apply(set).to_dict()
    rows = []
    for (code, ind, annee), part in mapped.groupby(["code_arrivee", "indicateur", "annee"], sort=False):
        if expected.get(code) and not expected[code] <= set(part["code"]):
            whole = aggregate_parts(part.iloc[0:0], None) | {
                "statut": "secret" if (part["statut"] == "secret").any() else "absent"}
        else:
            whole = aggregate_parts(part, types.get(ind))
        rows.append({"code": code, "indicateur": ind, "annee": annee, **whole})
    return pd.DataFrame(rows)


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    cols = ["code", "indicateur", "annee", "valeur", "numerateur", "denominateur", "statut", "estime"]
    return df[cols].sort_values(["indicateur", "annee", "code"]).reset_index(drop=True)


def test_harmonise_fusion_split_and_incomplete_fusion():
    passages = _passages([
        (2020, 2021, "A", "C", "f", 1.0), (2020, 2021, "B", "C", "f", 1.0), (2020, 2021, "C", "C", "f", 1.0),
        (2020, 2021, "D", "D", "d", 0.25), (2020, 2021, "D", "E", "d", 0.75),
        (2020, 2021, "F", "G", "f", 1.0), (2020, 2021, "G", "G", "f", 1.0),
    ])
    obs = _obs_rows([
        ("A", "men", 2019, 10.0, 10.0, np.nan, "ok"), ("B", "men", 2019, 20.0, 20.0, np.nan, "ok"),
        ("C", "men", 2019, 30.0, 30.0, np.nan, "ok"),
        ("A", "tp", 2019, 10.0, 1.0, 10.0, "ok"), ("B", "tp", 2019, 20.0, 4.0, 20.0, "ok"),
        ("C", "tp", 2019, np.nan, np.nan, 30.0, "secret"),
        ("A", "med", 2019, 100.0, np.nan, np.nan, "ok"), ("B", "med", 2019, 200.0, np.nan, np.nan, "ok"),
        ("C", "med", 2019, 300.0, np.nan, np.nan, "ok"),
        ("D", "men", 2019, 40.0, 40.0, np.nan, "ok"), ("D", "taille", 2019, 2.0, 80.0, 40.0, "ok"),
        ("F", "men", 2019, 5.0, 5.0, np.nan, "ok"),  # G is missing: no partial total
        ("H", "men", 2019, 7.0, 7.0, np.nan, "ok"),  # untouched
    ])
    out = harmonise_cog(obs, passages, 2020, 2021, TYPES).set_index(["code", "indicateur"])
    assert out.loc[("C", "men"), "valeur"] == 60 and out.loc[("C", "men"), "statut"] == "ok"
    assert out.loc[("C", "tp"), "statut"] == "secret" and np.isnan(out.loc[("C", "tp"), "valeur"])
    assert out.loc[("C", "med"), "statut"] == "absent"
    assert out.loc[("D", "men"), "valeur"] == 10 and out.loc[("E", "men"), "valeur"] == 30
    assert out.loc[("E", "taille"), "valeur"] == 2.0 and out.loc[("E", "taille"), "denominateur"] == 30
    assert out.loc[("D", "men"), "estime"] and not out.loc[("C", "men"), "estime"]
    assert out.loc[("G", "men"), "statut"] == "absent" and np.isnan(out.loc[("G", "men"), "valeur"])
    assert out.loc[("H", "men"), "valeur"] == 7 and out.loc[("H", "men"), "statut"] == "ok"
    assert not {"A", "B", "F"} & set(out.index.get_level_values("code"))


_codes = st.sampled_from(list("ABCDEFGH"))


@st.composite
def _cases(draw):
    """Random passages over two years (fusions, splits, changes) and random figures of the codes."""
    passages = []
    for year in (2020, 2021):
        for code in draw(st.lists(_codes, unique=True, max_size=4)):
            kind = draw(st.sampled_from("fdc"))
            if kind == "d":
                other = draw(_codes)
                share = draw(st.sampled_from([0.2, 0.5, 0.7]))
                passages += [(year, year + 1, code, code, "d", share), (year, year + 1, code, other, "d", 1 - share)]
            else:
                passages.append((year, year + 1, code, draw(_codes), kind, 1.0))
    passages = _passages(passages).drop_duplicates(["annee_depart", "code_depart", "code_arrivee"])
    rows = []
    for code in draw(st.lists(_codes, unique=True, min_size=1, max_size=8)):
        for ind in TYPES:
            statut = draw(st.sampled_from(["ok", "ok", "ok", "secret", "absent"]))
            den = float(draw(st.integers(1, 1000)))
            num = float(draw(st.integers(0, int(den))))
            value = {"men": den, "tp": num / den * 100, "taille": num / den, "med": num}[ind]
            if statut != "ok":
                value, num = np.nan, np.nan
            rows.append((code, ind, 2019, value, den if ind == "men" and statut == "ok" else num,
                         np.nan if ind in ("men", "med") else den, statut))
    return passages, _obs_rows(rows)


@settings(max_examples=60, deadline=None)
@given(_cases())
def test_property_vectorised_harmonisation_equals_the_rule_part_by_part(case):
    passages, obs = case
    got = _sorted(harmonise_cog(obs, passages, 2020, 2022, TYPES))
    want = _sorted(_reference_harmonise(obs, passages, 2020, 2022, TYPES))
    pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-12)

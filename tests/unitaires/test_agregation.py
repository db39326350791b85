
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

from osq_utils.agregation import aggregate, aggregate_parts


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


def _reference_aggregate(obs, groups, types):
    """The per-group rule (aggregate_parts), as aggregate() applied it before it was vectorised."""
    expected = groups.groupby("code_parent")["code"].nunique()
    merged = obs.merge(groups, on="code")
    rows = []
    for (parent, indicateur, annee), part in merged.groupby(["code_parent", "indicateur", "annee"], sort=False):
        if part["code"].nunique() < expected[parent]:
            whole = aggregate_parts(part.iloc[0:0], types.get(indicateur))
            whole["statut"] = "secret" if (part["statut"] == "secret").any() else "absent"
        else:
            whole = aggregate_parts(part, types.get(indicateur))
        rows.append({"code": parent, "indicateur": indicateur, "annee": annee, **whole})
    return pd.DataFrame(rows)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_property_vectorised_aggregate_follows_the_rule_of_parts(data):
    # Illustrative random tables, not real figures.
    types = {"c": "compte", "t": "taux", "m": "non_additif"}
    n = data.draw(st.integers(1, 12))
    statut = st.sampled_from(["ok", "ok", "ok", "secret", "absent"])
    value = st.one_of(st.none(), st.floats(0, 1000, allow_nan=False))
    rows = [{"code": f"c{data.draw(st.integers(0, 5))}", "indicateur": data.draw(st.sampled_from(list(types))),
             "annee": data.draw(st.sampled_from([2019, 2020])), "valeur": data.draw(value),
             "numerateur": data.draw(value), "denominateur": data.draw(value), "statut": data.draw(statut),
             "estime": data.draw(st.booleans())} for _ in range(n)]
    obs = pd.DataFrame(rows).drop_duplicates(["code", "indicateur", "annee"])
    groups = pd.DataFrame({"code": [f"c{i}" for i in range(6)],
                           "code_parent": [data.draw(st.sampled_from(["A", "B", "C"])) for _ in range(6)]})
    got = aggregate(obs, groups, types).sort_values(["code", "indicateur", "annee"]).reset_index(drop=True)
    want = _reference_aggregate(obs, groups, types).sort_values(["code", "indicateur", "annee"]).reset_index(drop=True)
    assert list(got["statut"]) == list(want["statut"])
    for col in ("valeur", "numerateur", "denominateur"):
        assert np.allclose(got[col].astype(float), want[col].astype(float), equal_nan=True), col

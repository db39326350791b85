
"""Secret statistique: rule files, primary suppression, secondary suppression (property tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from exemples import GOOD, _bad_folder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osq_utils import secret
from osq_utils.catalogues.secret import load_rules, tableau_regles
from osq_utils.errors import OsqError
from osq_utils.secret.algorithmes import _recoverable_by_rank

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def rules():
    return load_rules()


# --------------------------------------------------------------------------- 1-D property tests


@st.composite
def table_1d(draw):
    n = draw(st.integers(2, 12))
    parts = pd.Series(draw(st.lists(st.integers(1, 500), min_size=n, max_size=n)),
                      index=[f"c{i}" for i in range(n)], dtype=float)
    cells = list(parts.index) + [secret.TOTAL]
    masked = draw(st.sets(st.sampled_from(cells), max_size=len(cells)))
    return parts, masked


@PROPERTY
@given(table_1d())
def test_secondary_1d_protects_with_the_minimum(data):
    parts, masked = data
    total = float(parts.sum())
    values = {**parts.to_dict(), secret.TOTAL: total}
    constraints = [(list(parts.index), secret.TOTAL)]
    extra = secret.secondary(parts, total, masked)
    assert not extra & masked
    assert secret.recoverable(values, masked | extra, constraints) == set()
    # Minimum: a lone masked cell is always recoverable by subtraction, so one extra cell is needed;
    # with 0 or >= 2 masked cells nothing is recoverable and nothing is added.
    assert len(extra) == (1 if len(masked) == 1 else 0)
    if len(masked) == 1:
        assert secret.recoverable(values, masked, constraints) == masked


def test_secondary_1d_picks_the_smallest_part_then_the_total():
    parts = pd.Series({"a": 40.0, "b": 7.0, "c": 12.0})
    assert secret.secondary(parts, 59.0, {"a"}) == {"b"}
    assert secret.secondary(parts, 59.0, {secret.TOTAL}) == {"b"}
    assert secret.secondary(parts, 59.0, {"b"}) == {"c"}
    assert secret.secondary(pd.Series({"a": 3.0}), 3.0, {"a"}) == {secret.TOTAL}
    assert secret.secondary(parts, None, {"a"}) == set()  # no total: nothing to subtract from


# --------------------------------------------------------------------------- 2-D property tests


@st.composite
def table_2d(draw):
    r, c = draw(st.integers(2, 5)), draw(st.integers(2, 5))
    flat = draw(st.lists(st.integers(1, 300), min_size=r * c, max_size=r * c))
    values = pd.DataFrame(np.array(flat, dtype=float).reshape(r, c),
                          index=[f"r{i}" for i in range(r)], columns=[f"k{j}" for j in range(c)])
    grand = draw(st.booleans())  # with the grand total (margin row and column crossed)
    rows = list(values.index) + ([secret.TOTAL_LABEL] if grand else [])
    cols = list(values.columns) + ([secret.TOTAL_LABEL] if grand else [])
    cells = [(a, b) for a in rows for b in cols]
    chosen = draw(st.sets(st.sampled_from(cells), max_size=max(1, len(cells) // 3)))
    masked = pd.DataFrame(False, index=rows, columns=cols)
    for a, b in chosen:
        masked.loc[a, b] = True
    return values, masked, grand


@PROPERTY
@given(table_2d())
def test_secondary_table_leaves_nothing_recoverable(data):
    values, masked, grand = data
    row_totals, col_totals = values.sum(axis=1), values.sum(axis=0)
    grand_total = float(values.to_numpy().sum()) if grand else None
    mask = secret.secondary_table(values, masked, row_totals, col_totals, grand_total)
    cells, constraints = secret.table_constraints(values, row_totals, col_totals, grand_total)
    hidden = {(r, c) for r in mask.index for c in mask.columns if mask.loc[r, c]}
    primary = {(r, c) for r in masked.index for c in masked.columns if masked.loc[r, c]}
    assert primary <= hidden  # never unmasks
    assert secret.recoverable(cells, hidden, constraints) == set()


@PROPERTY
@given(table_2d())
def test_fast_recoverable_agrees_with_the_rank_test(data):
    # recoverable() uses one projector for all cells; the reference does one rank test per cell.
    values, masked, grand = data
    cells, constraints = secret.table_constraints(values, values.sum(axis=1), values.sum(axis=0),
                                                  float(values.to_numpy().sum()) if grand else None)
    hidden = {(r, c) for r in masked.index for c in masked.columns if masked.loc[r, c]}
    assert secret.recoverable(cells, hidden, constraints) == _recoverable_by_rank(cells, hidden, constraints)


def test_recoverable_detects_a_lone_secret_in_a_2d_table():
    values = pd.DataFrame({"a": [10.0, 20.0], "b": [30.0, 40.0]}, index=["x", "y"])
    cells, cons = secret.table_constraints(values, values.sum(axis=1), values.sum(axis=0))
    assert secret.recoverable(cells, {("x", "a")}, cons) == {("x", "a")}
    # Masking a full 2x2 rectangle of inner cells protects all four.
    assert secret.recoverable(cells, {("x", "a"), ("x", "b"), ("y", "a"), ("y", "b")}, cons) == set()


# --------------------------------------------------------------------------- rule files


def test_every_rule_file_loads_and_covers_the_sources(rules):
    expected = {"insee-filosofi-2014-2019-disp", "insee-filosofi-2015-2016", "insee-filosofi-2018-communes",
                "cnaf-caf-iris-2016-2020", "insee-rp-2016-iris", "insee-anct-qpv-2015", "qpv-occitanie",
                "insee-bpe-2019-france", "menj-ips-2021-2022", "anct-odt-jeunes-non-inseres-2008-2018",
                "ssmsi-delinquance-2016-2023-dep-reg", "sdes-rpls-2024-communes"}
    assert expected <= set(rules)
    table = tableau_regles(rules)
    assert table["description"].str.len().min() > 20
    assert rules["cnaf-caf-iris-2016-2020"].regles[1].seuils == {"public": 5.0, "partenaires": 5.0}
    assert rules["insee-bpe-2019-france"].regles == ()


@pytest.mark.parametrize("old, new, ligne, fragment", [
    ("source: cnaf-caf-iris-2016-2020", "source: cnaf-inconnue", 1, "inconnue du catalogue"),
    ("[allocataires_rsa]", "[allocataires_rsa, rsa_inconnu]", 5, "absent du glossaire"),
    ("{public: 5, partenaires: 3}", "{public: 5}", 7, "« partenaires » manquant"),
    ("partenaires: 3}", "partenaires: trois}", 7, "pas un nombre"),
    ("variable: valeur", "variable: effectif", 6, "variable « effectif » inconnue"),
])
def test_bad_rule_files_give_located_french_errors(tmp_path, old, new, ligne, fragment):
    name = "cnaf-inconnue.yml" if "inconnue" in new and "source" in new else "cnaf-caf-iris-2016-2020.yml"
    folder = _bad_folder(tmp_path, name, GOOD.replace(old, new))
    with pytest.raises(OsqError) as err:
        load_rules(folder)
    text = str(err.value)
    assert fragment in text and f"ligne {ligne}" in text and "colonne" in text and "Correction" in text
    assert name in text


def test_broken_yaml_is_located(tmp_path):
    folder = _bad_folder(tmp_path, "cnaf-caf-iris-2016-2020.yml", GOOD.replace("description: Essai.", "description: a : b"))
    with pytest.raises(OsqError, match="ligne 2"):
        load_rules(folder)


def test_unknown_profile_is_refused(rules):
    with pytest.raises(OsqError, match="profil de diffusion « presse » inconnu"):
        secret.primary(pd.DataFrame(columns=["code", "niveau", "indicateur", "annee", "valeur", "numerateur",
                                             "denominateur", "source", "statut"]), rules, "presse")


# --------------------------------------------------------------------------- real data

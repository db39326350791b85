"""great-tables renders OSQ's tables through faster cell access (present.tables): the HTML must not change."""

from __future__ import annotations

import pandas as pd
import pytest
from great_tables import _tbl_data

from osq_utils.present import tables

pytestmark = pytest.mark.rapide


def _rendu() -> str:
    # A small table written for the test (not real figures): text, floats, a missing value, nullable integers.
    data = pd.DataFrame({
        "Indicateur": ["Part des moins de 15 ans", "Niveau de vie médian", "Allocataires du RSA"],
        "Commune": [21.4, 16070.0, None],
        "Code": ["62001", "62002", None],
        "Effectif": pd.array([12, None, 3], dtype="Int64"),
    })
    gt = (tables.table_gt(data, rowname_col="Indicateur", id="essai")
          .fmt_number(columns="Commune", decimals=1, locale="fr")
          .sub_missing(missing_text="s"))
    return gt.as_raw_html()


def test_the_faster_cell_access_renders_what_great_tables_own_renders():
    assert _tbl_data._get_cell.dispatch(pd.DataFrame) is tables._lire_cellule
    assert _tbl_data._set_cell.dispatch(pd.DataFrame) is tables._ecrire_cellule
    ours = _rendu()
    _tbl_data._get_cell.register(pd.DataFrame, tables.LIRE_CELLULE_GT)
    _tbl_data._set_cell.register(pd.DataFrame, tables.ECRIRE_CELLULE_GT)
    try:
        theirs = _rendu()
    finally:
        _tbl_data._get_cell.register(pd.DataFrame, tables._lire_cellule)
        _tbl_data._set_cell.register(pd.DataFrame, tables._ecrire_cellule)
    assert ours == theirs
    assert "16\u202f070,0" in ours and ">s<" in ours and ">62002<" in ours

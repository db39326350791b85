
"""Printable versions (PDF through typst, docx through pandoc) of a real executed commune note."""

from __future__ import annotations

from osq_utils.batch import imprimables


def test_date_fr():
    import datetime as dt

    assert imprimables.date_fr(dt.date(2025, 6, 3)) == "3 juin 2025"
    assert imprimables.date_fr(dt.date(2025, 8, 1)) == "1er août 2025"
    assert imprimables.date_fr("printemps 2025") == "printemps 2025"
    assert imprimables.date_fr(None) is None

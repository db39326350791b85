
"""End to end: papermill executes the commune note for real communes, pandoc publishes the site."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from osq_utils.catalogues.racine import PROJECT_ROOT

pytestmark = pytest.mark.slow


def test_committed_templates_have_no_outputs():
    for path in Path(PROJECT_ROOT / "notebooks").glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, path

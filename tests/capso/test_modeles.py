
"""Templates: no committed outputs, a papermill parameters cell, and a text twin in sync (jupytext)."""

from __future__ import annotations

import nbformat
import pytest

from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.notes import TYPES as TEMPLATES

NOTEBOOKS = PROJECT_ROOT / "notebooks"


@pytest.mark.slow
@pytest.mark.parametrize("modele", sorted(TEMPLATES))
def test_template_runs_with_its_default_parameters(modele, store_file, tmp_path, monkeypatch):
    """As in JupyterLab: no parameter given; the kernel finds the store through OSQ_STORE (set by osq lab)."""
    import papermill as pm

    monkeypatch.setenv("OSQ_STORE", str(store_file))
    out = tmp_path / f"{modele}.ipynb"
    pm.execute_notebook(str(NOTEBOOKS / f"{modele}.ipynb"), str(out), kernel_name="python3", progress_bar=False,
                        cwd=str(NOTEBOOKS))
    nb = nbformat.read(out, as_version=4)
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]

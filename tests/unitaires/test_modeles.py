
"""Templates: no committed outputs, a papermill parameters cell, and a text twin in sync (jupytext)."""

from __future__ import annotations

import jupytext
import nbformat
import pytest

from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.notes import TYPES as TEMPLATES

NOTEBOOKS = PROJECT_ROOT / "notebooks"


@pytest.mark.parametrize("modele", sorted(TEMPLATES))
def test_template_is_clean_paired_and_parameterised(modele):
    nb = nbformat.read(NOTEBOOKS / f"{modele}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "sorties à retirer (nbstripout)"
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    for name in ("store", "glossaire_href", "profil", "masques", TEMPLATES[modele].parametre):
        assert f"\n{name} = " in "\n" + params[0].source
    twin = (NOTEBOOKS / f"{modele}.py").read_text(encoding="utf-8")
    assert jupytext.writes(nb, fmt="py:percent") == twin, "lancez « jupytext --sync notebooks/*.ipynb »"

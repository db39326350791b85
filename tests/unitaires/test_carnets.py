"""The batch engine reads and writes notebooks without loading rfc3987_syntax (osq_utils.batch), and nbformat
still validates them."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.rapide

PROGRAMME = """
import sys
import osq_utils.batch.notebook_md, osq_utils.batch.moteur
import nbformat
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
nbformat.validate(nb)
nb.cells[0]["source"] = 12
try:
    nbformat.validate(nb)
except nbformat.ValidationError:
    print("refusé")
print(sorted(m for m in sys.modules if m.startswith("rfc3987")), sys.modules.get("rfc3987_syntax"))
"""


def test_notebooks_are_validated_without_the_iri_parser():
    out = subprocess.run([sys.executable, "-c", PROGRAMME], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["refusé", "['rfc3987_syntax'] None"]

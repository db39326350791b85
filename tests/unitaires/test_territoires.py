
"""COG harmonisation and territorial hierarchy, on real figures of the store.

The observations are read from the session store (real Filosofi files) and the
commune code changes from the store table passages_cog (COGugaison): nothing
here is invented.
"""

from __future__ import annotations

import pytest

from osq_utils.catalogues.groupements import load_groupements
from osq_utils.errors import OsqError

GROUPEMENTS = """\
groupements:
  - code: TI-CAPSO-1
    libelle: "Pôle urbain de Saint-Omer"
    communes: ["62040", "62525", "62765"]
    description: Arques, Longuenesse et Saint-Omer
  - code: TI-CAPSO-2
    libelle: "Reste de l'agglomération"
    communes: ["62014", "62053"]
"""


def test_load_groupements(tmp_path):
    path = tmp_path / "groupements.yml"
    path.write_text(GROUPEMENTS, encoding="utf-8")
    groups = load_groupements(path)
    assert list(groups) == ["TI-CAPSO-1", "TI-CAPSO-2"]
    g = groups["TI-CAPSO-1"]
    assert g.communes == ("62040", "62525", "62765")
    assert g.libelle == "Pôle urbain de Saint-Omer" and g.description.startswith("Arques")
    assert groups["TI-CAPSO-2"].description is None


def test_load_groupements_without_communes(tmp_path):
    path = tmp_path / "groupements.yml"
    path.write_text(GROUPEMENTS.replace('    communes: ["62014", "62053"]\n', ""), encoding="utf-8")
    with pytest.raises(OsqError) as info:
        load_groupements(path)
    exc = info.value
    assert exc.fichier == path
    assert (exc.ligne, exc.colonne) == (6, 5)  # the second grouping's entry
    assert "groupement n° 2" in exc.message and "« communes »" in exc.message
    assert "liste de communes" in exc.correction


def test_load_groupements_rejects_unquoted_codes(tmp_path):
    path = tmp_path / "groupements.yml"
    path.write_text(GROUPEMENTS.replace('["62014", "62053"]', '["62014", 01001]'), encoding="utf-8")
    with pytest.raises(OsqError) as info:
        load_groupements(path)
    assert info.value.fichier == path
    assert info.value.ligne == 8 and "01001" in info.value.message  # as typed, not YAML's octal 513

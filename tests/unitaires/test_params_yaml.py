"""The one YAML reader (catalogues.lecture_yaml) on hostile params files: a French error naming the file, the
line and the column, never a Python traceback (issue 13, « Params files »)."""

from __future__ import annotations

import pytest

from osq_utils.batch.plan import load_params
from osq_utils.errors import OsqError


@pytest.mark.parametrize("text, line, column, message", [
    # Before: ConstructorError (an English traceback) from PyYAML.
    ("observatoire:\n  id: !!python/object:os.system essai\n", 2, 7,
     "valeur « essai » illisible, lue comme « !!python/object:os.system »"),
    ("observatoire:\n  id: !!binary essai\n", 2, 7, "lue comme « !!binary »"),
    # Before: ValueError: could not convert string to float.
    ('notes:\n  - territoires: {communes: [!!float abc]}\n', 2, 30, "valeur « abc » illisible, lue comme « !!float »"),
    # Before: ValueError: month must be in 1..12.
    ("observatoire:\n  titre: 2015-13-45\n", 2, 10, "valeur « 2015-13-45 » illisible, lue comme « !!timestamp »"),
    # Before: TypeError: unhashable type: 'list'.
    ("notes:\n  - modele: note_communale\n    ? [a, b]\n    : 1\n", 3, 7, "clé écrite comme une liste ou un dictionnaire"),
])
def test_yaml_a_params_file_cannot_turn_into_is_a_located_error(tmp_path, text, line, column, message):
    path = tmp_path / "obs.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(OsqError) as err:
        load_params(path)
    assert message in err.value.message
    assert (err.value.fichier, err.value.ligne, err.value.colonne) == (path, line, column) and err.value.correction


def test_a_folder_given_as_params_file_is_a_french_error(tmp_path):
    # Before: IsADirectoryError (`osq check params/`, or `groupements: data/territoires`).
    with pytest.raises(OsqError) as err:
        load_params(tmp_path)
    assert "fichier de paramètres attendu, dossier trouvé" in err.value.message and err.value.fichier == tmp_path

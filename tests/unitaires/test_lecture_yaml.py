"""The one YAML reader: plain values, positions of every node, located French errors."""

from __future__ import annotations

import pytest

from osq_utils.catalogues.lecture_yaml import lire_texte, lire_yaml
from osq_utils.errors import OsqError

TEXTE = """\
observatoire:
  id: essai
notes:
  - modele: note_communale
    territoires:
      communes: ["62040", 01001]
"""


def test_values_positions_and_what_was_typed(tmp_path):
    doc = lire_texte(TEXTE, tmp_path / "obs.yml")
    assert doc.donnees["notes"][0]["modele"] == "note_communale"
    assert doc.position("notes", 0, "modele") == (4, 13)
    assert doc.position("notes", 0, "modele", cle=True) == (4, 5)
    assert doc.position("notes", 0, "absent", "plus loin") == (4, 5)  # nearest existing parent
    # YAML 1.1 reads an unquoted 01001 as the octal number 513: the message can quote what was typed.
    assert doc.get("notes", 0, "territoires", "communes", 1) == 513
    assert doc.ecrit("notes", 0, "territoires", "communes", 1) == "01001"
    assert doc.est_texte("notes", 0, "territoires", "communes", 0)
    assert not doc.est_texte("notes", 0, "territoires", "communes", 1)
    err = doc.erreur("code écrit sans guillemets", "notes", 0, "territoires", "communes", 1, correction="guillemets")
    assert (err.fichier, err.ligne, err.colonne) == (tmp_path / "obs.yml", 6, 27)


def test_a_key_written_twice_is_an_error(tmp_path):
    with pytest.raises(OsqError) as err:
        lire_texte("a: 1\nb: 2\na: 3\n", tmp_path / "x.yml")
    assert err.value.ligne == 3 and "« a » écrite deux fois (déjà ligne 1)" in str(err.value)


def test_syntax_errors_and_missing_files_are_french_and_located(tmp_path):
    with pytest.raises(OsqError) as err:
        lire_texte("a: [1, 2\nb: 3\n", tmp_path / "x.yml")
    assert err.value.ligne is not None and "YAML illisible" in str(err.value) and err.value.correction
    with pytest.raises(OsqError, match="glossaire introuvable"):
        lire_yaml(tmp_path / "absent.yml", quoi="glossaire")
    latin1 = tmp_path / "latin1.yml"
    latin1.write_bytes("libellé: été\n".encode("latin-1"))
    with pytest.raises(OsqError, match="pas encodé en UTF-8"):
        lire_yaml(latin1)

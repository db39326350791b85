
"""Verbatims: the demo file against the real store, located errors, pseudonymisation, selection, rendering."""

from __future__ import annotations

import pytest
from exemples import VALID, where, write

from osq_utils import territoires
from osq_utils.catalogues import verbatims as V
from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.errors import OsqError
from osq_utils.present.verbatims import bloc_verbatims

SEEDS = PROJECT_ROOT.parent / "shared" / "seeds"
DEMO = V.dossier_verbatims() / "demo.yml"


def existe(con):
    return lambda niveau, code: territoires.existe(con, niveau, code)

def test_demo_validates_against_the_real_store(con):
    verbatims, report = V.load_verbatims(DEMO, existe=existe(con))
    assert len(verbatims) == 5
    assert len({v.id for v in verbatims}) == 5
    assert {v.territoire for v in verbatims} == {("epci", "200069037"), ("commune", "42189")}
    assert all(v.diffusion == "public" and v.source and v.source.fichier for v in verbatims)
    # The only printed name is removed at load time, and reported.
    assert report == [V.Revision("ste-laboratoire-solidaire-2025-apaso", "attribution",
                                 "Hélène, habitante de Roche-la-Molière", "une habitante de Roche-la-Molière")]
    assert not any("Hélène" in str(value) for v in verbatims for value in vars(v).values())


def test_demo_quotes_are_printed_in_their_seed_document():
    if not SEEDS.is_dir():
        pytest.skip("documents sources (shared/seeds) absents")
    for v in V.read_verbatims(DEMO):
        seed = (SEEDS / v.source.fichier).read_text(encoding="utf-8")
        assert " ".join(v.texte.split()) in " ".join(seed.split()), v.id


def test_unknown_territory_is_checked_in_the_store(tmp_path, con):
    text = VALID.replace('"62765"', '"62999"')
    path = write(tmp_path, text)
    V.read_verbatims(path)  # well-formed: only the store knows it does not exist
    with pytest.raises(OsqError) as info:
        V.read_verbatims(path, existe=existe(con))
    assert "commune « 62999 » absent" in info.value.message
    assert (info.value.ligne, info.value.colonne) == where(text, '"62999"')
    assert V.read_verbatims(write(tmp_path, VALID), existe=existe(con))[0].territoire == ("commune", "62765")


def test_bloc_contains_quote_and_attribution(con):
    verbatims, _ = V.load_verbatims(existe=existe(con))
    selected = V.select(verbatims, theme="acces_aux_droits", territoires=[("commune", "42189")])
    md = bloc_verbatims(selected)
    assert md.startswith("## Paroles d'acteurs\n")
    assert "::: verbatim\n> Avant, j’attendais des semaines" in md
    assert "[— une habitante de Roche-la-Molière, témoignage sur le Réseau APASO" in md
    assert "2025 (source\u00a0: «\u00a0Saint-Étienne, laboratoire solidaire" in md
    assert "Hélène" not in md

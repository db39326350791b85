"""The fixed pages and exports rendered ahead of the end of a build replace the site's only once moved in
(batch.build._installer_avance): changed files replace the site's, removed ones leave it, unchanged ones stay."""

from __future__ import annotations

import os

import pytest

from osq_utils.batch import build

pytestmark = pytest.mark.rapide


def _ecrire(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_pages_rendered_ahead_replace_the_site_only_when_moved_in(tmp_path):
    site, avance = tmp_path / "site", tmp_path / ".pages-en-avance.tmp"
    for name, text in {"index.html": "ancien", "guide-retire.html": "retiré", "donnees/chiffres.csv": "a;b",
                       "notes/communale-62040.html": "note"}.items():
        _ecrire(site / name, text)
    # What _en_avance starts from: links to the site's fixed pages and exports (never its notes).
    for f in build._fichiers_fixes(site):
        (avance / f.relative_to(site)).parent.mkdir(parents=True, exist_ok=True)
        os.link(f, avance / f.relative_to(site))
    assert sorted(p.relative_to(avance).as_posix() for p in avance.rglob("*") if p.is_file()) == [
        "donnees/chiffres.csv", "guide-retire.html", "index.html"]
    # Rendered ahead: the home page changes (atomically, a new file), a guide goes, a page comes.
    (avance / "index.html").unlink()
    _ecrire(avance / "index.html", "nouveau")
    (avance / "guide-retire.html").unlink()
    _ecrire(avance / "comparer.html", "comparer")
    assert (site / "index.html").read_text(encoding="utf-8") == "ancien"  # the site is untouched until then
    build._installer_avance(avance, site)
    assert {p.relative_to(site).as_posix(): p.read_text(encoding="utf-8") for p in site.rglob("*") if p.is_file()} == {
        "index.html": "nouveau", "comparer.html": "comparer", "donnees/chiffres.csv": "a;b",
        "notes/communale-62040.html": "note"}
    assert not avance.exists()

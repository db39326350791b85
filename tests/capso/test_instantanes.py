"""Snapshots of the rendered page of one note of each kind: every change to a page is a reviewed diff.

The pages come from the real `osq build --imprimables` (papermill kernels, pandoc) of the five-note build
(tests/capso/conftest.py) on the CAPSO store of this tier; test_parite.py checks that Quarto shows the same.
Volatile parts are normalised: attribute order (the HTML filter builds some attributes from Lua tables,
in no fixed order) and embedded images (their bytes belong to matplotlib's version, not to OSQ). After a
wanted change, update them with `make instantanes` and review the diff of tests/capso/__snapshots__/.
"""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from sites_essai import NOTES_CINQ
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from osq_utils.notes import TYPES

PAGES = NOTES_CINQ
_DATA_URI = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")


class PageHTML(SingleFileSnapshotExtension):
    file_extension = "html"
    _write_mode = WriteMode.TEXT


@pytest.fixture
def snapshot_html(snapshot):
    return snapshot.use_extension(PageHTML)


@pytest.fixture(scope="session")
def site_cinq_notes(cinq_notes_pandoc):
    return cinq_notes_pandoc / "site"


def normalise(html: str) -> str:
    """The page with its attributes in a fixed order and its embedded images named by their length."""
    html = _DATA_URI.sub(lambda m: f"data:image/png;base64,<{len(m.group(0))} caractères>", html)
    return BeautifulSoup(html, "html.parser").decode(formatter="html5")


def test_every_kind_is_snapshotted():
    assert set(PAGES) == set(TYPES)


@pytest.mark.parametrize("modele", sorted(PAGES))
def test_page_of_each_kind_of_note(site_cinq_notes, snapshot_html, modele):
    page = site_cinq_notes / "notes" / f"{PAGES[modele]}.html"
    html = normalise(page.read_text(encoding="utf-8"))
    assert "Traceback" not in html
    assert html == snapshot_html


def test_normalisation_keeps_content_and_orders_attributes():
    a = '<div role="note" data-x="1"><img src="data:image/png;base64,AAAA"></div>'
    b = '<div data-x="1" role="note"><img src="data:image/png;base64,AAAA"></div>'
    assert normalise(a) == normalise(b)
    assert normalise(a) != normalise(a.replace('"1"', '"2"'))


# --- Golden text of the automatic commentary (issue 16) --------------------------------------------------------

class TexteCommentaire(SingleFileSnapshotExtension):
    file_extension = "txt"
    _write_mode = WriteMode.TEXT


@pytest.fixture
def snapshot_texte(snapshot):
    return snapshot.use_extension(TexteCommentaire)


# Every kind that writes commentary: its sections (TypeNote.sections_commentaire), or the evaluation's answers.
COMMENTEES = sorted(m for m, t in TYPES.items() if t.sections_commentaire or m == "evaluation_cdv")


def texte_commentaire(html: str) -> str:
    """The commentary of a page as a reader reads it: each block of class osq-commentaire, its titles, paragraphs
    and list items one per line."""
    soup = BeautifulSoup(html, "html.parser")
    blocs = []
    for div in soup.select(".osq-commentaire"):
        lignes = [("- " if el.name == "li" else "") + " ".join(el.get_text(" ", strip=True).split())
                  for el in div.find_all(["h2", "h3", "h4", "p", "li", "strong", "span"], recursive=True)
                  if el.name != "span" or "callout-title" in (el.get("class") or [])
                  if not el.find_parent(["li", "p"]) and not (el.name == "strong" and el.find_parent(["p", "li"]))]
        blocs.append("\n".join(x for x in lignes if x))
    return "\n\n".join(blocs) + "\n"


def test_the_five_kinds_with_commentary_are_snapshotted():
    assert COMMENTEES == ["abs_ccas", "evaluation_cdv", "note_communale", "note_epci", "note_quartier"]


@pytest.mark.parametrize("modele", COMMENTEES)
def test_commentary_text_of_each_kind(site_cinq_notes, snapshot_texte, modele):
    page = site_cinq_notes / "notes" / f"{PAGES[modele]}.html"
    texte = texte_commentaire(page.read_text(encoding="utf-8"))
    assert texte.strip(), f"{modele} : aucun commentaire"
    assert texte == snapshot_texte

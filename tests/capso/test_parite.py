"""The same site with pandoc and with Quarto: for one note of each kind, in both profiles, and for the fixed
pages, the pages show the same title, headings, figures, tables, callouts, key-figure cards, marks (`s`,
`nd`) and links, compared structurally (tests/structure.py), never byte for byte; and the same navigation.
"""

from __future__ import annotations

from dataclasses import fields

import pytest
from sites_essai import DOSSIERS_PROFILS, NOTES_CINQ
from structure import navigation, structure

from osq_utils.catalogues.guides import guides_pages

pytestmark = pytest.mark.slow

FIXED = ["index.html", "comparer.html", "glossaire.html", "sources.html", "etat-des-donnees.html", "guides.html"]
MENU = [("Accueil", "index.html"), ("Comparer", "comparer.html"), ("Glossaire", "glossaire.html"),
        ("Sources", "sources.html"),
        ("État des données", "etat-des-donnees.html"), ("Guides", "guides.html")]


def _pair(pandoc, quarto, profil: str, page: str):
    a = (pandoc / DOSSIERS_PROFILS[profil] / page).read_text(encoding="utf-8")
    b = (quarto / DOSSIERS_PROFILS[profil] / page).read_text(encoding="utf-8")
    return a, b


def _differences(a, b) -> list[str]:
    out = []
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if x != y:
            first = next((f"n° {i + 1} : pandoc {u!r} / Quarto {v!r}" for i, (u, v) in enumerate(zip(x, y)) if u != v),
                         f"pandoc {len(x)} / Quarto {len(y)}") if isinstance(x, tuple) else f"pandoc {x!r} / Quarto {y!r}"
            out.append(f"{f.name} : {first}"[:600])
    return out


@pytest.mark.parametrize("profil", DOSSIERS_PROFILS)
@pytest.mark.parametrize("modele", NOTES_CINQ)
def test_note_shows_the_same_in_both_renderers(cinq_notes_pandoc, cinq_notes_quarto, modele, profil):
    page = f"notes/{NOTES_CINQ[modele]}.html"
    a, b = (structure(html) for html in _pair(cinq_notes_pandoc, cinq_notes_quarto, profil, page))
    # The comparison is not empty: every note has headings, figures, tables and links, and marks its gaps.
    assert a.titre and a.sous_titre and a.titres and a.tableaux and a.liens
    if modele != "plan_actions":  # the plan d'actions is a list of actions: no chart, no statistic to mark
        assert a.figures and all(files for _, _, files in a.figures) and sum(n for _, n in a.marques) > 0
    assert _differences(a, b) == []


@pytest.mark.parametrize("profil", DOSSIERS_PROFILS)
@pytest.mark.parametrize("page", FIXED)
def test_fixed_page_shows_the_same_in_both_renderers(cinq_notes_pandoc, cinq_notes_quarto, page, profil):
    a, b = (structure(html) for html in _pair(cinq_notes_pandoc, cinq_notes_quarto, profil, page))
    assert a.titre and a.liens
    assert _differences(a, b) == []


@pytest.mark.parametrize("profil", DOSSIERS_PROFILS)
def test_one_navigation_for_every_page(cinq_notes_pandoc, cinq_notes_quarto, profil):
    """Every page of both sites has the six entries of batch.pages.NAV, in order."""
    for root in (cinq_notes_pandoc, cinq_notes_quarto):
        site = root / DOSSIERS_PROFILS[profil]
        pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
        guides = [g for g in guides_pages() if g not in FIXED]  # docs/guides/*.md, one page each
        assert len(pages) == len(FIXED) + len(guides) + len(NOTES_CINQ)
        for page in pages:
            assert navigation((site / page).read_text(encoding="utf-8"), page) == MENU, (root.parent.name, page)


def test_the_comparison_sees_a_difference(cinq_notes_pandoc, cinq_notes_quarto):
    """The structural comparison fails when a page loses a card's value, a mark or a link."""
    html = (cinq_notes_quarto / "site" / "notes" / "communale-62040.html").read_text(encoding="utf-8")
    a = structure(html)
    for before, after in (('<span class="kpi-valeur">9', '<span class="kpi-valeur">8'),
                          (">nd<", ">s<"), ('href="../glossaire.html#', 'href="../sources.html#')):
        assert before in html, before
        assert _differences(a, structure(html.replace(before, after, 1))) != []

"""Both renderers' sites in a real headless Chromium (Debian package, driven by Playwright): nothing is
loaded from outside the site, OSQ's stylesheet leaves Quarto's layout alone, no word of a table is cut,
no page is wider than a phone's screen, and the index, a note and every local link work.

The sites are the five-note builds of tests/capso/conftest.py (public profile), once per renderer.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from navigateur import chromium, serve
from sites_essai import NOTES_CINQ

pytestmark = pytest.mark.slow

NOTES = [f"notes/{slug}.html" for slug in NOTES_CINQ.values()]
PAGES = ["index.html", "glossaire.html", "sources.html", "etat-des-donnees.html", "guides.html", *NOTES]

# Words of table cells drawn on more than one line (a hyphen or a slash may end a line: « Saint-/Omer »).
CUT_WORDS = r"""() => {
  const cut = [];
  for (const cell of document.querySelectorAll('main td, main th')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const re = /[^\s\-\u2010\u2011\u2013\/]+/g;
      let m;
      while ((m = re.exec(node.data))) {
        const r = document.createRange();
        r.setStart(node, m.index);
        r.setEnd(node, m.index + m[0].length);
        const lines = new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top)));
        if (lines.size > 1) cut.push(m[0]);
      }
    }
  }
  return cut;
}"""
MAIN_WIDTH = """() => { const m = document.querySelector('main'), s = getComputedStyle(m);
  return m.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight); }"""


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def server(cinq_notes):
    with serve(cinq_notes / "site") as url:
        yield url


def test_no_request_outside_the_site(server, browser, rendu):
    """Google Fonts, MathJax, a polyfill, jQuery and require.js came from CDNs in the Quarto site: an
    intranet without internet access got a degraded page. Every request now stays inside the site."""
    page = browser.new_page()
    outside, failed = [], []
    page.on("request", lambda r: None if r.url.startswith((server, "data:", "about:")) else outside.append(r.url))
    page.on("requestfailed", lambda r: failed.append(r.url))
    for name in PAGES:
        page.goto(server + name, wait_until="networkidle")
    page.close()
    assert outside == [], sorted(set(outside))
    assert failed == [], failed


@pytest.mark.parametrize("width", [1280, 360], ids=["ecran", "mobile"])
def test_layout_and_tables(server, browser, rendu, width):
    """OSQ's stylesheet shrank Quarto's main column to about 620 px at 1280 px and cut words in table cells
    (« Populatio/n municipal/e »). No word is cut now, no page is wider than the screen, and with Quarto
    the main column is the width Quarto gives it, with or without OSQ's stylesheet."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    for name in PAGES:
        page.goto(server + name, wait_until="load")
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width, f"{name} : page plus large que l'écran"
        if width == 1280:
            assert page.evaluate(CUT_WORDS) == [], f"{name} : mots coupés dans un tableau"
        if rendu == "quarto":
            with_osq = page.evaluate(MAIN_WIDTH)
            page.evaluate("() => document.querySelectorAll('link[href$=\"osq.css\"]').forEach(l => l.disabled = true)")
            assert page.evaluate(MAIN_WIDTH) == with_osq, f"{name} : osq.css change la colonne de Quarto"
            if width == 1280:
                assert with_osq >= 700, f"{name} : colonne principale de {with_osq} px"
    page.close()


def test_the_layout_check_sees_a_cut_word(server, browser, rendu):
    """The cut-word check can fail: a narrow column with words broken anywhere is reported."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server + NOTES[0])
    page.add_style_tag(content="main table { table-layout: fixed; width: 300px !important; } "
                               "main td, main th { overflow-wrap: anywhere !important; }")
    assert page.evaluate(CUT_WORDS) != []
    page.close()


def _local_links(page, base: str) -> set[str]:
    # The attribute, resolved: an SVG link's `href` property is not a string (the maps' areas).
    urls = page.eval_on_selector_all("a[href], img[src], link[href], script[src]",
                                     "els => els.map(e => new URL(e.getAttribute('href') || e.getAttribute('src'), "
                                     "document.baseURI).href)")
    return {u.split("#")[0] for u in urls if u.startswith(base)}


def test_filter_open_note_and_links(server, browser, rendu):
    page = browser.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(f"{msg.text} {msg.location.get('url', '')}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server + "index.html")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.fill("#filtre-notes", "saint-exupery")
    assert page.locator(".liste-notes li:visible").count() == 1
    page.fill("#filtre-notes", "")
    assert page.locator(".liste-notes li:visible").count() == len(NOTES)
    links = _local_links(page, server)
    page.get_by_role("link", name="Saint-Exupéry - Léon Blum (QP062036)").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("notes/quartier-QP062036.html")
    # The map is drawn in the page (interactive SVG), its areas named and valued.
    assert page.locator("#fig-carte svg [data-osq-info]").count() >= 3
    for name in PAGES:
        page.goto(server + name)
        links |= _local_links(page, server)
    paths = {urlparse(u).path for u in links}
    assert {"/donnees/chiffres.csv", "/donnees/chiffres.xlsx", "/notes/communale-62040.pdf",
            "/notes/communale-62040.docx"} <= paths
    for url in sorted(links):
        assert page.request.get(url).status == 200, f"lien cassé : {urlparse(url).path}"
    assert errors == [], errors
    page.close()


def test_quarto_search_works_offline(cinq_notes_quarto, browser):
    """Quarto's search finds a note from the site's own index, without any request outside the site."""
    with serve(cinq_notes_quarto / "site") as server:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(server + "index.html", wait_until="networkidle")
        page.locator("#quarto-search .aa-DetachedSearchButton, #quarto-search button").first.click()
        page.keyboard.type("Longuenesse")
        page.wait_for_selector(".aa-Item", timeout=10_000)
        assert "Longuenesse" in page.locator(".aa-Panel, .aa-DetachedContainer").first.inner_text()
        page.close()

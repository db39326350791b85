
"""Accessibility of the published site (RGAA 4 / WCAG 2.1 AA) in a real headless Chromium.

axe-core (npm, pinned in tests/package.json: `npm ci --prefix tests`) is injected into each page by
Playwright; any violation of impact "serious" or "critical" fails. Then what axe cannot judge: keyboard
use of the listing filter, skip link and focus ring, names of tables and figures, the print stylesheet.
The sites are the real five-note builds (one note of each kind) of tests/capso/conftest.py, with pandoc
and with Quarto, on the store built from the mirror.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from navigateur import chromium, serve
from sites_essai import NOTES_CINQ

from osq_utils.catalogues.racine import PROJECT_ROOT

pytestmark = pytest.mark.slow

AXE = PROJECT_ROOT / "tests" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}

NOTES = [f"notes/{slug}.html" for slug in NOTES_CINQ.values()]
PAGES = ["index.html", "comparer.html", "glossaire.html", "sources.html", *NOTES]
# What each renderer calls its main content and its navigation (the skip link's target; hidden in print).
MAIN_ID = {"pandoc": "contenu", "quarto": "quarto-document-content"}
PRINT_HIDDEN = {"pandoc": (".site-nav", "#TOC", ".skip-link"), "quarto": ("#quarto-header", "#TOC", ".skip-link")}


@pytest.fixture(scope="module")
def axe_script() -> Path:
    if not AXE.is_file():
        pytest.skip(f"axe-core absent ({AXE.relative_to(PROJECT_ROOT)}) : lancer « npm ci --prefix tests »")
    return AXE


@pytest.fixture(scope="module")
def site_a11y(cinq_notes, axe_script) -> Path:
    """The public site of the five-note build (one note of each kind), with pandoc and with Quarto."""
    site = cinq_notes / "site"
    missing = [p for p in PAGES if not (site / p).is_file()]
    assert not missing, f"pages absentes : {missing}"
    return site


@pytest.fixture(scope="module")
def server(site_a11y):
    with serve(site_a11y) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _axe(page) -> dict:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(f"axe.run(document, {{runOnly: {AXE_TAGS!r}}})")


def _describe(page_name: str, violation: dict) -> str:
    nodes = "; ".join(" ".join(n["target"]) if isinstance(n["target"], list) else str(n["target"])
                      for n in violation["nodes"][:3])
    return f"{page_name} [{violation['impact']}] {violation['id']} : {violation['help']} ({nodes})"


@pytest.mark.parametrize("width", [1280, 360], ids=["ecran", "mobile"])
def test_axe_no_serious_violation(server, browser, width):
    """Index, glossary, sources and one note of each kind, on a desktop and a phone-width screen (reflow)."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    blocking, others = [], []
    for name in PAGES:
        page.goto(server + name)
        assert page.locator("html").get_attribute("lang") == "fr", name
        result = _axe(page)
        assert result["passes"], f"axe n'a rien vérifié sur {name}"
        for v in result["violations"]:
            (blocking if v["impact"] in BLOCKING else others).append(_describe(name, v))
    page.close()
    if others:
        print("\n".join(["Violations axe modérées ou mineures :", *others]))
    assert blocking == [], "\n".join(blocking)


def test_axe_detects_a_planted_violation(server, browser):
    """The check itself can fail: an image without alt and grey-on-white text are reported as blocking."""
    page = browser.new_page()
    page.goto(server + "index.html")
    page.evaluate("""() => {
        const main = document.querySelector('main');
        main.insertAdjacentHTML('beforeend',
          '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">' +
          '<p style="color:#aaaaaa;background:#ffffff">Texte gris clair</p>');
    }""")
    ids = {v["id"] for v in _axe(page)["violations"] if v["impact"] in BLOCKING}
    page.close()
    assert {"image-alt", "color-contrast"} <= ids


def _focused(page) -> dict:
    return page.evaluate("""() => {
        const el = document.activeElement, s = getComputedStyle(el);
        return {tag: el.tagName.toLowerCase(), id: el.id, cls: el.className, text: (el.textContent || '').trim(),
                href: el.getAttribute('href'), outline: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth),
                left: el.getBoundingClientRect().left};
    }""")


def test_keyboard_skip_link_filter_and_focus_ring(server, browser, rendu):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server + "index.html")

    # First Tab stop: the skip link, visible on screen, with a focus ring; Enter moves focus to the content.
    page.keyboard.press("Tab")
    first = _focused(page)
    assert first["cls"] == "skip-link" and first["text"] == "Aller au contenu"
    assert first["left"] >= 0 and first["outline"] != "none" and first["outlineWidth"] >= 2
    page.keyboard.press("Enter")
    assert _focused(page)["id"] == MAIN_ID[rendu]

    # From the content, Tab reaches the listing filter (after the intro's links, the key figures' links and the
    # areas of the home page's map: 53 communes and a quartier).
    for _ in range(120):
        page.keyboard.press("Tab")
        if _focused(page)["id"] == "filtre-notes":
            break
    field = _focused(page)
    assert field["id"] == "filtre-notes", field
    assert field["outline"] != "none" and field["outlineWidth"] >= 2
    assert page.locator("label[for='filtre-notes']").inner_text() == "Filtrer les notes"

    # Typing filters the listing (accents ignored); Tab then goes to the only visible note, Enter opens it.
    page.keyboard.type("saint-exupery")
    visible = page.locator(".liste-notes li:visible")
    assert visible.count() == 1
    assert "QP062036" in visible.first.inner_text()
    page.keyboard.press("Tab")
    link = _focused(page)
    # (Quarto's navigation script writes every href as an absolute URL)
    assert link["tag"] == "a" and link["href"].endswith("notes/quartier-QP062036.html"), link
    assert link["outline"] != "none"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("notes/quartier-QP062036.html")

    # On a note, every wide table is a scroll box the keyboard can focus, with a name.
    regions = page.locator(".osq-defilement")
    assert regions.count() >= 1
    for i in range(regions.count()):
        r = regions.nth(i)
        assert r.get_attribute("tabindex") == "0" and r.get_attribute("role") == "region"
        assert r.get_attribute("aria-label") or r.get_attribute("aria-labelledby")
    page.close()


@pytest.mark.parametrize("name", NOTES)
def test_figures_and_tables_are_described(server, browser, name):
    """Alt text saying what the figure shows (not its caption again); data tables with a name and headers."""
    page = browser.new_page()
    page.goto(server + name)
    figures = page.evaluate("""() => [...document.querySelectorAll('main img')].map(img => ({
        src: img.getAttribute('src'), alt: img.getAttribute('alt'),
        caption: (img.closest('figure')?.querySelector('figcaption')?.textContent || '').trim()}))""")
    for fig in figures:
        assert fig["alt"] is not None and len(fig["alt"]) >= 40, f"{name} : texte alternatif trop court {fig}"
        assert not fig["caption"] or fig["caption"] not in fig["alt"], f"{name} : le texte alternatif répète la légende {fig}"
    tables = page.evaluate("""() => [...document.querySelectorAll('main table')].map(t => {
        const byId = t.getAttribute('aria-labelledby');
        const region = t.closest('[role=region]');
        const name = (t.querySelector('caption')?.textContent || (byId && document.getElementById(byId)?.textContent)
                      || t.getAttribute('aria-label') || region?.getAttribute('aria-label') || '').trim();
        return {name, th: t.querySelectorAll('th').length};
    })""")
    assert tables, f"{name} : aucun tableau"
    for t in tables:
        assert t["name"] and t["th"] > 0, f"{name} : tableau sans titre ou sans en-têtes {t}"
    page.close()


def test_print_stylesheet(server, browser, rendu):
    page = browser.new_page()
    page.goto(server + "sources.html")
    page.emulate_media(media="print")
    for selector in PRINT_HIDDEN[rendu]:
        assert not page.locator(selector).is_visible(), selector
    styles = page.evaluate("""() => {
        const ext = document.querySelector('main a[href^="http"]');
        const row = document.querySelector('main tbody tr');
        return {color: getComputedStyle(document.body).color, bg: getComputedStyle(document.body).backgroundColor,
                after: getComputedStyle(ext, '::after').content, href: ext.getAttribute('href'),
                row: getComputedStyle(row).breakInside};
    }""")
    assert styles["color"] == "rgb(0, 0, 0)" and styles["bg"] == "rgb(255, 255, 255)"
    assert styles["href"] in styles["after"], styles  # the URL of an external link is printed
    assert styles["row"] == "avoid"

    page.emulate_media(media="screen")
    page.goto(server + "index.html")
    page.fill("#filtre-notes", "arques")
    page.emulate_media(media="print")
    assert not page.locator("#filtre-notes").is_visible()
    assert page.locator(".liste-notes li:visible").count() == len(NOTES)  # the whole listing is printed
    page.goto(server + NOTES[0])
    assert page.evaluate("getComputedStyle(document.querySelector('main figure')).breakInside") == "avoid"
    page.close()

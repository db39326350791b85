
"""The published site in a real headless Chromium (Debian package), driven by Playwright for Python."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from navigateur import chromium, serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(built_site):
    with serve(built_site / "site") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _local_links(page, base: str) -> set[str]:
    urls = page.eval_on_selector_all("a[href], img[src], link[href], script[src]",
                                     "els => els.map(e => new URL(e.getAttribute('href') || e.getAttribute('src'), "
                                     "document.baseURI).href)")  # an SVG link's href property is not a string
    local = set()
    for url in urls:
        if url.startswith(base):
            local.add(url.split("#")[0])
    return local


def test_filter_open_note_and_links(server, browser):
    page = browser.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(f"{msg.text} {msg.location.get('url', '')}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server + "index.html")
    assert page.locator("html").get_attribute("lang") == "fr"

    page.fill("#filtre-notes", "arques")
    visible = page.locator(".liste-notes li:visible")
    assert visible.count() == 1 and "Arques (62040)" in visible.first.inner_text()
    page.fill("#filtre-notes", "62765")
    assert page.locator(".liste-notes li:visible").first.inner_text().startswith("Saint-Omer")
    page.fill("#filtre-notes", "")
    assert page.locator(".liste-notes li:visible").count() == 2

    links = _local_links(page, server)
    page.fill("#filtre-notes", "Arques")
    page.get_by_role("link", name="Arques (62040)").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("notes/communale-62040.html")
    carte = page.locator("#fig-carte svg")  # the map, drawn in the page (interactive SVG)
    assert carte.is_visible() and carte.bounding_box()["width"] > 300
    assert page.locator("#fig-carte svg [data-osq-info]").count() >= 50  # the 53 communes of the CAPSO
    assert page.locator("table").first.is_visible()
    assert page.get_by_text("20,0\u00a0%").first.is_visible()  # poverty rate 2021 (cc_filosofi_2021_COM.csv, TP6021)
    links |= _local_links(page, server)

    for extra in ("comparer.html", "glossaire.html", "sources.html"):
        page.goto(server + extra)
        links |= _local_links(page, server)
    paths = {urlparse(u).path for u in links}
    assert {"/index.html", "/glossaire.html", "/sources.html", "/assets/osq.css", "/donnees/chiffres.csv",
            "/donnees/chiffres.xlsx", "/donnees/comparaison.js", "/assets/osq-interactif.js",
            "/notes/communale-62040.html", "/notes/communale-62765.html"} <= paths
    for url in sorted(links):
        resp = page.request.get(url)
        assert resp.status == 200, f"lien cassé : {urlparse(url).path}"
    assert errors == [], errors
    page.close()

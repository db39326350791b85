"""What a published page shows, read structurally from its HTML, whatever the renderer (pandoc or Quarto):
its title, headings, figures, tables, callouts, key-figure cards, marks (`s`, `nd`) and links. Two
renderers of the same note must give the same structure; the markup around it (the renderer's own
classes, wrappers and page chrome) is left out.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, Tag

_SPACES = re.compile(r"\s+")
MARKS = ("s", "nd")


def texte(el: Tag | None) -> str:
    """Visible text with every run of spaces (no-break ones included) made one space."""
    if el is None:
        return ""
    for hidden in el.select(".screen-reader-only, .visually-hidden"):
        hidden.decompose()
    return _SPACES.sub(" ", el.get_text(" ", strip=True)).strip()


def _copy(el: Tag) -> Tag:
    return BeautifulSoup(str(el), "html.parser")


@dataclass(frozen=True)
class Structure:
    titre: str
    sous_titre: str
    titres: tuple[tuple[str, str], ...]        # (h2|h3|h4, text)
    figures: tuple[tuple[str, str, tuple[str, ...]], ...]  # (id, caption, image files)
    images: tuple[tuple[str, str], ...]        # (file, alt) of every image
    tableaux: tuple[tuple[tuple[str, ...], ...], ...]  # cell texts, row by row
    encadres: tuple[tuple[str, str, str], ...]  # (type, title, body text)
    cartes: tuple[tuple[str, ...], ...]         # key-figure cards: the text of each part
    marques: tuple[tuple[str, int], ...]        # (mark, number of table cells showing it)
    liens: tuple[tuple[str, str], ...]          # (text, href) of every link of the content


def _callout_type(div: Tag) -> str:
    for c in div.get("class", []):
        m = re.fullmatch(r"callout-(note|tip|warning|important|caution)", c)
        if m:
            return m.group(1)
    return "note"


def _callout_title(div: Tag) -> str:
    title = div.select_one(".callout-title-container, .callout-title")
    return texte(_copy(title)) if title else ""


def _callout_body(div: Tag) -> str:
    body = div.select_one(".callout-body-container, .callout-body")
    return texte(_copy(body)) if body else ""


def structure(html: str) -> Structure:
    """The structure of a page's main content."""
    soup = BeautifulSoup(html, "html.parser")
    main = soup.find("main")
    assert main is not None, "page sans <main>"
    header = main.find(id="title-block-header")
    titre = texte(_copy(main.find("h1")))
    sous_titre = texte(_copy(header.select_one(".subtitle"))) if header else ""
    titres = tuple((h.name, texte(_copy(h))) for h in main.find_all(["h2", "h3", "h4"])
                   if not (h.find_parent(class_="callout") or h.find_parent("nav")))
    figures = []
    for el in main.select('[id^="fig-"]'):
        if el.find_parent(id=re.compile("^fig-")):
            continue  # a sub-figure, or Quarto's figure inside its float
        caption = el.find("figcaption")
        images = tuple(posixpath.basename(img.get("src", "")) for img in el.find_all("img"))
        # An interactive figure (present.interactif): its inline SVG instead of an image file.
        images += tuple(f"svg:{div.get('id', '')}" for div in el.select("div.osq-interactif"))
        figures.append((el["id"], texte(_copy(caption)) if caption else "", images))
    images = tuple((posixpath.basename(img.get("src", "")), _SPACES.sub(" ", img.get("alt", "")).strip())
                   for img in main.find_all("img"))
    tableaux = tuple(tuple(tuple(texte(_copy(c)) for c in tr.find_all(["th", "td"])) for tr in t.find_all("tr"))
                     for t in main.find_all("table"))
    encadres = tuple((_callout_type(d), _callout_title(d), _callout_body(d)) for d in main.select("div.callout"))
    cartes = tuple(tuple(texte(_copy(part)) for part in kpi.select(".kpi-valeur, .kpi-libelle, .kpi-comparaison, .kpi-source"))
                   for kpi in main.select("div.kpi"))
    cells = [texte(_copy(c)) for t in main.find_all("table") for c in t.find_all("td")]
    marques = tuple((m, cells.count(m)) for m in MARKS)
    liens = tuple(sorted((texte(_copy(a)), a["href"]) for a in main.find_all("a", href=True)
                         if not a.find_parent(id="title-block-header") and "skip-link" not in a.get("class", [])))
    return Structure(titre, sous_titre, titres, tuple(figures), images, tableaux, encadres, cartes, marques, liens)


def navigation(html: str, page: str) -> list[tuple[str, str]]:
    """The site's navigation menu: (label, target page from the site's root) in order, whatever the
    renderer's markup; `page` is the page's path from the site's root."""
    soup = BeautifulSoup(html, "html.parser")
    nav = soup.select_one("nav.site-nav") or soup.select_one("#quarto-header nav .navbar-nav")
    assert nav is not None, "page sans menu de navigation"
    return [(texte(_copy(a)), posixpath.normpath(posixpath.join(posixpath.dirname(page), a["href"])))
            for a in nav.find_all("a", href=True)]

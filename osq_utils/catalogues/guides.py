"""The analyst's guides in French (docs/guides/*.md), published as pages of every site."""

from __future__ import annotations

from pathlib import Path

from osq_utils.catalogues.racine import dossier_guides


def fichiers() -> list[Path]:
    """The files this loader reads (for the build fingerprint): the guides and their examples."""
    folder = dossier_guides()
    return sorted(p for p in folder.rglob("*") if p.is_file())


def guides_pages() -> dict[str, tuple[str, str]]:
    """The guides as site pages: file name -> (markdown, title), then the « Guides » index page."""
    pages, items = {}, []
    for path in sorted(dossier_guides().glob("*.md")):
        text = path.read_text(encoding="utf-8")
        title = text.splitlines()[0].lstrip("# ").strip()
        body = text.split("\n", 1)[1].replace("`exemples/", "`docs/guides/exemples/")
        pages[f"guide-{path.stem}.html"] = (body, title)
        items.append(f"- [{title}](guide-{path.stem}.html)")
    if items:
        pages["guides.html"] = ("Les guides de l'analyste, avec des exemples que les tests du projet exécutent "
                                "(`tests/capso/test_parcours.py`, `tests/capso/test_cli_outils.py`).\n\n" + "\n".join(items) + "\n",
                                "Guides")
    return pages

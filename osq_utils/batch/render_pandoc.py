"""Pandoc fallback renderer: Quarto markdown -> one HTML page of the site.

Used when no `quarto` executable exists. The Lua filter `templates/quarto.lua` gives
Quarto's treatment of callouts, figures, tables, layouts and cross-references; the
template `templates/page.html` gives the site header, navigation, table of contents
and footer; the stylesheets `templates/osq-page.css` (this template's page),
`templates/osq.css` (OSQ's components, shared with the Quarto site) and the interactive figures'
`templates/osq-interactif.css` and `.js` are installed once per site by `install_assets`.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pypandoc

from osq_utils import atomic

__all__ = ["TEMPLATES_DIR", "MARKDOWN_FORMAT", "install_assets", "render_page"]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE = TEMPLATES_DIR / "page.html"
LUA_FILTER = TEMPLATES_DIR / "quarto.lua"
STYLESHEETS = {"assets/osq-page.css": TEMPLATES_DIR / "osq-page.css",  # relative to the site root
               "assets/osq.css": TEMPLATES_DIR / "osq.css",
               "assets/osq-interactif.css": TEMPLATES_DIR / "osq-interactif.css"}
# The interactive figures' script (maps and charts of the notes, present.interactif): the site's own file.
SCRIPTS = {"assets/osq-interactif.js": TEMPLATES_DIR / "osq-interactif.js"}

# Pandoc markdown already has fenced_divs, bracketed_spans, citations (@fig-x),
# implicit_figures, pipe_tables, raw_attribute, yaml_metadata_block and tex_math_dollars.
MARKDOWN_FORMAT = "markdown+emoji"
TOC_TITLE = "Sur cette page"


def install_assets(site_root: Path) -> list[Path]:
    """Copy the stylesheets and scripts to `<site_root>/assets/` (atomic, skipped if unchanged)."""
    return [atomic.write_bytes(Path(site_root) / href, source.read_bytes(), skip_unchanged=True)
            for href, source in {**STYLESHEETS, **SCRIPTS}.items()]


def _root(root_href: str) -> str:
    root = (root_href or ".").rstrip("/")
    return root or "."


def _join(root: str, href: str) -> str:
    """Site-root-relative href -> href relative to the current page."""
    if "://" in href or href.startswith(("/", "#", "mailto:")):
        return href
    href = href.removeprefix("./")
    return href if root == "." else f"{root}/{href}"


def _current_page(out_html: Path, root: str) -> str | None:
    try:
        site_root = (out_html.parent / root).resolve()
        return out_html.resolve().relative_to(site_root).as_posix()
    except ValueError:
        return None


def _nav_html(nav: list[tuple[str, str]], root: str, current: str | None) -> str:
    items = []
    for label, href in nav:
        is_current = current is not None and href.removeprefix("./") == current
        aria = ' aria-current="page"' if is_current else ""
        items.append(
            f'        <li><a href="{html.escape(_join(root, href))}"{aria}>'
            f"{html.escape(label)}</a></li>"
        )
    return "\n".join(items)


def render_page(
    markdown: str,
    out_html: Path,
    *,
    title: str,
    site_title: str,
    nav: list[tuple[str, str]],
    root_href: str,
    subtitle: str | None = None,
    extra_meta: dict | None = None,
    toc: bool = True,
    noindex: bool = False,
    pied: str | None = None,
) -> Path:
    """Render Quarto markdown to `out_html` with pandoc, atomically; returns `out_html`.

    `nav` holds (label, href relative to the site root); `root_href` is the relative
    path from this page to the site root (`"."` or `".."`...). `extra_meta` goes to
    pandoc metadata (values read as markdown: `author`, `date`, `abstract`, `footer`...).
    """
    out_html = Path(out_html)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    root = _root(root_href)
    current = _current_page(out_html, root)

    args = [
        "--standalone",
        f"--template={TEMPLATE}",
        f"--lua-filter={LUA_FILTER}",
        "--section-divs",
        "--mathml",
        "--wrap=none",
        "--metadata=lang=fr",
        f"--variable=site-title={html.escape(site_title)}",
        f"--variable=root-href={html.escape(root)}",
        *(f"--variable=css={html.escape(_join(root, href))}" for href in STYLESHEETS),
        *(f"--variable=osq-script={html.escape(_join(root, href))}" for href in SCRIPTS),
        f"--variable=toc-title={TOC_TITLE}",
    ]
    if nav:
        args.append(f"--variable=osq-nav={_nav_html(nav, root, current)}")
    if toc:
        args += ["--toc", "--toc-depth=3"]
    if noindex:  # a restricted (partenaires) site: search engines must not index it
        args.append("--variable=noindex=true")
    if pied:
        args.append(f"--variable=pied={html.escape(pied)}")

    fd, tmp_name = tempfile.mkstemp(
        dir=out_html.parent, prefix=f".{out_html.name}.", suffix=".tmp"
    )
    os.close(fd)
    tmp = Path(tmp_name)
    # Title and subtitle are read as markdown, as Quarto reads a page's front matter (typographic
    # apostrophes: « Note d’agglomération »).
    meta = {"title": title, **({"subtitle": subtitle} if subtitle else {}), **(extra_meta or {})}
    # Beside the page, not in the system's temporary folder: a build writes nothing outside its output folder.
    fd, meta_name = tempfile.mkstemp(dir=out_html.parent, prefix=f".{out_html.name}.", suffix=".tmp.json")
    meta_file = Path(meta_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(_jsonable(meta), handle, ensure_ascii=False)
        args.append(f"--metadata-file={meta_file}")
        pypandoc.convert_text(
            markdown,
            to="html5",
            format=MARKDOWN_FORMAT,
            extra_args=args,
            outputfile=str(tmp),
            verify_format=False,  # constant formats: else pypandoc runs pandoc twice more to list the ones it knows
        )
        os.chmod(tmp, 0o644)  # mkstemp creates 0600: the site must stay readable
        os.replace(tmp, out_html)
    finally:
        tmp.unlink(missing_ok=True)
        meta_file.unlink(missing_ok=True)
    return out_html


def _jsonable(value: Any) -> Any:
    """Metadata values pandoc can read (dates and paths as strings)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


"""Executed notebook -> Quarto-flavoured markdown, as Quarto shows it with `echo: false`.

Used by the pandoc fallback renderer when no `quarto` executable exists. The markdown
produced here is then rendered by `render_pandoc.render_page`, whose Lua filter gives
Quarto's treatment of callouts, figures, tables and cross-references.

Rules (mirroring Quarto's Jupyter engine):
- markdown cells are copied verbatim (attachments are saved into the media folder);
- code source is never shown; cell options come from leading `#| key: value` lines;
- `parameters` / `injected-parameters` (papermill) and `remove-cell` cells produce nothing;
- an `error` output (or a papermill error cell) raises `ValueError`: a failed note is
  never rendered;
- every image is written as a file in the note's media folder, including images a cell
  writes into markdown as `data:` URIs (typst and Quarto's resource handling need files).
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import nbformat

from osq_utils import atomic
from osq_utils.catalogues.lecture_yaml import lire_texte
from osq_utils.errors import OsqError

__all__ = ["executed_notebook_to_markdown", "parse_cell_options"]

# Output metadata key of a figure holding a PNG and its interactive HTML (present.images.CLE_INTERACTIF; not
# imported: the conversion does not load the presentation layer).
CLE_INTERACTIF = "osq-interactif"
SKIP_TAGS = {"parameters", "injected-parameters", "remove-cell"}
PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"
XREF_FLOATS = ("fig", "tbl")

# Richest first; `text/plain` only when nothing else is there.
DISPLAY_PRIORITY = (
    "text/markdown",
    "text/html",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "image/gif",
    "text/latex",
    "text/plain",
)
IMAGE_EXTENSIONS = {
    "image/svg+xml": "svg",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# A markdown image whose target is a data URI, with its optional `{#id ...}` attributes.
_DATA_IMAGE = re.compile(r"(?P<debut>!\[[^\]]*\]\()data:(?P<mime>image/[a-z+]+);base64,(?P<data>[A-Za-z0-9+/=\s]+)\)"
                         r"(?P<attrs>\{#(?P<id>[A-Za-z0-9_-]+)[^}]*\})?")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def lire_carnet(path: Path | None) -> nbformat.NotebookNode:
    """An executed notebook (nbformat 4); a failed job has none."""
    if path is None:
        raise ValueError("note sans carnet exécuté")
    return nbformat.read(path, as_version=4)


def _text(value: Any) -> str:
    """nbformat fields may be a string or a list of lines."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "".join(value)
    return str(value)


def _fenced(content: str, info: str) -> str:
    """A fenced block whose fence is longer than any backtick run inside."""
    longest = max((len(m) for m in re.findall(r"`+", content)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{content.rstrip(chr(10))}\n{fence}"


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


def _attr_value(value: Any) -> str:
    return '"' + _one_line(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _cell_name(index: int, options: dict) -> str:
    label = options.get("label")
    return f"cellule {index} ({label})" if label else f"cellule {index}"


def parse_cell_options(source: str, *, where: str = "cellule") -> tuple[dict, str]:
    """Split leading `#| key: value` lines (YAML) from the rest of a code cell."""
    lines = _text(source).splitlines()
    option_lines: list[str] = []
    i = 0
    while i < len(lines) and lines[i].startswith("#|"):
        line = lines[i]
        option_lines.append(line[3:] if line.startswith("#| ") else line[2:])
        i += 1
    if not option_lines:
        return {}, "\n".join(lines)
    try:
        options = lire_texte("\n".join(option_lines), where).donnees or {}
    except OsqError as exc:
        raise ValueError(f"{where} : options `#|` illisibles (YAML) : {exc}") from exc
    if not isinstance(options, dict):
        raise ValueError(
            f"{where} : les lignes `#|` doivent être de la forme `clé: valeur`."
        )
    return options, "\n".join(lines[i:])


def _check_no_error(nb: nbformat.NotebookNode) -> None:
    """A failed note must never be rendered."""
    papermill = nb.get("metadata", {}).get("papermill", {}) or {}
    if papermill.get("exception"):
        raise ValueError("Le carnet a échoué à l'exécution (papermill) : la note n'est pas publiée.")
    for index, cell in enumerate(nb.cells):
        tags = set(cell.get("metadata", {}).get("tags", []) or [])
        if PAPERMILL_ERROR_TAG in tags:
            raise ValueError(f"cellule {index} : erreur d'exécution signalée par papermill.")
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []) or []:
            if output.get("output_type") == "error":
                try:
                    options, _ = parse_cell_options(cell.get("source", ""))
                except ValueError:
                    options = {}
                ename = output.get("ename", "Erreur")
                evalue = _ANSI.sub("", _text(output.get("evalue", "")))
                raise ValueError(
                    f"{_cell_name(index, options)} : erreur à l'exécution "
                    f"({ename}: {evalue}) ; la note n'est pas publiée."
                )


class _Media:
    """Saves images of one note into its own folder and returns their hrefs."""

    def __init__(self, media_dir: Path, media_href: str) -> None:
        self.dir = Path(media_dir)
        self.href = media_href.rstrip("/")

    def save(self, name: str, data: bytes) -> str:
        self.dir.mkdir(parents=True, exist_ok=True)
        atomic.write_bytes(self.dir / name, data, skip_unchanged=True)
        href = f"{self.href}/{name}" if self.href else name
        return f"<{href}>" if " " in href else href

    def inline_images(self, markdown: str, stem: str) -> str:
        """Markdown images given as `data:` URIs, written as files and linked by their href."""
        count = 0

        def to_file(m: re.Match) -> str:
            nonlocal count
            mime = m.group("mime")
            if mime not in IMAGE_EXTENSIONS:
                return m.group(0)
            count += 1
            name = _UNSAFE_NAME.sub("-", m.group("id")) if m.group("id") else f"{stem}-image-{count}"
            href = self.save(f"{name}.{IMAGE_EXTENSIONS[mime]}",
                             _image_bytes(mime, "".join(m.group("data").split())))
            return f"{m.group('debut')}{href}){m.group('attrs') or ''}"

        return _DATA_IMAGE.sub(to_file, markdown) if "data:image/" in markdown else markdown


def _image_bytes(mime: str, payload: Any) -> bytes:
    text = _text(payload)
    if mime == "image/svg+xml":
        return text.encode("utf-8")
    return base64.b64decode(text)


def _pick_mime(data: dict) -> str | None:
    for mime in DISPLAY_PRIORITY:
        if mime in data:
            return mime
    return None


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _nth(values: list, i: int) -> Any:
    """i-th value, or the single value for all when only one is given."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return values[i] if i < len(values) else None


def _collect_outputs(cell: nbformat.NotebookNode, asis: bool, interactif: bool = False) -> list[tuple[str, Any]]:
    """Outputs as (kind, payload): kind in md, raw, html, text, latex, image, figure_html.

    A figure with both versions (PNG and interactive HTML, marked CLE_INTERACTIF: present.images.Rendu) is its
    HTML (`figure_html`) with `interactif`, its PNG otherwise (printables, which are only built from notebooks
    that drew their PNG)."""
    items: list[tuple[str, Any]] = []
    for output in cell.get("outputs", []) or []:
        otype = output.get("output_type")
        if otype == "stream":
            if asis and output.get("name") == "stdout":
                text = _text(output.get("text"))
                if items and items[-1][0] == "stream":
                    items[-1] = ("stream", items[-1][1] + text)
                else:
                    items.append(("stream", text))
            continue  # stderr, and stdout without `output: asis`, are dropped
        if otype not in ("display_data", "execute_result"):
            continue
        data = output.get("data", {}) or {}
        if (output.get("metadata", {}) or {}).get(CLE_INTERACTIF) and "text/html" in data:
            # Without its PNG (a build without printables: present.blocs.Contexte.imprimables), the HTML alone.
            if interactif or "image/png" not in data:
                items.append(("figure_html", _text(data["text/html"])))
            else:
                meta = (output.get("metadata", {}) or {}).get("image/png", {}) or {}
                items.append(("image", ("image/png", data["image/png"], meta)))
            continue
        mime = _pick_mime(data)
        if mime is None:
            continue  # widgets and other exotic types
        payload = data[mime]
        if mime in IMAGE_EXTENSIONS:
            meta = (output.get("metadata", {}) or {}).get(mime, {}) or {}
            items.append(("image", (mime, payload, meta)))
        elif mime == "text/markdown":
            items.append(("md", _text(payload)))
        elif mime == "text/html":
            items.append(("html", _text(payload)))
        elif mime == "text/latex":
            items.append(("md", _text(payload)))
        else:  # text/plain
            items.append(("raw" if asis else "text", _text(payload)))
    return [("raw", p) if k == "stream" else (k, p) for k, p in items]


def _image_markdown(
    href: str,
    *,
    caption: Any = None,
    ident: str | None = None,
    alt: Any = None,
    meta: dict | None = None,
    align: Any = None,
) -> str:
    attrs: list[str] = []
    if ident:
        attrs.append(f"#{ident}")
    if alt:
        attrs.append(f"fig-alt={_attr_value(alt)}")
    if align and align != "default":
        attrs.append(f"fig-align={_attr_value(align)}")
    meta = meta or {}
    for key in ("width", "height"):
        if isinstance(meta.get(key), (int, float)):
            attrs.append(f"{key}={int(meta[key])}")
    cap = _one_line(caption) if caption else ""
    attr_text = "{" + " ".join(attrs) + "}" if attrs else ""
    return f"![{cap}]({href}){attr_text}"


def _div(blocks: list[str], ident: str | None = None, classes: list[str] | None = None,
         attrs: dict | None = None) -> str:
    parts = []
    if ident:
        parts.append(f"#{ident}")
    parts += [f".{c}" for c in classes or []]
    parts += [f"{k}={_attr_value(v)}" for k, v in (attrs or {}).items()]
    inner = "\n\n".join(b for b in blocks if b)
    # Longer fence than any fenced div inside.
    depth = max((len(m) for m in re.findall(r"^(:{3,})", inner, flags=re.M)), default=2)
    fence = ":" * max(3, depth + 1)
    return f"{fence} {{{' '.join(parts)}}}\n{inner}\n{fence}"


def _layout_attrs(options: dict) -> dict:
    return {k: options[k] for k in ("layout-ncol", "layout-nrow", "layout") if k in options}


def _code_cell_markdown(cell: nbformat.NotebookNode, index: int, options: dict,
                        media: _Media, interactif: bool = False) -> str:
    output_opt = options.get("output", True)
    tags = set(cell.get("metadata", {}).get("tags", []) or [])
    if output_opt is False or "remove-output" in tags or options.get("include") is False:
        return ""
    asis = output_opt == "asis"
    items = _collect_outputs(cell, asis, interactif)
    if not items:
        return ""

    label = str(options["label"]) if options.get("label") else None
    kind = label.split("-", 1)[0] if label and "-" in label else None
    xref = kind if kind in XREF_FLOATS else None
    stem = _UNSAFE_NAME.sub("-", label) if label else f"cellule-{index:03d}"

    n_images = sum(1 for k, _ in items if k == "image")
    fig_caps = _as_list(options.get("fig-cap"))
    fig_subcaps = _as_list(options.get("fig-subcap"))
    fig_alts = _as_list(options.get("fig-alt"))
    align = options.get("fig-align")
    # Several images under one figure label become sub-figures (as Quarto does).
    subfigures = xref == "fig" and n_images > 1

    blocks: list[str] = []
    image_i = 0
    for item_kind, payload in items:
        if item_kind == "image":
            mime, data, meta = payload
            image_i += 1
            suffix = f"-{image_i}" if n_images > 1 else ""
            href = media.save(f"{stem}{suffix}.{IMAGE_EXTENSIONS[mime]}", _image_bytes(mime, data))
            alt = _nth(fig_alts, image_i - 1)
            if subfigures:
                subcap = fig_subcaps[image_i - 1] if image_i - 1 < len(fig_subcaps) else None
                ident = f"{label}-{image_i}" if subcap else None
                blocks.append(_image_markdown(href, caption=subcap, ident=ident, alt=alt,
                                              meta=meta, align=align))
            elif xref == "fig":
                caption = fig_caps[0] if fig_caps else None
                blocks.append(_image_markdown(href, caption=caption, ident=label, alt=alt,
                                              meta=meta, align=align))
            else:
                caption = _nth(fig_caps, image_i - 1) if xref != "tbl" else None
                blocks.append(_image_markdown(href, caption=caption, alt=alt, meta=meta,
                                              align=align))
        elif item_kind in ("md", "raw"):
            blocks.append(media.inline_images(payload.strip("\n"), stem))
        elif item_kind == "figure_html":  # an interactive figure: raw HTML, a div float with its caption
            blocks.append(_fenced(payload, "{=html}"))
        elif item_kind == "html":
            raw = _fenced(payload, "{=html}")
            blocks.append(raw if asis else _div([raw], classes=["cell-output-display"]))
        elif item_kind == "text":
            blocks.append(_fenced(payload, "{.cell-output}"))

    if asis and not xref:
        return "\n\n".join(b for b in blocks if b)

    layout = _layout_attrs(options)
    classes = [str(c) for c in _as_list(options.get("classes"))]
    column = options.get("column")
    if column:
        classes.append(f"column-{column}")

    # Several images, or a figure that is not an image (HTML chart), or a table.
    div_float = (xref == "fig" and n_images != 1) or xref == "tbl"
    if div_float or (options.get("tbl-cap") and not xref):
        # Quarto div float syntax: the last paragraph is the caption.
        cap = (fig_caps[0] if fig_caps else None) if xref == "fig" else options.get("tbl-cap")
        attrs = dict(layout)
        if cap:
            blocks.append(_one_line(cap))
        else:
            attrs["osq-nocap"] = "true"
        float_classes = [] if xref else ["osq-tbl"]
        body = _div(blocks, ident=label, classes=float_classes, attrs=attrs)
        layout = {}
    else:
        body = "\n\n".join(b for b in blocks if b)
    if layout:
        body = _div([body], attrs=layout)
    if classes or (label and not xref):
        body = _div([body], ident=None if xref else label, classes=["cell", *classes])
    return body


def _markdown_cell(cell: nbformat.NotebookNode, index: int, media: _Media) -> str:
    source = _text(cell.get("source"))
    for name, bundle in (cell.get("attachments") or {}).items():
        mime = next((m for m in IMAGE_EXTENSIONS if m in bundle), None)
        if mime is None:
            continue
        stem = _UNSAFE_NAME.sub("-", Path(name).stem)
        href = media.save(f"cellule-{index:03d}-{stem}.{IMAGE_EXTENSIONS[mime]}",
                          _image_bytes(mime, bundle[mime]))
        source = source.replace(f"attachment:{name}", href)
    return media.inline_images(source.strip("\n"), f"cellule-{index:03d}")


def _raw_cell(cell: nbformat.NotebookNode) -> str:
    meta = cell.get("metadata", {}) or {}
    fmt = (meta.get("format") or meta.get("raw_mimetype") or "").lower()
    source = _text(cell.get("source")).strip("\n")
    if fmt in ("", "text/markdown", "markdown", "md", "text/x-markdown"):
        return source
    if fmt in ("text/html", "html"):
        return _fenced(source, "{=html}")
    return ""  # LaTeX, reST... are not for HTML output


def executed_notebook_to_markdown(
    nb: nbformat.NotebookNode, media_dir: Path, media_href: str, *, interactif: bool = False
) -> str:
    """Quarto-flavoured markdown of an executed notebook, images saved in `media_dir`.

    With `interactif` (the HTML page), a figure that has an interactive version shows it (raw HTML in a
    `::: {#fig-x}` div float, its caption the last paragraph); without (printables), its PNG.
    Raises `ValueError` naming the cell when any output is an error.
    """
    _check_no_error(nb)
    media = _Media(Path(media_dir), media_href)
    chunks: list[str] = []
    for index, cell in enumerate(nb.cells):
        tags = set(cell.get("metadata", {}).get("tags", []) or [])
        if tags & SKIP_TAGS:
            continue
        ctype = cell.get("cell_type")
        if ctype == "markdown":
            chunk = _markdown_cell(cell, index, media)
        elif ctype == "raw":
            chunk = _raw_cell(cell)
        elif ctype == "code":
            options, _ = parse_cell_options(cell.get("source", ""), where=f"cellule {index}")
            chunk = _code_cell_markdown(cell, index, options, media, interactif)
        else:
            chunk = ""
        if chunk.strip():
            chunks.append(chunk)
    return "\n\n".join(chunks) + "\n"

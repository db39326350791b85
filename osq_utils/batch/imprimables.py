"""Printable versions of a note: PDF (pandoc -> typst -> PDF) and Word (.docx), without Quarto.

Both are rendered from the SAME Quarto-flavoured markdown as the HTML page
(`notebook_md.executed_notebook_to_markdown`). The Lua filter `templates/imprimable.lua`
turns what only HTML understands (great_tables raw HTML, key-figure cards, callouts,
verbatims, div floats) into print elements, then `templates/quarto.lua` numbers figures
and tables and resolves cross-references, as for the HTML page.

- PDF: template `templates/note.typ` (A4, title block, "Page X / Y", rows never split),
  compiled by the `typst` package.
- docx: reference document `templates/reference.docx` (A4, styles, header, page numbers;
  regenerate it with `templates/make_reference_docx.py`); rows are then marked "cannot
  split" and header rows "repeat on each page", and the header gets the observatory title.

Both writes are atomic: the output appears complete or not at all. Their working folder is a hidden
`.<name>.<random>.tmp/` beside the output (nothing is written outside the build's output folder; one left by a
killed build is removed by the next, `atomic.nettoyer`). Their errors name no server path.
"""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import tempfile
from pathlib import Path

import docx
import pypandoc
import typst
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from osq_utils import atomic
from osq_utils.batch.render_pandoc import LUA_FILTER, MARKDOWN_FORMAT, TEMPLATES_DIR
from osq_utils.errors import OsqError
from osq_utils.present import fr

__all__ = ["render_docx", "render_pdf", "date_fr"]

PRINT_FILTER = TEMPLATES_DIR / "imprimable.lua"
TYPST_TEMPLATE = TEMPLATES_DIR / "note.typ"
REFERENCE_DOCX = TEMPLATES_DIR / "reference.docx"
SITE_TITLE_PLACEHOLDER = "{{site-title}}"  # header text of reference.docx


def date_fr(date: dt.date | dt.datetime | str | None) -> str | None:
    """`2025-06-03` -> `3 juin 2025`; a string is kept as written."""
    if date is None or isinstance(date, str):
        return date or None
    return fr.date(date)


def _pandoc_args(media_dir: Path, *, title: str, subtitle: str | None, site_title: str,
                 date) -> list[str]:
    media_dir = Path(media_dir).resolve()
    # The markdown names images `<media_href>/<name>`: found from the page folder, or by name.
    resource_path = [str(media_dir.parent), str(media_dir), "."]
    args = [
        "--standalone",
        f"--lua-filter={PRINT_FILTER}",
        f"--lua-filter={LUA_FILTER}",
        "--wrap=none",
        "--metadata=lang=fr",
        f"--metadata=title={title}",
        f"--metadata=site-title={site_title}",
        f"--resource-path={':'.join(resource_path)}",
    ]
    if subtitle:
        args.append(f"--metadata=subtitle={subtitle}")
    when = date_fr(date)
    if when:
        args.append(f"--metadata=date={when}")
    return args


def _sans_chemins(text: str, work: Path) -> str:
    """An error message without the server's paths (working folder, OSQ's templates)."""
    for path in (str(work.resolve()), str(work), str(TEMPLATES_DIR)):
        text = text.replace(path + "/", "").replace(path, "")
    return text.strip()


def _travail(out_path: Path) -> tempfile.TemporaryDirectory:
    """The working folder of one rendering, hidden beside its output."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(dir=out_path.parent, prefix=f".{out_path.name}.", suffix=".tmp")


def _pandoc(markdown: str, to: str, args: list[str], outputfile: Path, cwd: Path) -> None:
    """pandoc run in `cwd` as a child process. pypandoc's `cworkdir` changes the whole build process's
    folder while other threads run papermill (which writes notebooks relative to it): never use it."""
    proc = subprocess.run([pypandoc.get_pandoc_path(), f"--from={MARKDOWN_FORMAT}", f"--to={to}", *args,
                           f"--output={outputfile}"], input=markdown.encode("utf-8"), cwd=str(cwd),
                          capture_output=True, check=False)
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise OsqError(
            f"pandoc n'a pas pu produire la version {to} de la note : "
            f"{_sans_chemins(detail[-1], cwd) if detail else proc.returncode}",
            correction="vérifier le carnet exécuté (sorties, images) et relancer « osq build ».",
        )


def render_pdf(markdown: str, media_dir: Path, out_path: Path, *, title: str,
               subtitle: str | None = None, site_title: str, date=None) -> Path:
    """Render the note's markdown to an A4 PDF at `out_path` (atomic); returns `out_path`."""
    out_path = Path(out_path)
    with _travail(out_path) as work_name:
        work = Path(work_name)
        args = _pandoc_args(media_dir, title=title, subtitle=subtitle, site_title=site_title,
                            date=date)
        # Images (files and data: URIs) are copied next to the .typ file, inside typst's root.
        args += [f"--template={TYPST_TEMPLATE}", "--extract-media=media"]
        source = work / "note.typ"
        _pandoc(markdown, "typst", args, source, work)
        try:
            pdf = typst.compile(str(source), root=str(work))
        except RuntimeError as exc:
            first = (_sans_chemins(str(exc), work).splitlines() or ["?"])[0]
            raise OsqError(
                f"typst n'a pas pu composer le PDF de la note « {title} » : {first}",
                correction="lisez le journal de la note ; si le carnet exécuté est correct, signalez l'erreur : "
                "le gabarit (templates/note.typ) ou le filtre d'impression doit être corrigé.",
            ) from exc
        atomic.write_bytes(out_path, pdf)
    return out_path


def render_docx(markdown: str, media_dir: Path, out_path: Path, *, title: str,
                subtitle: str | None = None, site_title: str, date=None) -> Path:
    """Render the note's markdown to a Word document at `out_path` (atomic); returns it."""
    out_path = Path(out_path)
    with _travail(out_path) as work_name:
        work = Path(work_name)
        args = _pandoc_args(media_dir, title=title, subtitle=subtitle, site_title=site_title,
                            date=date)
        args.append(f"--reference-doc={REFERENCE_DOCX}")
        raw = work / "note.docx"
        _pandoc(markdown, "docx", args, raw, work)
        atomic.write_bytes(out_path, _finish_docx(raw, site_title))
    return out_path


def _finish_docx(path: Path, site_title: str) -> bytes:
    """Rows never split across pages; the header names the observatory.

    pandoc already marks header rows "repeat on each page" (`w:tblHeader`).
    """
    document = docx.Document(str(path))
    for table in document.tables:
        for row in table.rows:
            tr_pr = row._tr.get_or_add_trPr()
            if tr_pr.find(qn("w:cantSplit")) is None:
                tr_pr.append(OxmlElement("w:cantSplit"))
    for section in document.sections:
        for paragraph in section.header.paragraphs:
            if SITE_TITLE_PLACEHOLDER in paragraph.text:
                runs = paragraph.runs
                runs[0].text = paragraph.text.replace(SITE_TITLE_PLACEHOLDER, site_title)
                for run in runs[1:]:
                    run.text = ""
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()

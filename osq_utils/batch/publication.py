"""What both renderers publish for one note: the same markdown, its images as files, its printable versions.

The pandoc renderer (batch.site) turns this markdown into a page with its template and Lua filter; the
Quarto renderer (batch.quarto) writes it into its project as a `.qmd` file. Neither sees a code cell:
the markdown holds the outputs only (batch.notebook_md), so no code, no parameter and no server path
can reach a page or a printable version, whatever the renderer's options.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from osq_utils.batch.execute import JobResult
from osq_utils.batch.plan import Plan
from osq_utils.notes import TYPES
from osq_utils.territoires import LIBELLES_NIVEAUX


def note_subtitle(job) -> str:
    return f"{TYPES[job.modele].libelle} · {LIBELLES_NIVEAUX.get(job.niveau, job.niveau)} {job.code}"


def media_name(slug: str) -> str:
    """The folder of a note's images, beside its page (`notes/<slug>_files/`)."""
    return f"{slug}_files"


class _MetaImprimable(TypedDict):
    """Keyword arguments shared by imprimables.render_pdf and render_docx."""
    title: str
    subtitle: str
    site_title: str
    date: datetime.date


@dataclass(frozen=True)
class NoteMarkdown:
    """A note ready for a renderer: its markdown, title and subtitle; its images are in its media folder."""

    markdown: str
    titre: str
    sous_titre: str


def note_markdown(plan: Plan, r: JobResult, notes_dir: Path, *, imprimables: bool = False,
                  imprimables_dir: Path | None = None) -> NoteMarkdown:
    """The markdown of an executed note, its images written in `notes_dir/<slug>_files/`.

    With imprimables, its PDF and Word versions are written in `imprimables_dir` (default `notes_dir`)
    from the same markdown, and the markdown starts with links to them (or says why they are missing).
    """
    # Notebook reading (nbformat, jsonschema) and printables (typst, python-docx) load when a note is
    # rendered: a build that finds every page up to date never pays their ~2 s of imports.
    from osq_utils.batch import imprimables as imp  # noqa: PLC0415
    from osq_utils.batch import notebook_md  # noqa: PLC0415

    slug = r.job.slug
    md = notebook_md.executed_notebook_to_markdown(notebook_md.lire_carnet(r.notebook), notes_dir / media_name(slug),
                                                   media_name(slug))
    subtitle = note_subtitle(r.job)
    if imprimables:
        out = imprimables_dir or notes_dir
        meta = _MetaImprimable(title=r.job.titre, subtitle=subtitle, site_title=plan.titre, date=datetime.date.today())
        try:
            imp.render_pdf(md, notes_dir / media_name(slug), out / f"{slug}.pdf", **meta)
            imp.render_docx(md, notes_dir / media_name(slug), out / f"{slug}.docx", **meta)
            md = f"[Version imprimable : [PDF]({slug}.pdf) · [Word]({slug}.docx)]{{.telechargements}}\n\n" + md
        except Exception as exc:  # the HTML page is still published; the reader is told why there is no PDF
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            md = ('::: {.callout-warning title="Version imprimable indisponible"}\n'
                  f"La version PDF ou Word de cette note n'a pas pu être produite : {first}\n:::\n\n" + md)
    return NoteMarkdown(md, r.job.titre, subtitle)

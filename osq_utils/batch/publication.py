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
from osq_utils.errors import OsqError
from osq_utils.notes import TYPES
from osq_utils.territoires import LIBELLES_NIVEAUX


def note_subtitle(job) -> str:
    return f"{TYPES[job.modele].libelle} · {LIBELLES_NIVEAUX.get(job.niveau, job.niveau)} {job.code}"


def media_name(slug: str) -> str:
    """The folder of a note's images, beside its page (`notes/<slug>_files/`)."""
    return f"{slug}_files"


# The kinds of note a map area links to, by level of the territory (sibling pages in notes/).
NOTE_DU_NIVEAU = {"commune": "note_communale", "qpv": "note_quartier"}


def notes_publiees(plan: Plan) -> dict[str, str]:
    """"niveau:code" → href of the note of that territory the plan publishes (`<slug>.html`, beside the page):
    what the interactive maps' link placeholders resolve to (present.interactif.resoudre_liens)."""
    return {f"{job.niveau}:{job.code}": f"{job.slug}.html" for job in plan.jobs
            if NOTE_DU_NIVEAU.get(job.niveau) == job.modele}


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
    from the same markdown, and the markdown starts with links to them. When one of them cannot be produced,
    OsqError: the note fails (its page would link to a missing file, and so would the index).
    """
    # Notebook reading (nbformat, jsonschema) and printables (typst, python-docx) load when a note is
    # rendered: a build that finds every page up to date never pays their ~2 s of imports.
    from osq_utils.batch import imprimables as imp  # noqa: PLC0415
    from osq_utils.batch import notebook_md  # noqa: PLC0415
    from osq_utils.present.interactif import resoudre_liens  # noqa: PLC0415 (geopandas: loaded when a page renders)

    slug = r.job.slug
    carnet = notebook_md.lire_carnet(r.notebook)
    # The page shows the interactive figures, linked to the notes the plan publishes; the printables their PNG.
    md = resoudre_liens(notebook_md.executed_notebook_to_markdown(carnet, notes_dir / media_name(slug), media_name(slug),
                                                                  interactif=True), notes_publiees(plan))
    subtitle = note_subtitle(r.job)
    if imprimables:
        md_imprimable = notebook_md.executed_notebook_to_markdown(carnet, notes_dir / media_name(slug),
                                                                  media_name(slug))
        out = imprimables_dir or notes_dir
        meta = _MetaImprimable(title=r.job.titre, subtitle=subtitle, site_title=plan.titre, date=datetime.date.today())
        for render, ext, nom in ((imp.render_pdf, "pdf", "PDF"), (imp.render_docx, "docx", "Word")):
            try:
                render(md_imprimable, notes_dir / media_name(slug), out / f"{slug}.{ext}", **meta)
            except Exception as exc:
                (out / f"{slug}.pdf").unlink(missing_ok=True)
                if isinstance(exc, OsqError):
                    raise
                raise OsqError(f"la version {nom} de la note n'a pas pu être produite ({type(exc).__name__} : "
                               f"{(str(exc).strip().splitlines() or [''])[0]})",
                               correction="lisez le journal de la note ; sans « --imprimables », la page est "
                                          "publiée sans ses versions PDF et Word.") from exc
        md = f"[Version imprimable : [PDF]({slug}.pdf) · [Word]({slug}.docx)]{{.telechargements}}\n\n" + md
    return NoteMarkdown(md, r.job.titre, subtitle)

"""Publish the executed notes with pandoc (when no `quarto` executable exists): one page per note, as
its note finishes, then the fixed pages (batch.pages). Quarto's path is batch.quarto."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from osq_utils.batch import pages
from osq_utils.batch.execute import JobResult
from osq_utils.batch.plan import Plan
from osq_utils.batch.publication import media_name, note_markdown
from osq_utils.batch.render_pandoc import install_assets, render_page


def note_page(site_root: Path, job) -> Path:
    return site_root / "notes" / f"{job.slug}.html"


def render_note(plan: Plan, r: JobResult, site: Path, noindex: bool = False, imprimables: bool = False) -> Path:
    """One note's page and its own media folder (parallel renders never collide).

    With imprimables, the note's PDF and Word versions are written beside its page, from the
    same markdown, and the page links to them.
    """
    note = note_markdown(plan, r, site / "notes", imprimables=imprimables)
    page = render_page(note.markdown, note_page(site, r.job), title=note.titre, subtitle=note.sous_titre,
                       site_title=plan.titre, nav=pages.NAV, root_href="..", noindex=noindex,
                       pied=pages.pied_de_page(plan.titre))
    # Images of an earlier version of the note that this one no longer shows.
    media = site / "notes" / media_name(r.job.slug)
    shown = set(re.findall(re.escape(media_name(r.job.slug)) + r"/([^)>\s\"']+)", note.markdown))
    for image in media.iterdir() if media.is_dir() else ():
        if image.name not in shown:
            _remove(image)
    if not imprimables:  # the printable versions of an earlier build are no longer linked
        for ext in ("pdf", "docx"):
            (site / "notes" / f"{r.job.slug}.{ext}").unlink(missing_ok=True)
    return page


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _note_files(slug: str, imprimables: bool) -> set[str]:
    """What a published note owns in `notes/`: its page, its images' folder, its printable versions."""
    return {f"{slug}.html", media_name(slug), *((f"{slug}.pdf", f"{slug}.docx") if imprimables else ())}


def unpublish_failed(results: list[JobResult], site: Path) -> None:
    """A failed note is never published: remove any older page of it, its images and printable versions."""
    for r in results:
        if r.statut == "échec":
            for name in _note_files(r.job.slug, True):
                _remove(site / "notes" / name)


def retirer_obsoletes(results: list[JobResult], site: Path, imprimables: bool) -> list[Path]:
    """Remove from `notes/` what this build does not publish: notes no longer planned or failed, printable
    versions of a build with `--imprimables` after one without, anything else left there."""
    keep = set().union(*(_note_files(r.job.slug, imprimables) for r in results if r.statut != "échec"))
    gone = [path for path in (site / "notes").iterdir() if path.name not in keep] if (site / "notes").is_dir() else []
    for path in gone:
        _remove(path)
    return gone


def render_fixed_pages(donnees: pages.Donnees, site: Path, page_state: dict | None = None,
                       code_fp: str = "") -> list[Path]:
    """The fixed pages (batch.pages.PAGES and the guides), re-rendered only when their content or the
    code (template, filters, stylesheets: `code_fp`) changed."""
    page_state = {} if page_state is None else page_state
    install_assets(site)
    titre = donnees.plan.titre
    todo = {}
    contenus = pages.contenus(donnees)
    for name in set(page_state) - set(contenus):  # a page the site no longer has (a guide removed…)
        (site / name).unlink(missing_ok=True)
        page_state.pop(name)
    for name, (md, title, toc) in contenus.items():
        digest = hashlib.sha256(f"{code_fp}\0{titre}\0{donnees.noindex}\0{md}".encode()).hexdigest()
        if page_state.get(name) != digest or not (site / name).exists():
            todo[name] = (md, title, toc, digest)

    def render(name: str) -> Path:
        md, title, toc, _ = todo[name]
        return render_page(md, site / name, title=title, site_title=titre, nav=pages.NAV, root_href=".", toc=toc,
                           noindex=donnees.noindex, pied=pages.pied_de_page(titre))

    # One pandoc process per page, side by side: the notes are done, every core is free.
    with ThreadPoolExecutor(max_workers=max(1, min(len(todo), os.cpu_count() or 2))) as pool:
        written = list(pool.map(render, todo))
    for name, (*_, digest) in todo.items():
        page_state[name] = digest
    return written


def render_pandoc_site(plan: Plan, results: list[JobResult], site: Path, chargements=None, n_jobs: int = 2) -> list[Path]:
    """Every page of the site at once (the batch build renders notes as they finish instead)."""
    install_assets(site)
    unpublish_failed(results, site)
    ok = [r for r in results if r.statut != "échec"]
    with ThreadPoolExecutor(max_workers=max(1, n_jobs)) as pool:
        notes = list(pool.map(lambda r: render_note(plan, r, site), ok))
    return notes + render_fixed_pages(pages.Donnees(plan, results, chargements), site)

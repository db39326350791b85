"""Publish the executed notes with pandoc (when no `quarto` executable exists): one page per note, as
its note finishes, then the fixed pages (batch.pages). Quarto's path is batch.quarto."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from osq_utils.batch import pages
from osq_utils.batch.execute import JobResult
from osq_utils.batch.plan import Plan
from osq_utils.batch.publication import note_markdown
from osq_utils.batch.render_pandoc import install_assets, render_page


def note_page(site_root: Path, job) -> Path:
    return site_root / "notes" / f"{job.slug}.html"


def render_note(plan: Plan, r: JobResult, site: Path, noindex: bool = False, imprimables: bool = False) -> Path:
    """One note's page and its own media folder (parallel renders never collide).

    With imprimables, the note's PDF and Word versions are written beside its page, from the
    same markdown, and the page links to them.
    """
    note = note_markdown(plan, r, site / "notes", imprimables=imprimables)
    return render_page(note.markdown, note_page(site, r.job), title=note.titre, subtitle=note.sous_titre,
                       site_title=plan.titre, nav=pages.NAV, root_href="..", noindex=noindex,
                       pied=pages.pied_de_page(plan.titre))


def unpublish_failed(results: list[JobResult], site: Path) -> None:
    """A failed note is never published: remove any older page of it."""
    for r in results:
        if r.statut == "échec":
            note_page(site, r.job).unlink(missing_ok=True)


def render_fixed_pages(donnees: pages.Donnees, site: Path, page_state: dict | None = None,
                       code_fp: str = "") -> list[Path]:
    """The fixed pages (batch.pages.PAGES and the guides), re-rendered only when their content or the
    code (template, filters, stylesheets: `code_fp`) changed."""
    page_state = {} if page_state is None else page_state
    install_assets(site)
    titre = donnees.plan.titre
    todo = {}
    for name, (md, title, toc) in pages.contenus(donnees).items():
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

"""Publish the executed notes with Quarto: a website project that renders them without executing them,
with the same fixed pages as the pandoc renderer (batch.pages) and one project profile per
diffusion profile."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml

from osq_utils import atomic
from osq_utils.batch import pages
from osq_utils.batch.execute import JobResult
from osq_utils.batch.plan import Plan
from osq_utils.batch.render_pandoc import TEMPLATES_DIR
from osq_utils.batch.site import note_subtitle
from osq_utils.catalogues.lecture_yaml import lire_yaml
from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.errors import OsqError
from osq_utils.notes import TYPES

QUARTO_BASE = PROJECT_ROOT / "_quarto.yml"


def quarto_executable() -> str | None:
    """The quarto executable on PATH ($OSQ_QUARTO overrides; 'non' disables it)."""
    env = os.environ.get("OSQ_QUARTO")
    if env:
        return None if env.lower() in ("non", "no", "0", "false") else env
    return shutil.which("quarto")


def front_matter(r: JobResult, plan: Plan) -> str:
    """The YAML front matter of a note's page (a raw cell at the top of its notebook)."""
    meta = {
        "title": r.job.titre,
        "subtitle": note_subtitle(r.job),
        "categories": [TYPES[r.job.modele].libelle, *([r.job.theme_libelle] if r.job.theme_libelle else [])],
        "description": f"{TYPES[r.job.modele].libelle} : {r.job.titre} ({r.job.code})",
    }
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---"


def quarto_project(plan: Plan, results: list[JobResult], staging: Path, site: Path, chargements=None,
                   profil: str = "public", imprimables: bool = False, millesimes=None) -> Path:
    """Write a Quarto website project that renders the executed notebooks without executing them.

    A restricted profile is a Quarto project profile (`_quarto-partenaires.yml`, merged over
    `_quarto.yml` by `quarto render --profile partenaires`): it adds the noindex meta tag.
    """
    # Loaded when a Quarto project is written, not by every build (see site.render_note).
    import nbformat  # noqa: PLC0415

    if staging.exists():
        shutil.rmtree(staging)
    (staging / "notes").mkdir(parents=True)
    base = (lire_yaml(QUARTO_BASE, quoi="configuration Quarto").donnees or {}) if QUARTO_BASE.exists() else {}
    config = dict(base)
    fixed = {name: v for name, v in pages.contenus(pages.Donnees(plan, results, chargements, millesimes,
                                                                 noindex=profil != "public")).items()
             if name != pages.INDEX.fichier}
    config["project"] = {**base.get("project", {}), "type": "website", "output-dir": os.path.relpath(site, staging),
                         "render": ["index.qmd", *(name.replace(".html", ".qmd") for name in fixed), "notes/*.ipynb"]}
    config["website"] = {**base.get("website", {}), "title": plan.titre}
    if imprimables:  # Quarto links each page's other formats ("Autres formats") by itself
        config["format"] = {**(base.get("format") or {"html": "default"}),
                            "typst": {"papersize": "a4", "margin": {"x": "2cm", "y": "2cm"}, "section-numbering": None},
                            "docx": {"reference-doc": str(TEMPLATES_DIR / "reference.docx")}}
    atomic.write_text(staging / "_quarto.yml", yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    if profil != "public":
        overlay = {"format": {"html": {"include-in-header": {
            "text": '<meta name="robots" content="noindex, nofollow">'}}}}
        atomic.write_text(staging / f"_quarto-{profil}.yml", yaml.safe_dump(overlay, allow_unicode=True, sort_keys=False))
    shutil.copy(TEMPLATES_DIR / "osq.css", staging / "osq.css")
    for r in results:
        if r.statut == "échec":
            continue
        nb = nbformat.read(r.notebook, as_version=4)
        nb.cells.insert(0, nbformat.v4.new_raw_cell(front_matter(r, plan)))
        nbformat.write(nb, staging / "notes" / f"{r.job.slug}.ipynb")
    listing = {
        "title": plan.titre,
        "listing": {"id": "notes", "contents": "notes/*.ipynb", "type": "table", "fields": ["title", "subtitle", "categories"],
                    "filter-ui": True, "sort-ui": True, "categories": True, "page-size": 100},
    }
    atomic.write_text(staging / "index.qmd", "---\n" + yaml.safe_dump(listing, allow_unicode=True, sort_keys=False) + "---\n\n"
                      + (pages.PARTENAIRES_BANNER if profil != "public" else "") + (plan.description or "") + "\n")
    for name, (md, title, _toc) in fixed.items():
        front = yaml.safe_dump({"title": title}, allow_unicode=True, sort_keys=False)
        atomic.write_text(staging / name.replace(".html", ".qmd"), f"---\n{front}---\n\n{md}")
    return staging


def render_quarto_site(quarto: str, staging: Path, log: Path, profil: str = "public") -> None:
    args = [quarto, "render", str(staging), "--no-execute"] + (["--profile", profil] if profil != "public" else [])
    with open(log, "w", encoding="utf-8") as fh:
        proc = subprocess.run(args, stdout=fh, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise OsqError(f"Quarto a échoué (code {proc.returncode})", fichier=log,
                       correction="lisez le journal de Quarto ; « OSQ_QUARTO=non osq build … » publie avec pandoc.")

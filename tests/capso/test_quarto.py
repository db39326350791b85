"""`osq build` with Quarto, tried as a user would: the same site as with pandoc, printable versions included.

The five-note builds (tests/capso/conftest.py: one note of each kind, both profiles, `--imprimables`) are
made once with pandoc and once with the Quarto of the tests (the one on the PATH, else `.outils/quarto`,
installed by `make test` from ../shared/tools/quarto). Each defect found when Quarto was first run has its
test here; the structural parity of the pages is in test_parite.py, the browser checks in
test_rendus_navigateur.py; the secrecy audit runs on the Quarto site in test_audit.py.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import docx
import pytest
import yaml
from outils import osq_build
from pypdf import PdfReader
from sites_essai import DOSSIERS_PROFILS, NOTES_CINQ

from osq_utils.catalogues.racine import PROJECT_ROOT

pytestmark = pytest.mark.slow

NOTES = [f"notes/{slug}.html" for slug in NOTES_CINQ.values()]
FIXED = ["index.html", "glossaire.html", "sources.html", "etat-des-donnees.html", "guides.html"]


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def _docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.mark.parametrize("profil", DOSSIERS_PROFILS)
def test_build_with_printables_publishes_every_page(cinq_notes_quarto, profil):
    """`make site` runs `osq build --imprimables`: with Quarto it failed on its own configuration
    (`section-numbering: null`) after executing every note. Every page and both printable versions are here."""
    site = cinq_notes_quarto / DOSSIERS_PROFILS[profil]
    for page in [*FIXED, *NOTES]:
        assert (site / page).is_file(), page
    for slug in NOTES_CINQ.values():
        assert (site / "notes" / f"{slug}.pdf").read_bytes()[:5] == b"%PDF-"
        assert (site / "notes" / f"{slug}.docx").stat().st_size > 10_000
        page = (site / "notes" / f"{slug}.html").read_text(encoding="utf-8")
        assert f'href="{slug}.pdf"' in page and f'href="{slug}.docx"' in page
    config = yaml.safe_load((cinq_notes_quarto / f"_quarto{'' if profil == 'public' else '-' + profil}" / "_quarto.yml")
                            .read_text(encoding="utf-8"))

    def nulls(node, path=""):
        if isinstance(node, dict):
            return [p for k, v in node.items() for p in nulls(v, f"{path}/{k}")]
        if isinstance(node, list):
            return [p for i, v in enumerate(node) for p in nulls(v, f"{path}/{i}")]
        return [path] if node is None else []

    assert nulls(config) == []  # Quarto refuses a null value


@pytest.mark.parametrize("profil", DOSSIERS_PROFILS)
def test_images_are_files(cinq_notes, profil):
    """The evaluation note drew its figures as data URIs, which typst could not find (with Quarto, the
    whole render stopped at that note). Every image of every page is now a file beside its page."""
    site = cinq_notes / DOSSIERS_PROFILS[profil]
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "data:image" not in html, page.relative_to(site)
        for src in re.findall(r'<img[^>]+src="([^"]+)"', html):
            assert (page.parent / src).is_file(), f"{page.relative_to(site)} : image absente {src}"
    figures = sorted(p.name for p in (site / "notes" / "evaluation-200069037_files").glob("*.png"))
    # The summary chart, and the gap charts of each evaluation question (one per indicator).
    assert len(figures) == 7 and "fig-bilan.png" in figures
    assert {f.split("-")[2].removesuffix(".png") for f in figures if f.startswith("fig-question-")} == {"1", "2"}


@pytest.mark.parametrize("profil", DOSSIERS_PROFILS)
def test_printables_show_no_code_nor_server_path(cinq_notes_quarto, cinq_notes_pandoc, store_file, profil):
    """Quarto's PDF and Word versions showed every code cell, papermill's injected cell with the store's
    absolute path and the masks file among them, and the key figures as plain text (Arques: 9 pages against
    4). Both renderers now print the notes' outputs only, with the same pipeline: the same pages."""
    site, reference = cinq_notes_quarto / DOSSIERS_PROFILS[profil], cinq_notes_pandoc / DOSSIERS_PROFILS[profil]
    forbidden = [str(store_file), "osq.duckdb", "masques-", "injected-parameters", "import ", "display(",
                 "blocs.", "ctx = ", "store = "]
    for slug in NOTES_CINQ.values():
        for ext, read in (("pdf", _pdf_text), ("docx", _docx_text)):
            text = read(site / "notes" / f"{slug}.{ext}")
            assert len(text) > 1000, f"{slug}.{ext} presque vide"
            shown = [f for f in forbidden if f in text]
            assert shown == [], f"{slug}.{ext} montre du code ou un chemin du serveur : {shown}"
        pages = len(PdfReader(site / "notes" / f"{slug}.pdf").pages)
        assert pages == len(PdfReader(reference / "notes" / f"{slug}.pdf").pages), slug
    # The key figures stay cards: in Word, a table whose cells hold a value, its label and source.
    arques = docx.Document(str(site / "notes" / "communale-62040.docx"))
    cards = [c.text for row in arques.tables[0].rows for c in row.cells]
    assert any("Population municipale" in c and "Source" in c for c in cards), cards[:3]
    # Code cells added 2 pages or more; its outputs alone (key figures, the table of about a hundred indicators,
    # a chart, a map) filled 6 or 7 depending on the installed plotting and table packages (7 on 2026-12-02 with
    # the code of 114e5c9), and the automatic commentary (« L'essentiel », « Ce que disent ces chiffres ») adds 3:
    # 10 on 2026-12-02, as with pandoc.
    assert len(PdfReader(site / "notes" / "communale-62040.pdf").pages) <= 10


def test_quarto_output_stays_inside_its_project(cinq_notes_quarto):
    """`output-dir: ../site` lay outside the Quarto project: every render printed about 130 « Refusing to
    remove directory » warnings. Quarto now writes into its project; OSQ copies the pages into the site."""
    for profil, folder in DOSSIERS_PROFILS.items():
        project = cinq_notes_quarto / f"_quarto{'' if profil == 'public' else '-' + profil}"
        config = yaml.safe_load((project / "_quarto.yml").read_text(encoding="utf-8"))
        out = (project / config["project"]["output-dir"]).resolve()
        assert out.is_relative_to(project.resolve()) and out != project.resolve()
        log = (cinq_notes_quarto / f"journaux{'' if profil == 'public' else '-' + profil}" / "quarto.log").read_text(
            encoding="utf-8")
        assert "quarto render" in log
        assert "Refusing to remove" not in log and "WARN" not in log and "ERROR" not in log, log[-3000:]
        site = cinq_notes_quarto / folder
        assert not list(site.rglob("*.qmd")) and not list(site.rglob("*.ipynb")) and not (site / "_quarto.yml").exists()


@pytest.mark.parametrize("profil", DOSSIERS_PROFILS)
def test_navigation_index_and_title_block(cinq_notes_quarto, profil):
    """The Quarto navigation had 3 entries where the pandoc site has 5; its index neither counted the notes
    nor linked the exports; every note repeated its listing description under its title."""
    site = cinq_notes_quarto / DOSSIERS_PROFILS[profil]
    index = (site / "index.html").read_text(encoding="utf-8")
    for href in ("glossaire.html", "sources.html", "etat-des-donnees.html", "guides.html"):
        assert f'href="./{href}"' in index or f'href="{href}"' in index, href
    assert f"{len(NOTES_CINQ)} notes publiées" in index
    assert 'href="donnees/chiffres.csv"' in index and 'href="donnees/chiffres.xlsx"' in index
    assert (site / "donnees" / "chiffres.csv").is_file()
    arques = (site / "notes" / "communale-62040.html").read_text(encoding="utf-8")
    assert "Note communale : Arques (62040)" not in arques  # the old listing description
    assert 'class="quarto-category"' not in arques


def test_search_index_covers_every_page(cinq_notes_quarto):
    """Quarto's search works offline on every page, notes included, and only on published pages."""
    for folder in DOSSIERS_PROFILS.values():
        site = cinq_notes_quarto / folder
        docs = json.loads((site / "search.json").read_text(encoding="utf-8"))
        pages = {d["href"].split("#")[0] for d in docs}
        published = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
        assert pages == published


def test_quarto_rebuilds_only_what_changed(store_file, tmp_path, quarto_exe):
    """Quarto rendered the whole site at every build (1,1 to 1,4 s per page and profile). Now: nothing
    when nothing changed; one page when one note changed (the analyst's « enjeux » of one ABS); a removed
    note leaves the site, its images, printable versions and search entries with it."""
    enjeux = tmp_path / "enjeux"
    enjeux.mkdir()
    for name in ("62040-sante.md", "62765-sante.md"):
        shutil.copy(PROJECT_ROOT / "params" / "capso" / "enjeux" / name, enjeux / name)
    params = tmp_path / "p.yml"

    def write_params(communes: str) -> None:
        params.write_text("observatoire:\n  id: inc\n  titre: Essai\nnotes:\n  - modele: abs_ccas\n"
                          f"    territoires:\n      communes: [{communes}]\n    themes: [sante]\n"
                          f"    enjeux: {enjeux}\n", encoding="utf-8")

    def build() -> None:
        proc = osq_build(store_file, params, tmp_path / "rapports", "--imprimables", quarto=quarto_exe)
        assert proc.returncode == 0, proc.stdout + proc.stderr

    root = tmp_path / "rapports" / "inc"
    site, log = root / "site", root / "journaux" / "quarto.log"

    def renders() -> list[int]:
        return [int(n) for n in re.findall(r"== quarto render : (\d+) page", log.read_text(encoding="utf-8"))]

    def mtimes() -> dict[str, int]:
        return {p.relative_to(site).as_posix(): p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}

    write_params('"62040", "62765"')
    build()
    assert sum(renders()) >= 2 + 9  # two notes, the index, four fixed pages, four guides
    first, before = len(renders()), mtimes()

    build()  # nothing changed
    assert len(renders()) == first and mtimes() == before
    # The home page's map and key figures are kept with the build's state: not read again from the store.
    accueil = json.loads((root / "etat.json").read_text(encoding="utf-8"))["accueil"]
    assert 'id="carte-accueil"' in accueil["markdown"] and accueil["signature"]

    with open(enjeux / "62765-sante.md", "a", encoding="utf-8") as fh:
        fh.write("\n- Une ligne ajoutée par le test de reconstruction.\n")
    build()
    assert renders()[first:] == [1]  # one Quarto render, of one page
    after = mtimes()
    assert after["notes/abs-62040-sante.html"] == before["notes/abs-62040-sante.html"]
    assert after["index.html"] == before["index.html"]
    assert after["notes/abs-62765-sante.html"] != before["notes/abs-62765-sante.html"]
    assert "Une ligne ajoutée par le test de reconstruction" in (site / "notes" / "abs-62765-sante.html").read_text(
        encoding="utf-8")

    write_params('"62040"')  # Saint-Omer's note leaves the site
    build()
    assert not [p for p in mtimes() if "62765" in p]
    assert not (site / "notes" / "abs-62765-sante_files").exists()
    docs = json.loads((site / "search.json").read_text(encoding="utf-8"))
    assert not [d for d in docs if "62765" in d["href"]]
    assert "abs-62765" not in (site / "index.html").read_text(encoding="utf-8")
    assert not list((root / "_quarto").rglob("abs-62765*"))

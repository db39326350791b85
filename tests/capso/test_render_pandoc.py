
"""Pandoc fallback renderer: real kernel, real pandoc, no mocks."""

from __future__ import annotations

import re

import nbformat
import pytest
from exemples import NAV, _code
from nbclient import NotebookClient
from nbformat import v4

from osq_utils.batch.notebook_md import executed_notebook_to_markdown
from osq_utils.batch.render_pandoc import install_assets, render_page


def _build_notebook() -> nbformat.NotebookNode:
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        _code('territoire = "Exemple"', tags=["parameters"]),
        _code('territoire = "Mayotte"', tags=["injected-parameters"]),
        v4.new_markdown_cell(
            "## Contexte\n\n"
            "::: {.callout-note}\n"
            "La pauvreté progresse, comme le montre la @fig-evolution.\n"
            ":::\n\n"
            "::: {.callout-warning title=\"Données provisoires\"}\n"
            "Millésime 2021.\n"
            ":::"
        ),
        _code(
            "from IPython.display import Markdown, HTML, display\n"
            "print('trace de débogage')\n"
            "display(Markdown(f'Le territoire étudié est **{territoire}**.'))"
        ),
        _code(
            "#| label: tbl-comparaison\n"
            "#| tbl-cap: Comparaison des territoires\n"
            "HTML('<table class=\"gt_table\"><tr><td>21,0 %</td></tr></table>')"
        ),
        _code(
            "#| label: fig-evolution\n"
            "#| fig-cap: \"Évolution du taux de pauvreté\"\n"
            "#| fig-alt: \"Courbe croissante de 2015 à 2021\"\n"
            "import matplotlib\n"
            "import matplotlib.pyplot as plt\n"
            "fig, ax = plt.subplots(figsize=(3, 2), dpi=50)\n"
            "ax.plot([2015, 2018, 2021], [18.5, 19.8, 21.0])\n"
            "plt.show()"
        ),
        _code("#| output: asis\nprint('::: {.kpi-grid}\\nChiffre clé\\n:::')"),
        _code("#| output: false\nprint('jamais affiché')"),
        _code("print('supprimé')", tags=["remove-cell"]),
    ]
    return nb


@pytest.fixture(scope="module")
def executed() -> nbformat.NotebookNode:
    nb = _build_notebook()
    NotebookClient(nb, kernel_name="python3", timeout=60).execute()
    return nb


@pytest.fixture(scope="module")
def site(executed, tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    media_dir = root / "notes" / "mayotte_files"
    markdown = executed_notebook_to_markdown(executed, media_dir, "mayotte_files")
    install_assets(root)
    page = render_page(
        markdown,
        root / "notes" / "mayotte.html",
        title="Pauvreté à Mayotte",
        subtitle="Note territoriale",
        site_title="Observatoire social",
        nav=NAV,
        root_href="..",
        extra_meta={"date": "2025"},
    )
    html = page.read_text(encoding="utf-8").replace("\xa0", " ").replace("&nbsp;", " ")
    return {"root": root, "media": media_dir, "markdown": markdown, "page": page, "html": html}


def test_markdown_follows_quarto_echo_false(site):
    md = site["markdown"]
    assert "![Évolution du taux de pauvreté](mayotte_files/fig-evolution.png)" in md
    assert '{#fig-evolution fig-alt="Courbe croissante de 2015 à 2021"' in md
    assert "Le territoire étudié est **Mayotte**." in md
    assert "::: {.kpi-grid}\nChiffre clé\n:::" in md  # output: asis, raw
    assert "```{=html}" in md
    for absent in ("territoire =", "import matplotlib", "trace de débogage", "jamais affiché",
                   "supprimé", "Exemple", "<Figure size"):
        assert absent not in md
    assert (site["media"] / "fig-evolution.png").stat().st_size > 100
    assert sorted(p.name for p in site["media"].iterdir()) == ["fig-evolution.png"]


def test_page_reads_well_in_french(site):
    html = site["html"]
    assert '<html lang="fr">' in html
    assert '<link rel="stylesheet" href="../assets/osq.css">' in html
    assert (site["root"] / "assets" / "osq.css").is_file()
    assert 'class="site-title"' in html and "Observatoire social" in html
    assert '<a href="../index.html">Accueil</a>' in html
    assert '<h1 class="title">Pauvreté à Mayotte</h1>' in html
    assert '<p class="subtitle">Note territoriale</p>' in html
    assert 'id="TOC"' in html and "Sur cette page" in html
    assert "<footer" in html
    # No code source, no leftover temporary file.
    for absent in ("plt.subplots", "import ", "display(Markdown", "#|"):
        assert absent not in html
    assert [p.name for p in site["page"].parent.iterdir() if p.name.endswith(".tmp")] == []


def test_callouts_figures_and_crossrefs(site):
    html = site["html"]
    assert re.search(r'class="callout callout-note[^"]*"', html)
    assert '<span class="callout-title">Note</span>' in html
    assert '<span class="callout-title">Données provisoires</span>' in html
    # Cross-reference resolved and linked, figure numbered with its caption.
    assert '<a href="#fig-evolution" class="quarto-xref">Figure 1</a>' in html
    assert re.search(r'<figure id="fig-evolution"[^>]*>', html)
    assert re.search(r"Figure 1</span> : Évolution du taux de pauvreté</figcaption>", html)
    assert 'src="mayotte_files/fig-evolution.png"' in html
    assert 'alt="Courbe croissante de 2015 à 2021"' in html
    # Table float from a code cell: caption on top, numbered.
    assert re.search(r'<figure id="tbl-comparaison"[^>]*>\s*<figcaption[^>]*>\s*'
                     r'<span class="osq-float-number">Tableau 1</span> : Comparaison', html)
    assert '<table class="gt_table">' in html
    assert "Le territoire étudié est <strong>Mayotte</strong>." in html


def test_outputs_are_world_readable(site):
    for path in (site["page"], site["media"] / "fig-evolution.png",
                 site["root"] / "assets" / "osq.css"):
        assert path.stat().st_mode & 0o044 == 0o044, path

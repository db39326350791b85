"""Pandoc fallback renderer: real kernel, real pandoc, no mocks."""

from __future__ import annotations

import re

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat import v4

from osq_utils.batch.notebook_md import executed_notebook_to_markdown, parse_cell_options
from osq_utils.batch.render_pandoc import install_assets, render_page

NAV = [("Accueil", "index.html"), ("Notes", "notes/index.html")]


def _code(source: str, tags: list[str] | None = None) -> nbformat.NotebookNode:
    cell = v4.new_code_cell(source)
    if tags:
        cell.metadata["tags"] = tags
    return cell


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


def test_error_output_raises_and_names_the_cell(tmp_path):
    nb = v4.new_notebook()
    cell = _code("#| label: fig-carte\n1 / 0")
    cell.outputs = [v4.new_output("error", ename="ZeroDivisionError",
                                  evalue="division by zero", traceback=[])]
    nb.cells = [v4.new_markdown_cell("Texte"), cell]
    with pytest.raises(ValueError, match=r"cellule 1 \(fig-carte\).*ZeroDivisionError"):
        executed_notebook_to_markdown(nb, tmp_path / "media", "media")
    assert not (tmp_path / "media").exists()


def test_cell_options_are_yaml():
    options, code = parse_cell_options('#| label: fig-x\n#| fig-cap: "A : b"\n#| output: false\nx = 1')
    assert options == {"label": "fig-x", "fig-cap": "A : b", "output": False}
    assert code == "x = 1"
    with pytest.raises(ValueError):
        parse_cell_options("#| label: [oops\nx = 1")


QUARTO_MD = """\
## Partie {#sec-partie}

::: {.callout-tip}
Texte.
:::

::: {.callout-important}
## Titre pris dans l'en-tête
Texte.
:::

::: {.callout-caution collapse="true"}
Replié.
:::

::: {#fig-duo layout-ncol=2}
![Avant](a.png){#fig-avant}

![Après](b.png){#fig-apres}

Deux cartes
:::

| A | B |
|---|---|
| 1 | 2 |

: Effectifs {#tbl-effectifs}

Voir @fig-duo, @fig-apres, [-@tbl-effectifs], @sec-partie et @fig-absente.

::: {.column-margin}
En marge.
:::

::: {.smaller .inconnue}
Petit.
:::
"""


def test_lua_filter_on_hand_written_quarto_markdown(tmp_path):
    page = render_page(QUARTO_MD, tmp_path / "index.html", title="Accueil",
                       site_title="Observatoire", nav=NAV, root_href=".", toc=False)
    html = page.read_text(encoding="utf-8").replace("\xa0", " ")
    assert '<span class="callout-title">Astuce</span>' in html
    assert "<span class=\"callout-title\">Titre pris dans l’en-tête</span>" in html
    assert "<details" in html and '<span class="callout-title">Prudence</span>' in html
    assert 'style="--osq-ncol: 2;"' in html
    assert "<figcaption>(b) Après</figcaption>" in html
    assert "Figure 1</span> : Deux cartes" in html
    assert "<caption><span class=\"osq-float-number\">Tableau 1</span> : Effectifs</caption>" in html
    assert '<a href="#fig-duo" class="quarto-xref">Figure 1</a>' in html
    assert '<a href="#fig-apres" class="quarto-xref">Figure 1 (b)</a>' in html
    assert '<a href="#tbl-effectifs" class="quarto-xref">1</a>' in html
    assert '<a href="#sec-partie" class="quarto-xref">Partie</a>' in html
    assert "<strong>?@fig-absente</strong>" in html
    assert '<aside class="column-margin">' in html
    assert '<div class="smaller inconnue">' in html
    assert 'id="TOC"' not in html
    assert '<a href="index.html" aria-current="page">Accueil</a>' in html
    assert 'href="assets/osq.css"' in html


PNG_1PX = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def _display(data: dict) -> nbformat.NotebookNode:
    return v4.new_output("display_data", data=data)


def test_floats_from_code_cells_without_kernel(tmp_path):
    nb = v4.new_notebook()
    multi = _code("#| label: fig-duo\n#| fig-cap: Deux vues\n#| fig-subcap: [Gauche, Droite]\n"
                  "#| layout-ncol: 2\n")
    multi.outputs = [_display({"image/png": PNG_1PX}), _display({"image/png": PNG_1PX})]
    chart = _code("#| label: fig-interactif\n#| fig-cap: Graphique HTML\n")
    chart.outputs = [_display({"text/html": "<div class='chart'></div>", "text/plain": "<Chart>"})]
    plain = _code("#| fig-cap: Sans numéro\n")
    plain.outputs = [_display({"image/png": PNG_1PX, "text/plain": "<Figure>"})]
    note = v4.new_markdown_cell("Voir @fig-duo, @fig-duo-2 et @fig-interactif. ![](attachment:logo.png)")
    note.attachments = {"logo.png": {"image/png": PNG_1PX}}
    nb.cells = [note, multi, chart, plain, v4.new_raw_cell("<hr class='sep'>")]
    nb.cells[-1].metadata["raw_mimetype"] = "text/html"

    md = executed_notebook_to_markdown(nb, tmp_path / "m", "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "cellule-000-logo.png", "cellule-003.png", "fig-duo-1.png", "fig-duo-2.png"]
    assert "![Gauche](m/fig-duo-1.png){#fig-duo-1}" in md
    assert "<Chart>" not in md and "<Figure>" not in md

    html = render_page(md, tmp_path / "p.html", title="T", site_title="S", nav=[],
                       root_href=".").read_text(encoding="utf-8").replace("\xa0", " ")
    assert '<a href="#fig-duo" class="quarto-xref">Figure 1</a>' in html
    assert '<a href="#fig-duo-2" class="quarto-xref">Figure 1 (b)</a>' in html
    assert '<a href="#fig-interactif" class="quarto-xref">Figure 2</a>' in html
    assert "<figcaption>(a) Gauche</figcaption>" in html
    assert "Figure 2</span> : Graphique HTML" in html
    assert "<figcaption>Sans numéro</figcaption>" in html
    assert 'src="m/cellule-000-logo.png"' in html
    assert "<hr class='sep'>" in html


def test_papermill_error_cell_raises(tmp_path):
    nb = v4.new_notebook()
    marker = v4.new_markdown_cell("<span>An Exception was encountered</span>")
    marker.metadata["tags"] = ["papermill-error-cell-tag"]
    nb.cells = [marker]
    with pytest.raises(ValueError, match="papermill"):
        executed_notebook_to_markdown(nb, tmp_path, "m")


def test_outputs_are_world_readable(site):
    for path in (site["page"], site["media"] / "fig-evolution.png",
                 site["root"] / "assets" / "osq.css"):
        assert path.stat().st_mode & 0o044 == 0o044, path

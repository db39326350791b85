
"""Pandoc fallback renderer: real kernel, real pandoc, no mocks."""

from __future__ import annotations

import nbformat
import pytest
from exemples import NAV, _code
from nbformat import v4

from osq_utils.batch.notebook_md import executed_notebook_to_markdown, parse_cell_options
from osq_utils.batch.render_pandoc import render_page
from osq_utils.present import images


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


def test_images_written_as_data_uris_become_files(tmp_path):
    """A cell that writes its figure into markdown as a data URI (present.images.figure_markdown): the image
    is written beside the page, the markdown links the file (typst and Quarto need files)."""
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 32  # illustrative bytes: only their round trip is checked
    figure = images.figure_markdown(png, "Question 1", "Deux courbes", "fig-question-1")
    assert "data:image/png;base64," in figure
    cell = _code("display(Markdown(figure))")
    cell.outputs = [v4.new_output("display_data", data={"text/markdown": figure, "text/plain": "<Markdown>"})]
    nb = v4.new_notebook()
    nb.cells = [cell]
    md = executed_notebook_to_markdown(nb, tmp_path / "media", "note_files")
    assert "data:" not in md
    assert '![Question 1](note_files/fig-question-1.png){#fig-question-1 fig-alt="Deux courbes"}' in md
    assert (tmp_path / "media" / "fig-question-1.png").read_bytes() == png

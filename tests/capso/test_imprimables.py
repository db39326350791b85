
"""Printable versions (PDF through typst, docx through pandoc) of a real executed commune note."""

from __future__ import annotations

import re

import docx  # noqa: E402  (declared dependencies: the tests must fail, not skip, without them)
import nbformat
import pypdf  # noqa: E402
import pytest
import typst  # noqa: E402

from osq_utils.batch import imprimables
from osq_utils.batch.notebook_md import executed_notebook_to_markdown
from osq_utils.errors import OsqError

META = dict(title="Arques", subtitle="Note communale", site_title="Observatoire d'essai",
            date="3 juin 2025")


def _plain(text: str) -> str:
    """Narrow and ordinary no-break spaces as spaces, runs of blanks collapsed."""
    return re.sub(r"[ \t]+", " ", text.replace("\u202f", " ").replace("\xa0", " "))


@pytest.fixture(scope="module")
def note(cinq_notes_pandoc, tmp_path_factory):
    """Markdown of the executed Arques note of a build with printables (its figures drew their PNG: a build
    without draws only the interactive ones) and its media folder."""
    work = tmp_path_factory.mktemp("imprimables")
    nb = nbformat.read(cinq_notes_pandoc / "notebooks" / "communale-62040.ipynb", as_version=4)
    media = work / "media"
    markdown = executed_notebook_to_markdown(nb, media, "media")
    return markdown, media, work


@pytest.fixture(scope="module")
def pdf(note):
    markdown, media, work = note
    out = work / "sortie" / "communale-62040.pdf"
    assert imprimables.render_pdf(markdown, media, out, **META) == out
    return out


@pytest.fixture(scope="module")
def word(note):
    markdown, media, work = note
    out = work / "sortie" / "communale-62040.docx"
    assert imprimables.render_docx(markdown, media, out, **META) == out
    return out


def _docx_text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return _plain("\n".join(parts))


def _marked_cells_in_html(markdown: str, mark: str) -> int:
    return len(re.findall(rf'class="gt_row gt_\w+">{mark}</td>', markdown))


def test_pdf_has_key_figures_table_sources_and_page_numbers(pdf, note):
    reader = pypdf.PdfReader(str(pdf))
    pages = [_plain(page.extract_text()) for page in reader.pages]
    text = "\n".join(pages)
    # Insee, cc_filosofi_2021_COM.csv: MED21 = 19590 for 62040 (median income 2021).
    assert "19 590 €" in text
    # Insee, cc_filosofi_2021_COM.csv: TP6021 = 20,0 for 62040 (poverty rate 2021).
    assert "20,0 %" in text
    assert "Arques et ses territoires de référence" in text  # GT title -> table caption
    assert "Indicateur" in text and "France métropolitaine" in text  # table header
    assert "Sources et définitions" in text
    assert "Source : Insee, Filosofi 2021." in text  # key-figure card source
    assert "« s » : secret statistique" in text  # the legend of the secret mark
    assert "Figure 1" in text and "Figure 2" in text  # chart and map, numbered
    assert "<table" not in text and "gt_row" not in text and "{=html}" not in text
    assert "Observatoire d'essai".upper() in pages[0].upper()
    n = len(reader.pages)
    assert n >= 2
    for i, page in enumerate(pages, start=1):
        assert f"Page {i} / {n}" in page
        box = reader.pages[i - 1].mediabox
        # A4: 210 x 297 mm = 595.3 x 841.9 pt.
        assert abs(float(box.width) - 595.28) < 1 and abs(float(box.height) - 841.89) < 1
    images = sum(len(page.images) for page in reader.pages)
    assert images >= 2  # the income chart and the map


def test_docx_has_key_figures_secret_marks_and_layout(word, note):
    markdown = note[0]
    document = docx.Document(str(word))
    text = _docx_text(document)
    assert "19 590 €" in text  # Insee, cc_filosofi_2021_COM.csv: MED21 = 19590 for 62040
    assert "20,0 %" in text  # Insee, cc_filosofi_2021_COM.csv: TP6021 = 20,0 for 62040
    assert "Sources et définitions" in text
    assert "Arques et ses territoires de référence" in text
    assert "<table" not in text and "{=html}" not in text
    # GT table -> a real Word table whose header is repeated and whose rows never split.
    tables = [t for t in document.tables if t.rows[0].cells[0].text == "Indicateur"]
    assert tables, "le tableau des indicateurs n'est pas un vrai tableau Word"
    table = tables[0]
    assert [c.text for c in table.rows[0].cells][-1] == "France métropolitaine"
    for row in table.rows:
        assert row._tr.trPr is not None
        assert row._tr.trPr.find(docx.oxml.ns.qn("w:cantSplit")) is not None
    assert table.rows[0]._tr.trPr.find(docx.oxml.ns.qn("w:tblHeader")) is not None
    # Secret and missing marks exactly as in the HTML: as many `s` and `nd` cells.
    assert _marked_cells_in_html(markdown, "nd") > 0
    for mark in ("s", "nd"):
        in_docx = sum(1 for t in document.tables for r in t.rows for c in r.cells if c.text == mark)
        assert in_docx == _marked_cells_in_html(markdown, mark), mark
    # Key-figure cards: a table of cards, no empty header row.
    cards = [t for t in document.tables if "Niveau de vie médian" in t.rows[0].cells[1].text]
    assert cards and _plain(cards[0].rows[0].cells[1].text).startswith("19 590 €")
    # Layout: A4, observatory in the header, page numbers in the footer, two figures.
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    assert "Observatoire d'essai" in section.header.paragraphs[0].text
    footer_xml = section.footer._element.xml
    assert "NUMPAGES" in footer_xml and " PAGE " in footer_xml
    assert len(document.inline_shapes) >= 2
    descriptions = [s._inline.docPr.get("descr") or "" for s in document.inline_shapes]
    assert any(d.startswith("Carte des communes") for d in descriptions)  # fig-alt kept


def test_writes_are_atomic(note, pdf, word, monkeypatch):
    markdown, media, work = note
    out_dir = pdf.parent
    assert sorted(p.name for p in out_dir.iterdir()) == ["communale-62040.docx", "communale-62040.pdf"]
    before = pdf.read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("erreur simulée")

    monkeypatch.setattr(typst, "compile", broken)
    with pytest.raises(OsqError, match="typst"):
        imprimables.render_pdf(markdown, media, pdf, **META)
    assert pdf.read_bytes() == before  # the previous version stays whole
    fresh = out_dir / "nouvelle.pdf"
    with pytest.raises(OsqError):
        imprimables.render_pdf(markdown, media, fresh, **META)
    monkeypatch.setattr(imprimables, "_finish_docx", broken)
    with pytest.raises(RuntimeError):
        imprimables.render_docx(markdown, media, out_dir / "nouvelle.docx", **META)
    # No partial file, no temporary file.
    assert sorted(p.name for p in out_dir.iterdir()) == ["communale-62040.docx", "communale-62040.pdf"]

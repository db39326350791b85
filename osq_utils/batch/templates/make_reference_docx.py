"""Regenerate `reference.docx`, the pandoc reference document of the Word notes.

    python osq_utils/batch/templates/make_reference_docx.py

Starts from pandoc's default reference document and sets: A4 with 2 cm margins,
Liberation Sans / Arial, the OSQ colours (Okabe-Ito blue), a header whose text
`{{site-title}}` is replaced by the observatory title at render time, a footer
"Page X / Y", and the custom styles used by `imprimable.lua` ("Source", "Encadré",
"Chiffre clé").
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import docx
import pypandoc
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

HERE = Path(__file__).resolve().parent
BLUE = RGBColor(0x00, 0x72, 0xB2)
GREY = RGBColor(0x55, 0x55, 0x55)
FONT = "Liberation Sans"


def _default_reference(path: Path) -> None:
    data = subprocess.run(
        [pypandoc.get_pandoc_path(), "--print-default-data-file", "reference.docx"],
        check=True, capture_output=True,
    ).stdout
    path.write_bytes(data)


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) in its own run."""
    def run_with(child):
        run = paragraph.add_run()
        run._r.append(child)
        return run

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run_with(instr)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run_with(separate)
    paragraph.add_run("1")
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def _border(paragraph_format_element, side: str, colour: str, size: int = 18) -> None:
    p_pr = paragraph_format_element
    borders = p_pr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        p_pr.append(borders)
    edge = OxmlElement(f"w:{side}")
    edge.set(qn("w:val"), "single")
    edge.set(qn("w:sz"), str(size))
    edge.set(qn("w:space"), "8")
    edge.set(qn("w:color"), colour)
    borders.append(edge)


def _shading(p_pr, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    p_pr.append(shd)


def _style(document, name: str, kind=WD_STYLE_TYPE.PARAGRAPH):
    try:
        return document.styles[name]
    except KeyError:
        return document.styles.add_style(name, kind)


def build(out: Path) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "default.docx"
        _default_reference(base)
        document = docx.Document(str(base))

    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.0)
    section.top_margin, section.bottom_margin = Cm(2.4), Cm(2.2)
    section.header_distance, section.footer_distance = Cm(1.0), Cm(1.0)

    styles = document.styles
    for name in ("Normal", "Body Text", "First Paragraph", "Compact", "Title", "Subtitle",
                 "Date", "Heading 1", "Heading 2", "Heading 3", "Block Text",
                 "Image Caption", "Table Caption"):
        try:
            style = styles[name]
        except KeyError:
            continue
        style.font.name = FONT
        r_pr = style.element.get_or_add_rPr()
        fonts = r_pr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = OxmlElement("w:rFonts")
            r_pr.append(fonts)
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(qn(attr), FONT)
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
            fonts.attrib.pop(qn(attr), None)
    styles["Normal"].font.size = Pt(10)
    styles["Title"].font.size = Pt(20)
    styles["Title"].font.color.rgb = RGBColor(0, 0, 0)
    styles["Subtitle"].font.color.rgb = GREY
    for name, size in (("Heading 1", 16), ("Heading 2", 13), ("Heading 3", 11)):
        styles[name].font.size = Pt(size)
        styles[name].font.color.rgb = BLUE
        styles[name].paragraph_format.keep_with_next = True
    for name in ("Image Caption", "Table Caption"):
        styles[name].font.size = Pt(9)
        styles[name].font.italic = False
    styles["Table Caption"].paragraph_format.keep_with_next = True
    # Figures stay with their caption.
    try:
        styles["Captioned Figure"].paragraph_format.keep_with_next = True
    except KeyError:
        pass
    styles["Compact"].font.size = Pt(8.5)

    quote = styles["Block Text"]
    quote.font.italic = True
    quote.paragraph_format.left_indent = Cm(0.6)
    _border(quote.element.get_or_add_pPr(), "left", "E69F00", 18)

    source = _style(document, "Source")
    source.base_style = styles["Normal"]
    source.font.size = Pt(8)
    source.font.color.rgb = GREY
    source_char = _style(document, "Source Char", WD_STYLE_TYPE.CHARACTER)
    source_char.font.size = Pt(8)
    source_char.font.color.rgb = GREY

    encadre = _style(document, "Encadré")
    encadre.base_style = styles["Normal"]
    encadre.paragraph_format.left_indent = Cm(0.3)
    p_pr = encadre.element.get_or_add_pPr()
    _border(p_pr, "left", "0072B2", 24)
    _shading(p_pr, "EEF5FA")

    kpi = _style(document, "Chiffre clé", WD_STYLE_TYPE.CHARACTER)
    kpi.font.size = Pt(15)
    kpi.font.bold = True
    kpi.font.color.rgb = BLUE

    header = section.header
    header.is_linked_to_previous = False
    paragraph = header.paragraphs[0]
    paragraph.text = ""
    run = paragraph.add_run("{{site-title}}")
    run.font.size, run.font.color.rgb, run.font.name = Pt(8), GREY, FONT
    _border(paragraph._p.get_or_add_pPr(), "bottom", "888888", 4)

    footer = section.footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    paragraph.text = ""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    paragraph.add_run("Page ")
    _field(paragraph, "PAGE")
    paragraph.add_run(" / ")
    _field(paragraph, "NUMPAGES")
    for run in paragraph.runs:
        run.font.size, run.font.color.rgb, run.font.name = Pt(8), GREY, FONT

    document.save(str(out))
    return out


if __name__ == "__main__":
    print(build(HERE / "reference.docx"))

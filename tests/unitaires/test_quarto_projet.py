"""The Quarto project of a profile (batch.quarto), without Quarto: its configuration, and how the outputs
of a render reach the site. A stand-in `quarto` (a small script written here, illustrative) renders as
Quarto does: the pages listed in `project.render` into `_rendu/` with their images and linked printable versions,
with `site_libs/`, a search index of
the pages rendered, and a redirection `index.html` when the index is not among them. The real Quarto
runs in tests/capso/test_quarto.py.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from osq_utils.batch import pages, quarto
from osq_utils.batch.plan import Plan

FAUX_QUARTO = textwrap.dedent(f"""\
    #!{sys.executable}
    import json, pathlib, sys, yaml
    if sys.argv[1] == "--version":
        print("1.11.0")
        sys.exit(0)
    projet = pathlib.Path(sys.argv[2])
    config = yaml.safe_load((projet / "_quarto.yml").read_text(encoding="utf-8"))
    rendu = projet / config["project"]["output-dir"]
    docs = []
    for source in config["project"]["render"]:
        page = source.removesuffix(".qmd") + ".html"
        text = (projet / source).read_text(encoding="utf-8")
        (rendu / page).parent.mkdir(parents=True, exist_ok=True)
        (rendu / page).write_text("<html><main>" + text + "</main></html>", encoding="utf-8")
        media = projet / (source.removesuffix(".qmd") + "_files")
        linked = [projet / (source.removesuffix(".qmd") + ext) for ext in (".pdf", ".docx")]
        for image in [*(sorted(media.glob("*")) if media.is_dir() else []), *(f for f in linked if f.exists())]:
            out = rendu / image.relative_to(projet)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(image.read_bytes())
        docs.append({{"objectID": page, "href": page, "title": page, "section": "", "text": text}})
    if "index.qmd" not in config["project"]["render"]:
        (rendu / "index.html").write_text("<html>redirection</html>", encoding="utf-8")
    (rendu / "site_libs").mkdir(parents=True, exist_ok=True)
    (rendu / "site_libs" / "quarto.js").write_text("// js", encoding="utf-8")
    (rendu / "osq.css").write_text((projet / "osq.css").read_text(encoding="utf-8"), encoding="utf-8")
    (rendu / "search.json").write_text(json.dumps(docs), encoding="utf-8")
    """)
PLAN = Plan("essai", "Observatoire d'essai", "", Path("-"), [])


@pytest.fixture
def projet(tmp_path) -> quarto.ProjetQuarto:
    exe = tmp_path / "quarto"
    exe.write_text(FAUX_QUARTO, encoding="utf-8")
    exe.chmod(0o755)
    p = quarto.ProjetQuarto(tmp_path / "_quarto", tmp_path / "site", str(exe), tmp_path / "quarto.log", {})
    assert p.preparer(PLAN, noindex=False)  # first render: every page
    return p


def _note(p: quarto.ProjetQuarto, slug: str, text: str, images: dict[str, bytes] | None = None) -> str:
    source = p.note_source(slug)
    (p.dossier / source).write_text(f"---\ntitle: {slug}\n---\n\n{text}\n", encoding="utf-8")
    for name, data in (images or {}).items():
        (p.dossier / "notes" / f"{slug}_files").mkdir(parents=True, exist_ok=True)
        (p.dossier / "notes" / f"{slug}_files" / name).write_bytes(data)
    return source


def _index(site: Path) -> set[str]:
    return {d["href"] for d in json.loads((site / "search.json").read_text(encoding="utf-8"))}


def test_configuration_for_every_format_and_nothing_null():
    config = quarto.config(PLAN, noindex=True)

    def nulls(node, path=""):
        if isinstance(node, dict):
            return [p for k, v in node.items() for p in nulls(v, f"{path}/{k}")]
        if isinstance(node, list):
            return [p for i, v in enumerate(node) for p in nulls(v, f"{path}/{i}")]
        return [path] if node is None else []

    assert nulls(config) == []  # Quarto refuses a null value (`section-numbering: null` broke make site)
    assert config["execute"] == {"enabled": False, "echo": False, "warning": False}  # every format
    assert list(config["format"]) == ["html"]  # printable versions: batch.imprimables, for both renderers
    assert config["project"]["output-dir"] == quarto.RENDU and "render" not in config["project"]
    assert [(i["text"], i["href"]) for i in config["website"]["navbar"]["left"]] == pages.NAV
    html = config["format"]["html"]
    assert html["html-math-method"] == "mathml" and html["html-table-processing"] == "none"
    assert quarto.NOINDEX in html["include-in-header"]["text"]
    assert "noindex" not in json.dumps(quarto.config(PLAN, noindex=False))
    theme = (quarto.TEMPLATES_DIR / "osq-quarto.scss").read_text(encoding="utf-8")
    assert "$web-font-path: false;" in theme and "url(" not in theme and "@import" not in theme


def test_render_publishes_outputs_and_merges_the_search_index(projet):
    site = projet.site
    a = _note(projet, "communale-62040", "Arques", {"fig-carte.png": b"carte", "fig-evolution.png": b"courbes"})
    b = _note(projet, "communale-62765", "Saint-Omer")
    (projet.dossier / "index.qmd").write_text("---\ntitle: Accueil\n---\n\nAccueil\n", encoding="utf-8")
    projet.rendre([a, b, "index.qmd"])
    assert "Arques" in (site / "notes" / "communale-62040.html").read_text(encoding="utf-8")
    assert (site / "notes" / "communale-62040_files" / "fig-carte.png").read_bytes() == b"carte"
    assert _index(site) == {"notes/communale-62040.html", "notes/communale-62765.html", "index.html"}
    index_before = (site / "index.html").stat().st_mtime_ns
    saint_omer_before = (site / "notes" / "communale-62765.html").stat().st_mtime_ns

    # One note changed (and lost an image): only its files change; Quarto's redirection page is not
    # published over the site's index; the search index keeps the other pages.
    (projet.dossier / "notes" / "communale-62040_files" / "fig-evolution.png").unlink()
    a = _note(projet, "communale-62040", "Arques, revue")
    projet.rendre([a])
    assert "revue" in (site / "notes" / "communale-62040.html").read_text(encoding="utf-8")
    assert not (site / "notes" / "communale-62040_files" / "fig-evolution.png").exists()
    assert (site / "index.html").read_text(encoding="utf-8") != "<html>redirection</html>"
    assert (site / "index.html").stat().st_mtime_ns == index_before
    assert (site / "notes" / "communale-62765.html").stat().st_mtime_ns == saint_omer_before
    assert _index(site) == {"notes/communale-62040.html", "notes/communale-62765.html", "index.html"}
    assert sum(1 for d in json.loads((site / "search.json").read_text()) if "revue" in d["text"]) == 1


def test_a_removed_note_leaves_project_and_site_and_nothing_else(projet):
    site = projet.site
    a = _note(projet, "communale-62040", "Arques")
    b = _note(projet, "communale-62765", "Saint-Omer", {"fig-carte.png": b"carte"})
    (projet.dossier / "notes" / "communale-62765.pdf").write_bytes(b"%PDF-")
    projet.rendre([a, b])
    assert (site / "notes" / "communale-62765.pdf").exists()  # a linked file, copied as Quarto does
    (site / "donnees").mkdir()
    (site / "donnees" / "chiffres.csv").write_text("niveau;code\n", encoding="utf-8")  # written by OSQ, not Quarto
    assert projet.notes_ecrites() == {"communale-62040", "communale-62765"}
    projet.retirer_notes({"communale-62765"})
    assert projet.notes_ecrites() == {"communale-62040"}
    assert not list((projet.dossier / "notes").glob("communale-62765*"))
    assert not [p for p in site.rglob("*") if "62765" in p.name]
    assert _index(site) == {"notes/communale-62040.html"}
    assert (site / "donnees" / "chiffres.csv").exists() and (site / "notes" / "communale-62040.html").exists()


def test_full_render_deletes_what_no_page_produces_any_more(projet):
    site = projet.site
    a = _note(projet, "communale-62040", "Arques")
    (projet.dossier / "index.qmd").write_text("---\ntitle: Accueil\n---\n\nAccueil\n", encoding="utf-8")
    projet.rendre([a, "index.qmd"])
    (site / "site_libs" / "ancien.js").write_text("// stale", encoding="utf-8")
    projet.etat["manifeste"].append("site_libs/ancien.js")  # published by an earlier render
    projet.terminer()
    assert not (site / "site_libs" / "ancien.js").exists()
    assert (site / "site_libs" / "quarto.js").exists() and (site / "notes" / "communale-62040.html").exists()
    # The signature is kept: the next build renders only what changed.
    assert not quarto.ProjetQuarto(projet.dossier, site, projet.executable, projet.journal,
                                   projet.etat).preparer(PLAN, noindex=False)
    assert quarto.ProjetQuarto(projet.dossier, site, projet.executable, projet.journal,
                               projet.etat).preparer(PLAN, noindex=True)  # a new configuration: everything


def test_a_failed_render_is_reported_in_french(projet, tmp_path):
    broken = tmp_path / "quarto-casse"
    broken.write_text(f"#!{sys.executable}\nimport sys\nprint('1.11.0') if sys.argv[1] == '--version' else sys.exit(3)\n",
                      encoding="utf-8")
    broken.chmod(0o755)
    projet.executable = str(broken)
    a = _note(projet, "communale-62040", "Arques")
    with pytest.raises(quarto.OsqError, match="Quarto a échoué"):
        projet.rendre([a])


def test_quarto_configuration_of_a_project_is_valid_yaml(projet):
    a = _note(projet, "communale-62040", "Arques")
    projet.rendre([a])
    written = yaml.safe_load((projet.dossier / "_quarto.yml").read_text(encoding="utf-8"))
    assert written["project"]["render"] == [a]
    assert (projet.dossier / quarto.RENDU).resolve().is_relative_to(projet.dossier.resolve())

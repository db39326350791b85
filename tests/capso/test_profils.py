
"""Diffusion profiles: one build publishes a public site and a restricted partenaires site, both audited."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

from osq_utils.catalogues.racine import PROJECT_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two_sites(store_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("profils")
    params = out / "profils.yml"
    params.write_text(
        "observatoire:\n  id: essai\n  titre: Essai\n  profils: [public, partenaires]\nnotes:\n"
        '  - modele: note_communale\n    territoires:\n      communes: ["62040", "62765"]\n', encoding="utf-8")
    env = {**os.environ, "OSQ_STORE": str(store_file), "OSQ_QUARTO": "non"}
    proc = subprocess.run([sys.executable, "-m", "osq_utils.cli", "build", str(params), "--jobs", "2", "--sortie", str(out)],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out / "essai", proc.stderr


def test_one_build_two_sites(two_sites):
    root, log = two_sites
    for folder in ("site", "site-partenaires"):
        assert (root / folder / "notes" / "communale-62040.html").exists()
        assert (root / folder / "donnees" / "chiffres.csv").exists()
    assert "Profil public" in log and "Profil partenaires" in log


def test_partenaires_site_is_not_indexed(two_sites):
    root, _ = two_sites
    noindex = '<meta name="robots" content="noindex, nofollow">'
    for page in ("index.html", "glossaire.html", "notes/communale-62040.html"):
        assert noindex in (root / "site-partenaires" / page).read_text(encoding="utf-8")
        assert noindex not in (root / "site" / page).read_text(encoding="utf-8")
    assert (root / "site-partenaires" / "robots.txt").read_text() == "User-agent: *\nDisallow: /\n"
    assert "Site réservé aux partenaires" in (root / "site-partenaires" / "index.html").read_text(encoding="utf-8")


def test_ledgers_live_beside_the_sites_never_in_them(two_sites):
    root, _ = two_sites
    for profil in ("public", "partenaires"):
        ledger = pd.read_csv(root / f"masques-{profil}.csv", sep=";", dtype=str)
        assert list(ledger.columns)[:4] == ["niveau", "code", "territoire", "indicateur"]
    published = [p.name for p in root.joinpath("site").rglob("masques-*")]
    assert published == []
    # The pseudonymisation report, for the analyst (never published either).
    review = (root / "verbatims-pseudonymisation.csv").read_text(encoding="utf-8")
    assert review.splitlines()[0].startswith("id;")


def test_glossary_shows_the_secret_rules(two_sites):
    root, _ = two_sites
    page = (root / "site" / "glossaire.html").read_text(encoding="utf-8")
    assert 'id="secret-statistique"' in page
    # CNAF: no CAF figure for an IRIS of fewer than 100 recipients (data/secret/cnaf-caf-iris-2016-2020.yml).
    assert "moins de 100 allocataires" in page


def test_freshness_page(two_sites):
    root, _ = two_sites
    page = (root / "site" / "etat-des-donnees.html").read_text(encoding="utf-8")
    assert 'href="etat-des-donnees.html"' in (root / "site" / "index.html").read_text(encoding="utf-8")
    # Filosofi 2019 is the latest commune file in the mirror (FILO2019_DISP_COM.csv).
    row = next(line for line in page.split("<tr") if "Niveau de vie médian" in line and "Filosofi" in line)
    assert ">2019<" in row
    # No CAF delivery was ever received: the page says so.
    assert "CAF du Pas-de-Calais" in page and "jamais livrée" in page


def test_guides_are_part_of_the_site(two_sites):
    root, _ = two_sites
    guides = (root / "site" / "guides.html").read_text(encoding="utf-8")
    for name in ("ajouter-un-indicateur", "integrer-une-livraison", "ajouter-un-theme-ou-un-type-de-note", "publier-le-site"):
        assert f'href="guide-{name}.html"' in guides
        assert "<h1" in (root / "site" / f"guide-{name}.html").read_text(encoding="utf-8")


def test_a_rebuild_with_nothing_changed_rewrites_no_file_and_skips_the_audit(two_sites, store_file):
    root, _ = two_sites

    def files():
        return {f: f.stat().st_mtime_ns for d in ("site", "site-partenaires") for f in (root / d).rglob("*") if f.is_file()}

    before = files()
    params = root.parent / "profils.yml"
    # The whole build path, not the witness of the last build (batch.temoin): its identity of the params file changes.
    os.utime(params)
    proc = _build_again(params, root, store_file)
    # robots.txt of the partenaires site was rewritten by every build: its new date made the audit run again.
    assert files() == before
    assert "audit 0.0 s" in proc.stderr.split("Profil partenaires")[1].splitlines()[0]


def _build_again(params, root, store_file, *options):
    env = {**os.environ, "OSQ_STORE": str(store_file), "OSQ_QUARTO": "non"}
    proc = subprocess.run([sys.executable, *options, "-m", "osq_utils.cli", "build", str(params), "--jobs", "2",
                           "--sortie", str(root.parent)], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_a_rebuild_with_nothing_changed_is_answered_by_the_witness_without_loading_the_build(two_sites, store_file):
    root, _ = two_sites
    params = root.parent / "profils.yml"
    _build_again(params, root, store_file)  # a clean build writes its witness
    before = {f: f.stat().st_mtime_ns for f in root.rglob("*") if f.is_file()}
    proc = _build_again(params, root, store_file, "-X", "importtime")
    assert "rien n'a changé depuis la construction du" in proc.stderr
    assert "Profil partenaires" in proc.stderr and "│ à jour (sautées)        │     2 │" in proc.stderr
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "osq_utils.batch.temoin" in imported
    assert not imported & {"pandas", "duckdb", "jupyter_client", "osq_utils.batch.build"}
    assert {f: f.stat().st_mtime_ns for f in root.rglob("*") if f.is_file()} == before
    # One page removed from the partenaires site: the witness no longer holds, the build publishes it again.
    page = next((root / "site-partenaires" / "notes").glob("*62040*.html"))
    page.unlink()
    proc = _build_again(params, root, store_file)
    assert "rien n'a changé" not in proc.stderr and page.exists()

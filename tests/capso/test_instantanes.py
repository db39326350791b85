"""Snapshots of the rendered page of one note of each kind: every change to a page is a reviewed diff.

The pages come from the real `osq build` (papermill kernels, pandoc) on the CAPSO store of this tier.
Volatile parts are normalised: attribute order (the HTML filter builds some attributes from Lua tables,
in no fixed order) and embedded images (their bytes belong to matplotlib's version, not to OSQ). After a
wanted change, update them with `make instantanes` and review the diff of tests/capso/__snapshots__/.
"""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from outils import build_site
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from osq_utils.notes import TYPES

PARAMS = """\
observatoire:
  id: instantanes
  titre: Observatoire d'essai
notes:
  - modele: note_communale
    territoires: {communes: ["62040"]}
  - modele: note_quartier
    territoires: {qpv: ["QP062036"]}
  - modele: note_epci
    territoires: {epci: "200069037"}
  - modele: abs_ccas
    territoires: {communes: ["62040"]}
    themes: [sante]
    plan_actions: params/capso/plan-actions.yml
  - modele: plan_actions
    territoires: {communes: ["62040"]}
    plan_actions: params/capso/plan-actions.yml
  - modele: evaluation_cdv
    territoires: {epci: "200069037"}
    parametres:
      qpv: ["QP062036", "QP062037", "QP062058"]
    evaluation: params/capso/evaluation
"""
PAGES = {"note_communale": "communale-62040", "note_quartier": "quartier-QP062036", "note_epci": "epci-200069037",
         "abs_ccas": "abs-62040-sante", "evaluation_cdv": "evaluation-200069037",
         "plan_actions": "plan-actions-200069037"}
_DATA_URI = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")


class PageHTML(SingleFileSnapshotExtension):
    file_extension = "html"
    _write_mode = WriteMode.TEXT


@pytest.fixture
def snapshot_html(snapshot):
    return snapshot.use_extension(PageHTML)


@pytest.fixture(scope="session")
def site_cinq_notes(store_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("instantanes")
    build_site(store_file, out, PARAMS)
    return out / "instantanes" / "site"


def normalise(html: str) -> str:
    """The page with its attributes in a fixed order and its embedded images named by their length."""
    html = _DATA_URI.sub(lambda m: f"data:image/png;base64,<{len(m.group(0))} caractères>", html)
    return BeautifulSoup(html, "html.parser").decode(formatter="html5")


def test_every_kind_is_snapshotted():
    assert set(PAGES) == set(TYPES)


@pytest.mark.parametrize("modele", sorted(PAGES))
def test_page_of_each_kind_of_note(site_cinq_notes, snapshot_html, modele):
    page = site_cinq_notes / "notes" / f"{PAGES[modele]}.html"
    html = normalise(page.read_text(encoding="utf-8"))
    assert "Traceback" not in html
    assert html == snapshot_html


def test_normalisation_keeps_content_and_orders_attributes():
    a = '<div role="note" data-x="1"><img src="data:image/png;base64,AAAA"></div>'
    b = '<div data-x="1" role="note"><img src="data:image/png;base64,AAAA"></div>'
    assert normalise(a) == normalise(b)
    assert normalise(a) != normalise(a.replace('"1"', '"2"'))

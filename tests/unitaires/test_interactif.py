"""present.interactif: interactive maps and charts as inline SVG, on small shapes and series written here
(made-up values, not real figures)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from types import SimpleNamespace

import geopandas as gpd
import nbformat
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from osq_utils.batch import notebook_md
from osq_utils.batch.publication import notes_publiees
from osq_utils.present import images, interactif
from osq_utils.present.fr import NBSP, NNBSP

EURO = SimpleNamespace(code="revenu_test", libelle="Revenu fictif", unite="€", decimales=0,
                       publie_a=lambda niveau: True)
TAUX = SimpleNamespace(code="taux_test", libelle="Taux fictif", unite="%", decimales=1,
                       publie_a=lambda niveau: True)


def _gdf() -> gpd.GeoDataFrame:
    """Four squares near Saint-Omer (EPSG:4326), codes of no real commune."""
    cells = [box(2.20 + 0.05 * i, 50.70, 2.25 + 0.05 * i, 50.75) for i in range(4)]
    return gpd.GeoDataFrame({"code": ["99001", "99002", "99003", "99004"],
                             "libelle": ["Aval", "Bémont", "Caps", "Dune"]}, geometry=cells, crs="EPSG:4326")


def _values() -> pd.DataFrame:
    return pd.DataFrame({"code": ["99001", "99002", "99003", "99004"], "valeur": [19870.0, 21000.0, np.nan, 18000.0],
                         "statut": ["ok", "ok", "secret", "ok"], "niveau": "commune", "decimales": [0, 0, None, 0],
                         "estime": False})


def _carte(**kwargs) -> str:
    args = dict(libelles={"99001": "Aval-sur-Mer"}, liens={"99001": interactif.lien_note("commune", "99001")},
                highlight="99001", titre="Revenu fictif, essai", ident="carte-essai", source="Source : essai.")
    return interactif.carte_choroplethe(_gdf(), _values(), EURO, **{**args, **kwargs})


class _Balises(HTMLParser):
    """Every start tag with its attributes; fails on unbalanced tags."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.pile: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ("rect", "line", "br"):
            self.pile.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        assert self.pile and self.pile[-1] == tag, f"balise </{tag}> mal placée"
        self.pile.pop()


def _balises(html: str) -> list[tuple[str, dict]]:
    parser = _Balises()
    parser.feed(html)
    assert parser.pile == []
    return parser.tags


def test_zones_named_valued_and_focusable():
    html = _carte()
    infos = [a for _, a in _balises(html) if "data-osq-info" in a]
    assert [a["data-osq-info"] for a in infos] == [
        f"Bémont : 21{NNBSP}000{NBSP}€", "Caps : secret statistique", f"Dune : 18{NNBSP}000{NBSP}€",
        f"Aval-sur-Mer : 19{NNBSP}870{NBSP}€"]  # the outlined commune last: its outline on top
    for attrs in infos:
        assert attrs["aria-label"] == attrs["data-osq-info"]
        assert attrs.get("tabindex") == "0" or "data-osq-note" in attrs or "href" in attrs
    assert f"<title>Dune : 18{NNBSP}000{NBSP}€</title>" in html
    assert 'role="img"' in html


def test_link_placeholder_then_resolved_or_plain():
    html = _carte()
    assert html.count('data-osq-note="commune:99001"') == 2  # the area and its name in the table
    lie = interactif.resoudre_liens(html, {"commune:99001": "aval.html"})
    assert "data-osq-note" not in lie
    tags = _balises(lie)
    area = next(a for t, a in tags if t == "a" and "data-osq-info" in a)
    assert area["href"] == "aval.html" and area["aria-label"].startswith("Aval-sur-Mer")
    assert '<th scope="row"><a href="aval.html">Aval-sur-Mer</a></th>' in lie
    seul = interactif.resoudre_liens(html, {})
    tags = _balises(seul)
    assert not any(t == "a" and "data-osq-info" in a for t, a in tags)
    zone = next(a for t, a in tags if a.get("aria-label", "").startswith("Aval-sur-Mer"))
    assert zone["tabindex"] == "0" and zone["role"] == "img"
    assert '<th scope="row"><span>Aval-sur-Mer</span></th>' in seul


def test_secret_hatched_and_legend():
    html = _carte()
    assert 'fill="url(#carte-essai-hachures)"' in html and '<pattern id="carte-essai-hachures"' in html
    legende = re.search(r'<div class="osq-legende">(.*?)</div>', html).group(1)
    assert "Revenu fictif (en euros)" in legende
    assert "s : secret statistique" in legende and "Commune de la note" in legende
    assert "nd : non disponible" not in legende  # no missing commune here
    assert legende.count("<li>") == 3 + 2  # three quantile classes (three values), secret, outline
    assert f"18{NNBSP}000{NBSP}€ – " in legende


def test_same_classes_as_png():
    ok = _values().dropna(subset=["valeur"])
    classes = interactif.classes_choroplethe(ok["valeur"].to_numpy(), EURO)
    html = _carte()
    for code, colour in zip(ok["code"], classes.couleurs):
        name = {"99001": "Aval-sur-Mer", "99002": "Bémont", "99004": "Dune"}[code]
        assert re.search(rf'aria-label="{name} :[^"]*"[^>]*><path d="[^"]+" fill="{colour}"', html)


def test_data_table_and_link():
    html = _carte()
    assert '<a class="osq-donnees" href="#carte-essai-donnees">Données de la carte</a>' in html
    table = re.search(r'<details class="osq-donnees-detail" id="carte-essai-donnees">.*?</details>', html, re.S).group(0)
    assert "<caption>Revenu fictif, essai</caption>" in table
    assert '<th scope="col">Territoire</th><th scope="col">Valeur</th>' in table
    assert table.index("Aval-sur-Mer") < table.index("Bémont") < table.index("Caps") < table.index("Dune")
    assert "<td>secret statistique</td>" in table and f"<td>19{NNBSP}870{NBSP}€</td>" in table


def test_layers_qpv_on_top_and_missing():
    values = _values()[_values()["code"] != "99004"]
    qpv = interactif.Zone("QP099001", "Quartier fictif", box(2.21, 50.71, 2.23, 50.73), "Quartier fictif : QPV",
                          "#E69F00", interactif.lien_note("qpv", "QP099001"), "qpv")
    html = interactif.carte_choroplethe(_gdf(), values, EURO, titre="t", ident="c2", superpositions=[qpv],
                                        legende_superpositions=[("#E69F00", "Quartier prioritaire", False)])
    assert html.index('data-osq-note="qpv:QP099001"') > html.index("Dune : absent des sources de")
    assert "nd : non disponible" in html and "Quartier prioritaire" in html
    assert "Commune de la note" not in html


def test_deterministic_and_small():
    assert _carte() == _carte()
    assert len(_carte()) < 20_000
    coords = re.findall(r'd="M([^"]+)"', _carte())
    assert coords and all(re.fullmatch(r"[-0-9. MZ]+", c) for c in coords)


def _evolution() -> list:
    rows = []
    for terr, base in (("Aval", 19000.0), ("Pays fictif", 21000.0)):
        for i, y in enumerate((2014, 2015, 2016, 2017, 2018)):
            missing = terr == "Aval" and y == 2016
            rows.append({"territoire": terr, "niveau": "commune", "annee": y,
                         "valeur": np.nan if missing else base + 100 * i, "statut": "secret" if missing else "ok",
                         "decimales": 0, "estime": None})
    taux = pd.DataFrame([{**r, "valeur": 12.34 + r["annee"] - 2014 if r["statut"] == "ok" else np.nan, "decimales": 1}
                         for r in rows])
    return [(EURO, pd.DataFrame(rows)), (TAUX, taux)]


def test_chart_points_and_no_bridge():
    html = interactif.courbes_svg(_evolution(), titre="Essai", ident="courbes-essai", donnees_href="#osq-table")
    tags = _balises(html)
    points = [a for t, a in tags if t == "circle"]
    assert len(points) == 2 * (4 + 5)
    assert all(a["tabindex"] == "0" and a["role"] == "img" and a["aria-label"] == a["data-osq-info"] for a in points)
    labels = [a["aria-label"] for a in points]
    assert f"Aval, 2015 : 19{NNBSP}100{NBSP}€" in labels and f"Pays fictif, 2018 : 16,3{NBSP}%" in labels
    assert not any("Aval, 2016" in label for label in labels)
    # Aval: 2014-2015 then 2017-2018, never a line across 2016.
    polylines = [a["points"] for t, a in tags if t == "polyline"]
    assert len(polylines) == 2 * 3
    assert sum(len(p.split()) for p in polylines) == 2 * (2 + 2 + 5)
    assert '<a class="osq-donnees" href="#osq-table">Données du graphique</a>' in html
    assert "<details" not in html
    assert "Sans valeur publiée (non tracé) : Revenu fictif, Aval : secret 2016" in html
    axes = [t for t in re.findall(r'<text class="osq-axe"[^>]*>([^<]+)</text>', html)]
    assert "2016" in axes and any(NNBSP in t for t in axes)


def test_chart_own_table_without_href():
    html = interactif.courbes_svg(_evolution(), titre="Essai", ident="courbes-essai")
    assert '<a class="osq-donnees" href="#courbes-essai-donnees">' in html
    table = re.search(r"<details.*?</details>", html, re.S).group(0)
    assert "<td>s</td>" in table and f"<td>19{NNBSP}000{NBSP}€</td>" in table
    assert html == interactif.courbes_svg(_evolution(), titre="Essai", ident="courbes-essai")


def test_notes_publiees_by_kind():
    job = SimpleNamespace
    plan = SimpleNamespace(jobs=[job(modele="note_communale", niveau="commune", code="62040", slug="arques"),
                                 job(modele="abs_ccas", niveau="commune", code="62765", slug="abs-x"),
                                 job(modele="note_quartier", niveau="qpv", code="QP062003", slug="qpv-x")])
    assert notes_publiees(plan) == {"commune:62040": "arques.html", "qpv:QP062003": "qpv-x.html"}


@pytest.fixture
def carnet():
    rendu = images.Rendu(png=b"\x89PNG\r\n\x1a\nfictif", html='<div class="osq-interactif">SVG</div>')
    data, meta = rendu._repr_mimebundle_()
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('#| label: fig-carte\n#| fig-cap: "Une carte"\n#| fig-alt: "Texte"\ndisplay(x)')
    cell.outputs = [nbformat.v4.new_output("display_data", data={**data, "text/plain": "Rendu"}, metadata=meta)]
    nb.cells = [cell]
    return nb


def test_notebook_interactive_page_and_png_printable(carnet, tmp_path):
    assert images.CLE_INTERACTIF == notebook_md.CLE_INTERACTIF
    page = notebook_md.executed_notebook_to_markdown(carnet, tmp_path / "m", "m", interactif=True)
    assert page.startswith("::: {#fig-carte}\n```{=html}\n<div class=\"osq-interactif\">SVG</div>\n```")
    assert page.rstrip().endswith("Une carte\n:::")
    imprimable = notebook_md.executed_notebook_to_markdown(carnet, tmp_path / "m", "m")
    assert imprimable.strip() == '![Une carte](m/fig-carte.png){#fig-carte fig-alt="Texte"}'
    assert (tmp_path / "m" / "fig-carte.png").read_bytes().startswith(b"\x89PNG")

"""Zones made of IRIS or communes: their YAML declarations, the polygon rule, the sum of their parts and the
secondary suppression of a zone against its commune (small tables written here; the real files are in
tests/complet/test_zones.py)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from osq_utils.catalogues.glossaire import load_glossaire
from osq_utils.catalogues.zones import load_zones
from osq_utils.errors import OsqError
from osq_utils.indicateurs import Territoire, zone_observations
from osq_utils.indicateurs.polygones import parts_dans_polygone
from osq_utils.indicateurs.zones import Zone
from osq_utils.secret.algorithmes import apply_to_table, recoverable
from osq_utils.secret.registre import groupes_zones


def _yml(tmp_path, text: str):
    path = tmp_path / "zones.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_zone_file_lists_iris_communes_polygons_and_grands_quartiers(tmp_path):
    (tmp_path / "p.geojson").write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    fichier = load_zones(_yml(tmp_path, """zones:
  - code: Z1
    libelle: Zone un
    iris: ["422180101", "422180102"]
    communes: ["42095"]
  - code: Z2
    libelle: Zone deux
    polygone: p.geojson
    seuil: 0.3
grands_quartiers:
  - commune: "42218"
    source: ign-contours-iris-42
    fichier: iris_grd_quartier.csv
"""))
    z1, z2 = fichier.zones
    assert (z1.iris, z1.communes, z1.polygone) == (("422180101", "422180102"), ("42095",), None)
    assert z2.polygone == (tmp_path / "p.geojson").resolve() and z2.seuil == 0.3 and not z2.iris
    assert fichier.grands_quartiers[0].commune == "42218"


@pytest.mark.parametrize(("text", "ligne", "colonne", "mot"), [
    # An unquoted IRIS code is a number for YAML: it would lose a leading zero.
    ('zones:\n  - code: Z\n    libelle: L\n    iris:\n      - 422180101\n', 5, 9, "sans guillemets"),
    # An IRIS of a commune the zone already holds whole would be counted twice.
    ('zones:\n  - code: Z\n    libelle: L\n    communes: ["42218"]\n    iris: ["422180101"]\n', 5, 12, "deux fois"),
    ('zones:\n  - code: Z\n    libelle: L\n', 2, 5, "vide"),
    ('zones:\n  - code: Z\n    libelle: L\n    iris: ["422180101"]\n    seuil: 0.4\n', 5, 5, "polygone"),
    ('zones:\n  - code: Z\n    libelle: L\n    polygone: absent.geojson\n', 4, 15, "introuvable"),
    ('zones:\n  - code: Z\n    libelle: L\n    irs: ["422180101"]\n', 4, 5, "inconnue"),
    ('grands_quartiers:\n  - commune: 42218\n    source: s\n    fichier: f.csv\n', 2, 14, "guillemets"),
])
def test_a_wrong_zone_is_a_located_french_error(tmp_path, text, ligne, colonne, mot):
    with pytest.raises(OsqError) as err:
        load_zones(_yml(tmp_path, text))
    assert (err.value.ligne, err.value.colonne) == (ligne, colonne)
    assert mot in str(err.value)


def test_the_polygon_rule_keeps_the_iris_with_enough_of_their_area_inside():
    # Four 1 km squares side by side (metres); the polygon covers all of A, 60 % of B, 20 % of C, none of D.
    iris = gpd.GeoDataFrame({"code": ["A", "B", "C", "D"], "libelle": ["a", "b", "c", "d"]},
                            geometry=[box(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(4)], crs=2154)
    polygone = gpd.GeoSeries([box(0, 0, 1800, 1000).union(box(2000, 0, 2200, 1000))], crs=2154)
    out = parts_dans_polygone(iris, polygone, 0.5)
    assert list(out["code"]) == ["A", "B", "C"]  # D only touches the polygon's edge: no area inside
    assert np.allclose(out["part"], [1.0, 0.8, 0.2])
    assert list(out["retenu"]) == [True, True, False]
    assert list(parts_dans_polygone(iris, polygone, 0.9)["retenu"]) == [True, False, False]


class _Lecture:
    """A masked view over a small table of observations (the Lecture protocol)."""

    def __init__(self, obs: pd.DataFrame) -> None:
        self.glossaire = load_glossaire()
        self.obs = obs

    def observations(self, niveau, codes, indicateurs=None, annees=None):
        df = self.obs[(self.obs["niveau"] == niveau) & self.obs["code"].isin(list(codes))]
        return df[df["indicateur"].isin(list(indicateurs))] if indicateurs is not None else df

    def execute(self, sql, params=None):
        raise AssertionError("no query")


def _obs(rows):
    df = pd.DataFrame(rows, columns=["niveau", "code", "indicateur", "annee", "valeur", "numerateur", "denominateur",
                                     "statut"])
    return df.assign(estime=False, source="essai")


def test_a_zone_sums_its_iris_and_communes_and_recomputes_its_rates():
    zone = Territoire("zone", "Z", "Zone", communes=("42095",), iris=("422180101", "422180102"))
    vue = _Lecture(_obs([
        ("iris", "422180101", "allocataires_rsa", 2020, 100, 100, None, "ok"),
        ("iris", "422180102", "allocataires_rsa", 2020, 50, 50, None, "ok"),
        ("commune", "42095", "allocataires_rsa", 2020, 7, 7, None, "ok"),
        ("iris", "422180101", "part_0_14", 2016, 10.0, 100, 1000, "ok"),
        ("iris", "422180102", "part_0_14", 2016, 30.0, 300, 1000, "ok"),
        ("commune", "42095", "part_0_14", 2016, 20.0, 400, 2000, "ok"),
        ("iris", "422180101", "revenu_median", 2019, 19000, None, None, "ok"),
        ("iris", "422180102", "revenu_median", 2019, 21000, None, None, "ok"),
        ("commune", "42095", "revenu_median", 2019, 22000, None, None, "ok"),
    ]))
    out = zone_observations(vue, zone, ["allocataires_rsa", "part_0_14", "revenu_median"]).set_index("indicateur")
    assert out.loc["allocataires_rsa", "valeur"] == 157
    assert out.loc["part_0_14", "valeur"] == pytest.approx(800 / 4000 * 100)  # 20 %, not the mean of 10, 30, 20
    assert "revenu_median" not in out.index  # a median is never computed for a zone


@pytest.mark.parametrize(("statut", "attendu"), [("secret", "secret"), ("absent", "absent")])
def test_one_secret_or_missing_iris_makes_the_zone_figure_not_computable(statut, attendu):
    zone = Territoire("zone", "Z", "Zone", iris=("422180101", "422180102", "422180103"))
    rows = [("iris", "422180101", "allocataires_rsa", 2020, 100, 100, None, "ok"),
            ("iris", "422180102", "allocataires_rsa", 2020, None, None, None, statut)]
    out = zone_observations(_Lecture(_obs(rows)), zone, ["allocataires_rsa"])
    assert out["statut"].tolist() == [attendu] and out["valeur"].isna().all()  # never 100, never 0
    # The third IRIS is not in the file at all: the zone stays absent, the missing IRIS is not a 0.
    out = zone_observations(_Lecture(_obs(rows[:1])), zone, ["allocataires_rsa"])
    assert out["statut"].tolist() == ["absent"]


def test_a_zone_differing_from_its_commune_by_one_masked_iris_does_not_reveal_it():
    # Commune C = IRIS a + b + c + d; zone Z = a + b + c; d is masked. Without the zone, masking one more IRIS of
    # C protects d; with Z published, C - Z = d: the secondary suppression must know the zone.
    zone = Zone("Z", "Zone", ("a", "b", "c"), (), "zones.yml", "essai")
    values = {"iris:a": 40.0, "iris:b": 12.0, "iris:c": 30.0, "iris:d": 7.0}
    frame = pd.DataFrame({"cle": [*values, "commune:C", "zone:Z"], "valeur": [*values.values(), 89.0, 82.0],
                          "statut": ["ok", "ok", "ok", "secret", "ok", "ok"], "indicateur": "x", "annee": 2020})
    groupes = {"commune:C": ["iris:a", "iris:b", "iris:c", "iris:d"]}
    assert groupes_zones({"Z": zone}) == {"zone:Z": ["iris:a", "iris:b", "iris:c"]}

    def revealed(protected, groups):
        hidden = set(protected.loc[protected["statut"] == "secret", "cle"])
        cons = [(parts, total) for total, parts in groups.items()]
        return recoverable(dict(zip(frame["cle"], frame["valeur"])), hidden, cons)

    naive = apply_to_table(frame, groupes=groupes, code="cle")
    assert revealed(naive, {**groupes, **groupes_zones({"Z": zone})})  # the commune's complement alone leaks d
    safe = apply_to_table(frame, groupes={**groupes, **groupes_zones({"Z": zone})}, code="cle")
    assert not revealed(safe, {**groupes, **groupes_zones({"Z": zone})})
    assert safe.loc[safe["cle"] == "iris:d", "statut"].item() == "secret"

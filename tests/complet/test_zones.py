"""Zones made of IRIS or communes on the real files: Saint-Étienne's grands quartiers (data/zones/saint-etienne.yml)
against the producers' own files read here (CNAF by IRIS, census 2016 by IRIS, the IRIS → grand quartier table),
a polygon zone drawn from the real IRIS contours, a zone of communes, the note executed by papermill, the plan,
the exports and the ledger of masked values."""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest

from osq_utils import indicateurs
from osq_utils.batch import exports
from osq_utils.batch.execute import JobResult
from osq_utils.batch.plan import plan
from osq_utils.catalogues.racine import PROJECT_ROOT, chemin_donnees
from osq_utils.errors import OsqError
from osq_utils.indicateurs import zones
from osq_utils.notes import territoires_montres
from osq_utils.notes import zone as zone_note
from osq_utils.present import fr
from osq_utils.secret import registre
from osq_utils.secret.vue import Vue, base

SAINT_ETIENNE = "42218"
ZONES_SE = PROJECT_ROOT / "data" / "zones" / "saint-etienne.yml"
CAF = {"allocataires_caf": ["A"], "personnes_couvertes_caf": ["PERCOU"], "allocataires_rsa": ["ARSAS"],
       "allocataires_aah": ["AAAH"], "allocataires_aide_logement": ["AAL", "AAPL"]}


@pytest.fixture(autouse=True)
def _sources_du_miroir(mirror, monkeypatch):
    """The grands quartiers' table is read where `osq sources` puts it: here, the mirror itself."""
    monkeypatch.setenv("OSQ_SOURCES", str(mirror))


def _grands_quartiers(mirror) -> dict[str, list[str]]:
    """Saint-Étienne's grands quartiers from the table itself (leading zeros stripped: re-padded)."""
    out: dict[str, list[str]] = {}
    with open(mirror / "ign-contours-iris-42" / "iris_grd_quartier.csv", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            iris, gq = row["IRIS"].zfill(9), row["GRD_QUART"].zfill(7)
            if iris.startswith(SAINT_ETIENNE):
                out.setdefault(gq, []).append(iris)
    return out


def _caf(mirror, year: int) -> dict[str, dict[str, str]]:
    with open(mirror / "cnaf-caf-iris-2016-2020" / f"data_CAF_{year}_IRIS.csv", encoding="utf-8-sig") as fh:
        return {r["CODGEO"]: r for r in csv.DictReader(fh, delimiter=";") if r["CODGEO"].startswith(SAINT_ETIENNE)}


def _somme(rows: list[dict[str, str] | None], cols: list[str]) -> float | None:
    """The sum of the producer's cells, or None when one IRIS is missing or one cell is blank (secret)."""
    if any(r is None or any(not r[c].strip() for c in cols) for r in rows):
        return None
    # Some years print thousands with a narrow no-break space (« 1 108 »).
    return float(sum(int(r[c].replace("\u202f", "").replace("\xa0", "")) for r in rows for c in cols))  # type: ignore[index]


def test_saint_etienne_grands_quartiers_partition_its_iris(con, mirror):
    table = _grands_quartiers(mirror)
    found = zones.zones_du_fichier(con, ZONES_SE)
    assert {c: sorted(z.iris) for c, z in found.items()} == {gq: sorted(i) for gq, i in table.items()}
    # The table holds 24 grands quartiers for Saint-Étienne (4221801 to 4221824), 78 IRIS, none twice.
    assert sorted(found) == [f"42218{n:02d}" for n in range(1, 25)]
    iris = [i for z in found.values() for i in z.iris]
    assert len(iris) == len(set(iris)) == 78
    assert found["4221801"].libelle == "Saint-Étienne – grand quartier 01"  # no invented name


def test_grands_quartiers_counts_are_the_sums_of_their_iris_in_the_cnaf_files(vue, mirror):
    found = zones.zones_du_fichier(vue, ZONES_SE)
    checked = secret = 0
    for year in range(2016, 2021):
        caf = _caf(mirror, year)
        for z in found.values():
            obs = indicateurs.zone_observations(vue, z.territoire, list(CAF))
            for ind, cols in CAF.items():
                row = obs[(obs["indicateur"] == ind) & (obs["annee"] == year)]
                expected = _somme([caf.get(i) for i in z.iris], cols)
                if expected is None:  # a blank IRIS cell: the zone is secret or absent, never a partial sum
                    assert row["statut"].item() in ("secret", "absent") and row["valeur"].isna().all()
                    secret += 1
                else:
                    assert row["statut"].item() == "ok" and row["valeur"].item() == expected, (z.code, ind, year)
                    checked += 1
    assert checked > 500 and secret > 0


def test_grands_quartiers_census_shares_are_recomputed_from_the_iris_file(vue, mirror):
    with open(mirror / "insee-rp-2016-iris" / "IRIS_population_IR_Hab.csv", encoding="utf-8") as fh:
        rp = {r["IRIS"]: r for r in csv.DictReader(fh) if r["IRIS"].startswith(SAINT_ETIENNE)}
    ages = ["P16_POP0014", "P16_POP1529", "P16_POP3044", "P16_POP4559", "P16_POP6074", "P16_POP75P"]
    z = zones.zone(vue, "4221801", ZONES_SE)
    obs = indicateurs.zone_observations(vue, z.territoire, ["part_0_14", "part_60_plus"]).set_index("indicateur")
    num = sum(float(rp[i]["P16_POP0014"]) for i in z.iris)
    den = sum(float(rp[i][c]) for i in z.iris for c in ages)
    assert math.isclose(obs.loc["part_0_14", "valeur"], num / den * 100, rel_tol=1e-9)
    assert math.isclose(obs.loc["part_0_14", "denominateur"], den, rel_tol=1e-9)
    # The population covered is that census population (9 260 inhabitants for grand quartier 01).
    assert zone_note.texte_population(zone_note.population(vue, z)).startswith(f"Population couverte : {fr.nombre(den)}")
    # An IRIS created after 2016 (not in the census file) leaves the population of its zone uncomputed, never partial.
    newer = next(zz for zz in zones.zones_du_fichier(vue, ZONES_SE).values() if any(i not in rp for i in zz.iris))
    assert "non calculée" in zone_note.texte_population(zone_note.population(vue, newer))


def _polygone(tmp_path: Path, mirror, iris: list[str], metres: float) -> Path:
    """The IRIS' real contours (iris_42.geojson) merged and grown by `metres`, as a GeoJSON polygon."""
    gdf = gpd.read_file(mirror / "ign-contours-iris-42" / "iris_42.geojson")
    shape = gdf[gdf["code_iris"].isin(iris)].to_crs(2154).geometry.union_all().buffer(metres)
    path = tmp_path / "perimetre.geojson"
    gpd.GeoSeries([shape], crs=2154).to_crs(4326).to_file(path, driver="GeoJSON")
    return path


def test_a_polygon_zone_keeps_the_iris_mostly_inside_and_says_why(con, vue, mirror, tmp_path):
    gq01 = _grands_quartiers(mirror)["4221801"]
    _polygone(tmp_path, mirror, gq01, 30)  # grand quartier 01 and a 30 m margin over its neighbours
    path = tmp_path / "zones.yml"
    path.write_text("zones:\n  - code: PERIM\n    libelle: Périmètre d'essai\n    polygone: perimetre.geojson\n",
                    encoding="utf-8")
    z = zones.zones_du_fichier(con, path)["PERIM"]
    sel = z.selection
    assert sel is not None
    # Kept: the four IRIS of grand quartier 01, wholly inside; touched by the margin, each under half inside: rejected.
    assert sorted(z.iris) == sorted(gq01)
    # The shares, recomputed here from the producer's contours (iris_42.geojson), in Lambert-93.
    contours = gpd.read_file(mirror / "ign-contours-iris-42" / "iris_42.geojson").to_crs(2154).set_index("code_iris")
    perimetre = gpd.read_file(tmp_path / "perimetre.geojson").to_crs(2154).geometry.union_all()
    for code, part in zip(sel["code"], sel["part"]):
        shape = contours.loc[code, "geometry"]
        assert math.isclose(part, shape.intersection(perimetre).area / shape.area, abs_tol=1e-6)
    assert (sel.loc[sel["retenu"], "part"] > 0.99).all()
    rejected = sel[~sel["retenu"]]
    assert len(rejected) >= 3 and (rejected["part"] < 0.5).all() and (rejected["part"] > 0).all()
    assert "au moins 50 % de sa surface" in z.regle and f"{len(gq01)} IRIS retenus sur {len(sel)} touchés" in z.regle
    table = zone_note.tableau_selection(vue, z)
    assert table.count("| oui |") == len(gq01) and table.count("| non |") == len(rejected)
    # A threshold above every neighbour's share but 1: the same four; a polygon away from any IRIS: a located error.
    path.write_text("zones:\n  - code: PERIM\n    libelle: P\n    polygone: perimetre.geojson\n    seuil: 0.999\n",
                    encoding="utf-8")
    assert sorted(zones.zones_du_fichier(con, path)["PERIM"].iris) == sorted(gq01)
    (tmp_path / "mer.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [
            [[-30, 40], [-29, 40], [-29, 41], [-30, 41], [-30, 40]]]}}]}), encoding="utf-8")
    path.write_text("zones:\n  - code: MER\n    libelle: Mer\n    polygone: mer.geojson\n", encoding="utf-8")
    with pytest.raises(OsqError) as err:
        zones.zones_du_fichier(con, path)
    assert err.value.ligne == 4 and "aucun IRIS" in str(err.value)


def test_a_zone_of_communes_sums_them(vue, mirror, tmp_path):
    # Saint-Étienne and Saint-Chamond (42207): CAF recipients, from the CNAF file's IRIS of both communes.
    path = tmp_path / "zones.yml"
    path.write_text('zones:\n  - code: DEUX\n    libelle: Deux communes\n    communes: ["42218", "42207"]\n',
                    encoding="utf-8")
    z = zones.zones_du_fichier(vue, path)["DEUX"]
    with open(mirror / "cnaf-caf-iris-2016-2020" / "data_CAF_2020_IRIS.csv", encoding="utf-8-sig") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter=";") if r["CODGEO"][:5] in ("42218", "42207")]
    obs = indicateurs.zone_observations(vue, z.territoire, ["allocataires_caf"])
    assert obs[obs["annee"] == 2020]["valeur"].item() == _somme(rows, ["A"])
    refs = zone_note.references(vue, z)
    assert [t.niveau for t in refs] == ["zone", "commune", "commune", "epci", "departement", "france"]


def _papermill(tmp_path: Path, store_file: Path, code: str, zones_file: Path) -> str:
    out = tmp_path / f"zone-{code}.ipynb"
    proc = subprocess.run([sys.executable, "-m", "papermill", str(PROJECT_ROOT / "notebooks" / "note_zone.ipynb"),
                           str(out), "-r", "code_zone", code, "-r", "zones", str(zones_file), "-r", "store",
                           str(store_file), "-p", "imprimables", "False", "-k", "python3"],
                          capture_output=True, text=True, timeout=600, cwd=PROJECT_ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    nb = json.loads(out.read_text(encoding="utf-8"))
    return "\n".join("".join(o.get("data", {}).get(k, "")) for c in nb["cells"] for o in c.get("outputs", [])
                     for k in ("text/markdown", "text/html"))


def test_the_zone_note_of_a_grand_quartier_shows_the_sum_of_its_iris(store_file, mirror, tmp_path):
    caf = _caf(mirror, 2020)
    iris = _grands_quartiers(mirror)["4221801"]
    text = _papermill(tmp_path, store_file, "4221801", ZONES_SE)
    total = _somme([caf[i] for i in iris], ["A"])
    rsa = _somme([caf[i] for i in iris], ["ARSAS"])
    assert f"[{fr.nombre(total)}]{{.kpi-valeur}}" in text and f"[{fr.nombre(rsa)}]{{.kpi-valeur}}" in text
    assert "Chiffres non publiés pour la zone" in text and "Niveau de vie médian" in text
    assert "République (422180101)" in text  # the IRIS named, from the store's IRIS table


def test_the_zone_note_of_communes_runs(store_file, tmp_path):
    path = tmp_path / "zones.yml"
    path.write_text('zones:\n  - code: DEUX\n    libelle: Deux communes\n    communes: ["42218", "42207"]\n',
                    encoding="utf-8")
    text = _papermill(tmp_path, store_file, "DEUX", path)
    assert "2 communes entières" in text and "Saint-Chamond (42207)" in text
    # Its parts are its communes: their table (and map) instead of IRIS.
    assert "Les communes de Deux communes" in text


def test_the_plan_the_exports_and_the_ledger_know_the_zones(store_file, con, monkeypatch):
    monkeypatch.chdir(PROJECT_ROOT)  # the params file's paths are relative to where osq runs
    p = plan(con, PROJECT_ROOT / "params" / "saint-etienne.yml")
    jobs = [j for j in p.jobs if j.modele == "note_zone"]
    assert [j.slug for j in jobs] == [f"zone-42218{n:02d}" for n in range(1, 25)]
    montres = territoires_montres(con, jobs)
    assert montres["zone"] == {j.code for j in jobs} and len(montres["iris"]) == 78
    ledger = registre.calculer(base(store_file), montres, "public")
    # The CNAF rule (no figure for an IRIS under 100 recipients) masks La Dame Blanche's covered persons in 2017:
    # grand quartier 14, which holds it, is secret that year through the masked view, as is the IRIS.
    cell = ledger[(ledger["niveau"] == "iris") & (ledger["code"] == "422181401")]
    assert set(cell["indicateur"]) == {"personnes_couvertes_caf"} and set(cell["annee"]) == {2017}
    keys = frozenset(zip(ledger["niveau"], ledger["code"], ledger["indicateur"], ledger["annee"].astype(int)))
    vue = Vue.ouvrir(store_file, keys)
    z14 = zones.zone(vue, "4221814", ZONES_SE)
    obs = indicateurs.zone_observations(vue, z14.territoire, ["personnes_couvertes_caf"])
    assert obs[obs["annee"] == 2017]["statut"].item() == "secret"
    # A zone's own cell under a rule's threshold is in the ledger and masked (the census rule on HLM dwellings).
    zone_cells = ledger[ledger["niveau"] == "zone"]
    for _, r in zone_cells.iterrows():
        z = zones.zone(vue, r["code"], ZONES_SE)
        o = indicateurs.zone_observations(vue, z.territoire, [r["indicateur"]])
        assert o[o["annee"] == r["annee"]]["statut"].item() == "secret"
    # The exports: the zones' figures, masks applied, labelled.
    results = [JobResult(j, "ok", 0.0, None, Path("journal")) for j in jobs[:1]]
    frame = exports.chiffres_publies(results, store_file, None, "public")
    row = frame[(frame["niveau"] == "zone") & (frame["indicateur"] == "allocataires_caf") & (frame["annee"] == 2020)]
    assert row["territoire"].item() == "Saint-Étienne – grand quartier 01"
    assert row["valeur"].item() == indicateurs.zone_observations(
        vue, zones.zone(vue, "4221801", ZONES_SE).territoire, ["allocataires_caf"]).query("annee == 2020")["valeur"].item()


def test_a_zones_file_outside_data_zones_is_refused_with_its_line(con, tmp_path):
    params = tmp_path / "p.yml"
    (tmp_path / "z.yml").write_text('zones:\n  - code: Z\n    libelle: Z\n    iris: ["422180101"]\n', encoding="utf-8")
    params.write_text(f"observatoire:\n  id: essai\nnotes:\n  - modele: note_zone\n    zones: {tmp_path / 'z.yml'}\n",
                      encoding="utf-8")
    with pytest.raises(OsqError) as err:
        plan(con, params)
    assert err.value.ligne == 5 and "dossier des zones" in str(err.value)


def test_the_guide_commands_build_its_example_zones(store_file, mirror, tmp_path):
    """docs/guides/zones-iris.md: copy the example into data/zones/, osq check, osq build (a copy of data/)."""
    data = tmp_path / "data"
    shutil.copytree(chemin_donnees(), data, ignore=shutil.ignore_patterns("osq.duckdb*", "sources"))
    exemples = PROJECT_ROOT / "docs" / "guides" / "exemples"
    for name in ("zones-exemple.yml", "perimetre-exemple.geojson"):
        shutil.copy(exemples / name, data / "zones" / name)
    env = {**os.environ, "OSQ_DONNEES": str(data), "OSQ_STORE": str(store_file), "OSQ_SOURCES": str(mirror),
           "OSQ_QUARTO": "non"}

    def osq(*args):
        # From the observatory's folder: its data/ is the copy (paths of a params file are relative to it).
        proc = subprocess.run([sys.executable, "-m", "osq_utils.cli", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc

    params = shutil.copy(exemples / "params-zones.yml", tmp_path / "params-zones.yml")
    osq("check", str(params))
    osq("build", str(params), "--jobs", "1", "--sortie", str(tmp_path / "rapports"))
    site = tmp_path / "rapports" / "zones-exemple" / "site"
    page = (site / "notes" / "zone-SE-PERIMETRE-EXEMPLE.html").read_text(encoding="utf-8")
    # The polygon's rule and the IRIS it kept, as computed from the store's contours.
    z = zones.zones_du_fichier(base(store_file).con, data / "zones" / "zones-exemple.yml")["SE-PERIMETRE-EXEMPLE"]
    assert "au moins 50" in page and all(f"({code})" in page for code in z.iris)
    listed = (site / "notes" / "zone-SE-IRIS-EXEMPLE.html").read_text(encoding="utf-8")
    assert "La Dame Blanche (422181401)" in listed
    chiffres = (site / "donnees" / "chiffres.csv").read_text(encoding="utf-8-sig")
    assert "zone;SE-IRIS-EXEMPLE;" in chiffres

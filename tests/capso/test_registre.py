
"""The secret statistique of a build: the ledger of masked figures, applied to every read through the masked view."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from osq_utils.batch.plan import Job
from osq_utils.catalogues.racine import PROJECT_ROOT, chemin_donnees
from osq_utils.catalogues.secret import load_rules
from osq_utils.errors import OsqError
from osq_utils.notes import territoires_montres
from osq_utils.secret import registre
from osq_utils.secret.vue import Vue, base


def _job(modele: str, code: str, **parametres) -> Job:
    return Job(modele, "commune", code, code, f"x-{code}", parametres)


def test_the_view_refuses_to_read_figures_around_the_masks(store_file):
    vue = Vue.ouvrir(store_file)
    assert vue.execute("SELECT count(*) FROM territoires WHERE niveau = 'commune' AND code = '62040'").fetchone()[0] > 0
    with pytest.raises(OsqError, match="hors de la vue masquée"):
        vue.execute("SELECT valeur FROM observations WHERE code = '62040'")
    with pytest.raises(OsqError):
        vue.execute("select * from OBSERVATIONS")


def test_a_few_territories_read_one_by_one_equal_the_same_read_in_one_query(store_file, monkeypatch):
    # A note's territory and references are chosen and masked once each (Vue._territoire), then narrowed to the
    # indicators and years asked; many territories go through one query. Both give the same rows, masks included:
    # Wismes (62622) and 62696 masked for 2018 households, as the complementary-cell test finds them.
    from osq_utils.secret import vue as vue_module

    masques = frozenset({("commune", "62622", "nb_menages_fiscaux", 2018), ("commune", "62696", "nb_menages_fiscaux", 2018)})
    vue = Vue.ouvrir(store_file, masques)
    codes = ["62622", "62696", "62040"]
    inds = ["nb_menages_fiscaux", "revenu_median", "taux_pauvrete", "inexistant"]
    asks = [(None, None), (inds, None), (inds, {"nb_menages_fiscaux": 2018, "taux_pauvrete": 2019})]
    few = [vue._observations("commune", c, i, a) for c in (codes[:1], codes) for i, a in asks]
    monkeypatch.setattr(vue_module, "_MANY", 0)
    many = [vue._observations("commune", c, i, a) for c in (codes[:1], codes) for i, a in asks]
    for a, b in zip(few, many):
        # DuckDB gives « decimales » as Int16 when a query's rows hold a null, int16 otherwise: same values.
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
    wismes = few[4].query("code == '62622' and indicateur == 'nb_menages_fiscaux' and annee == 2018")
    assert wismes["statut"].tolist() == ["secret"] and wismes["valeur"].isna().all()


def test_parents_and_labels_read_for_a_whole_level_equal_one_query_each(store_file):
    # On a read-only store, territoires.parent and libelle read a whole level once (a ledger or a région reads
    # thousands of communes); each answer equals the query of that one territory, latest COG year first: the
    # communes of the Pas-de-Calais, one in ten (Dennebrœucq, 62267, was also spelt Dennebroeucq in the 2019 COG).
    from osq_utils import store, territoires

    con = store.connect(store_file, read_only=True)
    assert store.version_key(con) is not None  # the path under test
    un = ("SELECT {col} FROM {table} WHERE niveau = ? AND code = ? {et} ORDER BY cog DESC LIMIT 1")
    codes = [r[0] for r in con.execute("SELECT DISTINCT code FROM appartenances WHERE niveau = 'commune' AND "
                                       "niveau_parent = 'departement' AND code_parent = '62' ORDER BY code").fetchall()]
    assert len(codes) > 850 and "62267" in codes
    for code in [*codes[::10], "62267", "62040", "75056", "99999"]:
        for niveau_parent in ("epci", "ept", "departement", "strate"):
            row = con.execute(un.format(col="code_parent", table="appartenances", et="AND niveau_parent = ?"),
                              ["commune", code, niveau_parent]).fetchone()
            assert territoires.parent(con, "commune", code, niveau_parent) == (row[0] if row else None), code
        row = con.execute(un.format(col="libelle", table="territoires", et=""), ["commune", code]).fetchone()
        assert territoires.libelle(con, "commune", code) == (row[0] if row else None), code
        assert territoires.existe(con, "commune", code) == (row is not None)
    assert territoires.libelle(con, "commune", "62267") == "Dennebrœucq"
    assert territoires.parent(con, "arm", "75112", "commune") == "75056"


def test_complementary_cell_protects_a_masked_commune_of_the_epci(store_file, tmp_path):
    # With a household threshold of 90 (a convention stricter than INSEE's), Wismes (62622, NBMENFISC18 = 88 in
    # FILO2018_DISP_COM.csv) is masked; the CAPSO total (42 998) would give it back by subtraction, so the
    # smallest other commune, 62696 (90 households), is masked too, with its true value in the ledger.
    rules_dir = tmp_path / "secret"
    shutil.copytree(chemin_donnees("secret"), rules_dir)
    rule = rules_dir / "insee-filosofi-2014-2019-disp.yml"
    rule.write_text(rule.read_text(encoding="utf-8").replace("seuils: {public: 50, partenaires: 50}",
                                                            "seuils: {public: 90, partenaires: 50}"), encoding="utf-8")
    rules = load_rules(rules_dir)
    b = base(store_file)
    montres = territoires_montres(b.con, [Job("note_epci", "epci", "200069037", "CAPSO", "epci-200069037", {})])
    ledger = registre.calculer(b, montres, "public", regles=rules)
    households = ledger[(ledger["indicateur"] == "nb_menages_fiscaux") & (ledger["annee"] == 2018)]
    assert households[["code", "valeur", "regle"]].values.tolist() == [
        ["62622", 88.0, "moins_de_50_menages"], ["62696", 90.0, "secret secondaire"]]
    partenaires = registre.calculer(b, montres, "partenaires", regles=rules)
    assert not ((partenaires["code"] == "62622") & (partenaires["annee"] == 2018)).any()


def test_each_kind_of_note_says_which_territories_it_shows(con):
    evaluation = territoires_montres(con, [Job("evaluation_cdv", "epci", "200069037", "CAPSO", "evaluation-200069037",
                                               {"qpv": ["QP062036"]})])
    assert evaluation["qpv"] == {"QP062036"} and evaluation["epci"] == {"200069037"}
    commune = territoires_montres(con, [_job("note_communale", "62040")])
    assert "62765" in commune["commune"] and commune["epci"] == {"200069037"} and commune["departement"] == {"62"}
    abs_ = territoires_montres(con, [_job("abs_ccas", "62765")])
    assert {"627650101", "627650201"} <= abs_["iris"]


def _data_copy(tmp_path):
    """The project's reference files (data/ without the store and the fetched sources), to edit in a test."""
    dest = tmp_path / "donnees"
    shutil.copytree(chemin_donnees(), dest, ignore=shutil.ignore_patterns("osq.duckdb*", "sources"))
    return dest


@pytest.mark.slow
def test_evaluation_only_build_never_publishes_a_masked_qpv_figure(store_file, tmp_path):
    """Regression: the masks used to cover the territories of a note's own code only, so an evaluation note
    (about an EPCI) showed the figures of its QPVs unmasked, and the audit, reading the same ledger, missed it."""
    data = _data_copy(tmp_path)
    rule = data / "secret" / "insee-anct-qpv-2015.yml"
    rule.write_text(rule.read_text(encoding="utf-8") + (
        "  - id: essai_taux_de_pauvrete_qpv\n"
        "    indicateurs: [taux_pauvrete]\n"
        "    niveaux: [qpv]\n"
        "    variable: valeur\n"
        "    seuils: {public: 59.9, partenaires: 0}\n"
        "    description: Règle d'essai qui masque les taux de pauvreté de quartier inférieurs à 59,9 %.\n"),
        encoding="utf-8")
    params = tmp_path / "evaluation.yml"
    params.write_text(
        "observatoire:\n  id: essai\n  titre: Essai\nnotes:\n  - modele: evaluation_cdv\n"
        '    territoires: {epci: "200069037"}\n    parametres:\n      qpv: ["QP062036"]\n', encoding="utf-8")
    env = {**os.environ, "OSQ_STORE": str(store_file), "OSQ_QUARTO": "non", "OSQ_DONNEES": str(data)}
    proc = subprocess.run([sys.executable, "-m", "osq_utils.cli", "build", str(params), "--jobs", "1",
                           "--sortie", str(tmp_path / "rapports")], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    root = tmp_path / "rapports" / "essai"
    ledger = registre.lire(root / "masques-public.csv")
    # Insee/ANCT, data_filo16_qp_revdis.csv: tp60_a16 = 59,8 for QP062036.
    masked = ledger[(ledger["code"] == "QP062036") & (ledger["indicateur"] == "taux_pauvrete") & (ledger["annee"] == 2016)]
    assert masked["valeur"].tolist() == [59.8]
    site = root / "site"
    page = (site / "notes" / "evaluation-200069037.html").read_text(encoding="utf-8")
    assert "59,8" not in page and "Montreynaud" not in page
    export = pd.read_csv(site / "donnees" / "chiffres.csv", sep=";", decimal=",", dtype={"code": str})
    row = export[(export["code"] == "QP062036") & (export["indicateur"] == "taux_pauvrete") & (export["annee"] == 2016)]
    assert row["statut"].tolist() == ["secret"] and row["valeur"].isna().all()
    for path in site.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".csv", ".json"):
            assert "59,8" not in path.read_text(encoding="utf-8", errors="replace"), path

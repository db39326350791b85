"""Planning the notes of an observatory: every kind of note, themes, the analyst's enjeux, located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from osq_utils.batch.plan import plan
from osq_utils.catalogues.themes import theme_labels
from osq_utils.notes import TYPES as TEMPLATES
from osq_utils.errors import OsqError


def _params(tmp_path: Path, notes: str) -> Path:
    path = tmp_path / "obs.yml"
    path.write_text("observatoire:\n  id: essai\n  titre: Essai\nnotes:\n" + notes, encoding="utf-8")
    return path


def test_every_kind_of_note_is_planned(con, tmp_path, monkeypatch):
    enjeux = tmp_path / "enjeux"
    enjeux.mkdir()
    (enjeux / "62040-sante.md").write_text("Renforcer l'offre de médecins généralistes.\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    params = _params(tmp_path, """\
  - modele: note_quartier
    territoires: {epci: "200069037"}
  - modele: note_epci
    territoires: {communes: ["62040", "62765"]}
  - modele: abs_ccas
    territoires: {communes: ["62040", "62765"]}
    themes: [sante, revenus]
    enjeux: enjeux
  - modele: evaluation_cdv
    territoires: {epci: "200069037"}
    parametres: {qpv: ["QP062036"]}
""")
    jobs = plan(con, params).jobs
    slugs = [j.slug for j in jobs]
    # The CAPSO's communes hold three QPV of the 2015 geography (ANCT contours, COMMUNE_QP): two in
    # Arques/Longuenesse/Saint-Omer, and Centre Historique in Aire-sur-la-Lys.
    assert [s for s in slugs if s.startswith("quartier-")] == ["quartier-QP062036", "quartier-QP062037",
                                                              "quartier-QP062058"]
    assert "epci-200069037" in slugs and slugs.count("epci-200069037") == 1  # two communes, one EPCI
    assert [s for s in slugs if s.startswith("abs-")] == ["abs-62040-sante", "abs-62040-revenus",
                                                         "abs-62765-sante", "abs-62765-revenus"]
    abs_sante = next(j for j in jobs if j.slug == "abs-62040-sante")
    assert abs_sante.parametres == {"code_commune": "62040", "theme": "sante",
                                    "enjeux": "Renforcer l'offre de médecins généralistes.",
                                    "enjeux_fichier": "enjeux/62040-sante.md"}
    assert abs_sante.titre == f"Arques · {theme_labels()['sante']}"
    assert next(j for j in jobs if j.slug == "abs-62765-sante").parametres["enjeux"] == ""
    evaluation = next(j for j in jobs if j.modele == "evaluation_cdv")
    assert evaluation.parametres == {"code_epci": "200069037", "qpv": ["QP062036"]}
    assert {j.modele for j in jobs} == set(TEMPLATES) - {"note_communale"}


@pytest.mark.parametrize("notes, line, message", [
    ('  - modele: abs_ccas\n    territoires: {communes: ["62040"]}\n    themes: [sante, loisirs]\n', 7, "thème « loisirs » inconnu"),
    ('  - modele: note_quartier\n    territoires:\n      qpv: ["QP062036", "QP999999"]\n', 7, "QP999999"),
    ('  - modele: abs_ccas\n    territoires: {communes: ["62040"]}\n    enjeux: dossier/absent\n', 7, "introuvable"),
    ('  - modele: note_epci\n    territoires:\n      epci: ["200069037", "999999999"]\n', 7, "EPCI « 999999999 » inconnu"),
])
def test_bad_params_are_located(con, tmp_path, notes, line, message):
    with pytest.raises(OsqError) as err:
        plan(con, _params(tmp_path, notes))
    assert message in str(err.value)
    assert err.value.ligne == line

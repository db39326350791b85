
"""ABS of a CCAS: themes, population strata, stratum aggregates, IRIS tables and the notebook."""

from __future__ import annotations

import pytest

from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.catalogues.strates import strate_of
from osq_utils.catalogues.themes import load_themes, theme_abs
from osq_utils.errors import OsqError
from osq_utils.notes import abs_ccas

ENJEUX = PROJECT_ROOT / "params" / "capso" / "enjeux"


# --- Themes --------------------------------------------------------------------------------


def test_abs_themes_reference_glossary_codes(glossaire):
    themes = load_themes(glossaire=glossaire)
    assert list(themes) == ["socio_demographie_habitat", "sante", "emploi_revenus_mobilite"]
    assert "densite_medecins_generalistes" in themes["sante"].chiffres_cles
    assert themes["emploi_revenus_mobilite"].iris_carte == "taux_pauvrete"
    assert "mobilité" in themes["emploi_revenus_mobilite"].donnees_absentes


def test_glossary_theme_is_accepted_with_all_its_indicators(glossaire):
    th = theme_abs("prestations", glossaire)
    assert set(th.comparaison) == {i.code for i in glossaire.par_theme("prestations")}
    assert th.verbatims == ("prestations",)


def test_unknown_theme_is_a_french_error_naming_the_file(glossaire):
    with pytest.raises(OsqError) as err:
        theme_abs("logements_vacants", glossaire)
    text = str(err.value)
    assert "thème « logements_vacants » inconnu" in text
    assert "data/abs/themes.yml" in text
    assert "socio_demographie_habitat" in text and "revenus" in text


# --- Strata ----------------------------------------------------------------------------------


def test_strata_bounds():
    assert strate_of(1_999).code == "0-1999"
    assert strate_of(2_000).code == "2000-4999"
    assert strate_of(99_999.5).code == "50000-99999"
    assert strate_of(100_000).code == "100000+"
    assert strate_of(float("nan")) is None


def test_enjeux_markdown():
    empty = abs_ccas.enjeux_markdown("", "62040", "sante")
    assert "callout-note" in empty and "62040-sante.md" in empty
    named = abs_ccas.enjeux_markdown("", "62040", "sante", "params/vdm/enjeux/62040-sante.md")
    assert "`params/vdm/enjeux/62040-sante.md`" in named
    # The analyst's text wins over the draft, and is said to be theirs.
    own = abs_ccas.enjeux_markdown("# Titre\n## Sous-titre\ntexte", "62040", "sante", brouillon="- Constat.")
    assert own == "### Titre\n#### Sous-titre\ntexte\n\n*Enjeux rédigés par l'analyste de l'observatoire.*\n"
    # Without it, the commentary's draft, said to be a proposal to rework, and where to write the text.
    draft = abs_ccas.enjeux_markdown("", "62040", "sante", brouillon="- Taux de pauvreté : constat.")
    assert "proposition à reprendre" in draft and "- Taux de pauvreté : constat." in draft and "62040-sante.md" in draft


def test_demo_enjeux_files_cite_their_source():
    files = sorted(ENJEUX.glob("*.md"))
    assert [f.name for f in files] == sorted(f"{c}-{t}.md" for c in ("62040", "62525", "62765")
                                             for t in ("socio_demographie_habitat", "sante", "emploi_revenus_mobilite"))
    for f in files:
        assert "AUD Saint-Omer" in f.read_text(encoding="utf-8")
    # Figures as printed in the AUD document: Arques' poverty rate 23 % (2014), 21 % (2018).
    assert "21 % en 2018" in (ENJEUX / "62040-emploi_revenus_mobilite.md").read_text(encoding="utf-8")


# --- Notebook ----------------------------------------------------------------------------------

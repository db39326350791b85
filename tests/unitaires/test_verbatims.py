
"""Verbatims: the demo file against the real store, located errors, pseudonymisation, selection, rendering."""

from __future__ import annotations

import csv
import random

import pytest
from exemples import VALID, where, write

from osq_utils.catalogues import verbatims as V
from osq_utils.errors import OsqError
from osq_utils.present.verbatims import bloc_verbatims, date_fr, markdown_text


def make(ident, theme="logement", territoire=("commune", "62765"), diffusion="public", texte=None, **kw):
    return V.Verbatim(id=ident, texte=texte or f"Texte {ident}.", theme=theme, territoire=territoire,
                      locuteur=kw.get("locuteur", "habitant"), structure=kw.get("structure"), date=kw.get("date", "2022"),
                      atelier=kw.get("atelier", "atelier test"), diffusion=diffusion,
                      source=V.Source("Document test", "Éditeur", 2022, None), attribution=kw.get("attribution"))


# --- Demo file and reference lists ------------------------------------------------


def test_themes_cover_the_glossary(glossaire):
    themes = V.load_themes()
    assert set(glossaire.themes) <= set(themes)
    assert {"education", "cadre_de_vie", "tranquillite", "lien_social", "acces_aux_droits", "mobilite",
            "observation"} <= set(themes)


# --- Located errors ----------------------------------------------------------------

ERROR_CASES = [
    # (name, old, new, needle where the error points, words expected in the message)
    ("theme", "theme: logement", "theme: loisirs", "loisirs", "thème « loisirs » inconnu"),
    ("locuteur", "locuteur: habitant", "locuteur: voisin", "voisin", "locuteur « voisin » inconnu"),
    ("diffusion", "diffusion: public", "diffusion: interne", "interne", "diffusion « interne » invalide"),
    ("diffusion null", "diffusion: public", "diffusion: ~", "~", "diffusion absent"),
    ("diffusion missing", "    diffusion: public\n", "", "id: v1", "« diffusion » manquant"),
    ("field missing", '    atelier: "atelier test"\n', "", "id: v1", "« atelier » manquant"),
    ("unknown field", "theme: logement", "thème: logement", "thème:", "champ « thème » inconnu"),
    ("code as int", 'code: "62765"', "code: 62765", "62765}", "sans guillemets"),
    ("code with leading zero", '{niveau: commune, code: "62765"}', "{niveau: commune, code: 01004}", "01004",
     "01004 écrit sans guillemets"),
    ("code malformed", 'code: "62765"', 'code: "6276"', '"6276"', "mal formé"),
    ("bad date", 'date: "2022-03"', 'date: "2022-13"', '"2022-13"', "date « 2022-13 »"),
]


@pytest.mark.parametrize("name,old,new,needle,words", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_bad_input_gives_a_located_error(tmp_path, name, old, new, needle, words):
    text = VALID.replace(old, new)
    assert text != VALID
    path = write(tmp_path, text)
    with pytest.raises(OsqError) as info:
        V.read_verbatims(path)
    err = info.value
    assert words in err.message
    assert (err.fichier, err.ligne, err.colonne) == (path, *where(text, needle))
    assert err.correction
    if name == "code with leading zero":
        assert err.correction == 'écrivez code: "01004".'


def test_duplicate_id_points_at_the_second_one(tmp_path):
    second = VALID.split("\n", 1)[1]
    text = VALID + second
    with pytest.raises(OsqError) as info:
        V.read_verbatims(write(tmp_path, text))
    assert "« v1 » déjà utilisé (ligne 2)" in info.value.message
    assert (info.value.ligne, info.value.colonne) == where(text, "v1", nth=2)


def test_yaml_syntax_error_is_located(tmp_path):
    text = VALID.replace('texte: "Un texte."', 'texte: "Un texte.\n    theme: [')
    with pytest.raises(OsqError) as info:
        V.read_verbatims(write(tmp_path, text))
    assert "YAML illisible" in info.value.message and info.value.ligne is not None


def test_valid_file_reads_into_verbatims(tmp_path):
    [v] = V.read_verbatims(write(tmp_path, VALID))
    assert v == V.Verbatim(
        id="v1", texte="Un texte.", theme="logement", territoire=("commune", "62765"), locuteur="habitant",
        structure=None, date="2022-03", atelier="atelier test", diffusion="public",
        source=V.Source("Document test", None, 2022, None))
    assert v.ligne == 2


# --- Pseudonymisation ------------------------------------------------------------------


@pytest.mark.parametrize("before,after", [
    ("Hélène, habitante de Roche-la-Molière", "une habitante de Roche-la-Molière"),
    ("M. Dupont, directeur du CCAS", "le directeur du CCAS"),
    ("Karim (conseil citoyen)", "un membre du conseil citoyen"),
    ("Mme Martin (directrice de l'école)", "la directrice de l'école"),
    ("Nadia (association Aliment'Est)", "un membre de l'association Aliment'Est"),
    ("Jean-Pierre Dupont, président de l'association", "le président de l'association"),
    ("réunion avec Mme Durand", "réunion avec une personne"),
    # Functions and place names are not people.
    ("Monsieur le Maire au collège Jean Moulin, à Saint-Étienne", "Monsieur le Maire au collège Jean Moulin, à Saint-Étienne"),
    ("centre social Louise Michel", "centre social Louise Michel"),
])
def test_pseudonymise_attribution(before, after):
    assert V.pseudonymise_text(before, capitalise=False) == after


def test_pseudonymise_texte_keeps_sentence_case():
    text = "Hélène, habitante du quartier, le dit. J'en ai parlé à Karim Benali hier. Nathalie était là."
    assert V.pseudonymise_text(text) == ("Une habitante du quartier, le dit. J'en ai parlé à une personne hier. "
                                         "Une personne était là.")


def test_pseudonymise_reports_and_writes_csv(tmp_path):
    verbatims = [make("a", texte="Karim (conseil citoyen) l'a dit.", atelier="atelier animé par Mme Durand"),
                 make("b", attribution="Hélène, habitante de Roche-la-Molière"),
                 make("c")]
    cleaned, report = V.pseudonymise(verbatims)
    assert cleaned[0].texte == "Un membre du conseil citoyen l'a dit."
    assert cleaned[0].atelier == "atelier animé par une personne"
    assert cleaned[1].attribution == "une habitante de Roche-la-Molière"
    assert cleaned[2] is verbatims[2]
    assert [(r.id, r.champ) for r in report] == [("a", "texte"), ("a", "atelier"), ("b", "attribution")]

    path = V.write_review_report(report, tmp_path / "revue" / "pseudonymisation.csv")
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows[0] == ["id", "champ", "avant", "apres"]
    assert rows[3] == ["b", "attribution", "Hélène, habitante de Roche-la-Molière", "une habitante de Roche-la-Molière"]
    assert [p.name for p in path.parent.iterdir()] == ["pseudonymisation.csv"]  # no temporary file left


# --- Selection -------------------------------------------------------------------------


@pytest.fixture
def pool():
    out = [make(f"log-{i}") for i in range(8)]
    out += [make(f"part-{i}", diffusion="partenaires") for i in range(3)]
    out += [make("epci-1", territoire=("epci", "200069037")), make("sante-1", theme="sante"),
            make("sans-diffusion", diffusion=None)]
    return out


def test_select_is_deterministic_and_ignores_input_order(pool):
    first = V.select(pool, theme="logement", territoires=[("commune", "62765")])
    assert first == V.select(pool, theme="logement", territoires=[("commune", "62765")])
    for seed in range(5):
        shuffled = pool[:]
        random.Random(seed).shuffle(shuffled)
        assert V.select(shuffled, theme="logement", territoires=[("commune", "62765")]) == first
    assert len(first) == 4


def test_select_adding_a_verbatim_keeps_the_others_in_order(pool):
    everything = V.select(pool, theme="logement", max_n=100)
    without = V.select([v for v in pool if v.id != "log-3"], theme="logement", max_n=100)
    assert without == [v for v in everything if v.id != "log-3"]


def test_select_profiles_and_max_count(pool):
    public = V.select(pool, theme="logement", profil="public", max_n=100)
    assert {v.diffusion for v in public} == {"public"}
    partners = V.select(pool, theme="logement", profil="partenaires", max_n=100)
    assert {v.diffusion for v in partners} == {"public", "partenaires"}
    assert len(partners) == len(public) + 3
    assert len(V.select(pool, profil="partenaires", max_n=2)) == 2
    assert V.select(pool, max_n=0) == []
    with pytest.raises(OsqError):
        V.select(pool, profil="tous")


def test_select_never_keeps_a_verbatim_without_diffusion(pool):
    for profil in ("public", "partenaires"):
        assert all(v.id != "sans-diffusion" for v in V.select(pool, profil=profil, max_n=100))
    assert V.select([make("x", diffusion=None)], profil="partenaires") == []


def test_select_filters_theme_and_territories_most_specific_first(pool):
    assert [v.id for v in V.select(pool, theme="sante")] == ["sante-1"]
    chosen = V.select(pool, territoires=[("epci", "200069037"), ("commune", "62765")], max_n=3)
    assert chosen[0].id == "epci-1"
    assert V.select(pool, territoires=[("qpv", "QP062003")]) == []


# --- Rendering --------------------------------------------------------------------------


def test_bloc_without_verbatim_says_so():
    assert "Aucun verbatim public pour ce thème et ce territoire." in bloc_verbatims([])
    assert bloc_verbatims([], titre=None, profil="partenaires") == "Aucun verbatim pour ce thème et ce territoire.\n"


def test_bloc_renders_under_pandoc():
    pypandoc = pytest.importorskip("pypandoc")
    v = make("x", texte="1. Des *étoiles*, un [lien] et 10 $ : rien ne doit devenir du balisage.",
             structure="CCAS de Saint-Omer", date="2019-03")
    html = pypandoc.convert_text(bloc_verbatims([v]), "html", format="markdown", extra_args=["--wrap=none"])
    assert '<div class="verbatim">\n<blockquote>\n<p>1. Des *étoiles*, un [lien] et 10 $ : rien' in html
    assert '<span class="verbatim-source">— un habitant (CCAS de Saint-Omer), atelier test, mars 2019' in html


def test_french_dates_and_escaping():
    assert [date_fr(d) for d in ("2022", "2022-03", "2025-10-13", "2024-05-01", None)] == [
        "2022", "mars 2022", "13 octobre 2025", "1er mai 2024", ""]
    assert markdown_text("- a_b @c") == r"\- a\_b \@c"

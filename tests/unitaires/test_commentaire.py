"""The automatic commentary (issue 16): facts from the figures as printed, and their sober French sentences.

Figures are illustrative, written for each rule: they are not real figures of any territory.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from osq_utils.catalogues.glossaire import Glossaire, Indicateur, SeuilsCommentaire
from osq_utils.indicateurs import commentaire as faits
from osq_utils.indicateurs.ecarts import SEUIL_STABILITE_POINTS
from osq_utils.present import commentaire as texte
from osq_utils.present import fr

NBSP = "\u00a0"
TERRITOIRES = [("commune", "62040", "Arques"), ("epci", "200069", "CA du Pays de Saint-Omer"),
               ("departement", "62", "Pas-de-Calais"), ("france", "FM", "France métropolitaine")]


def _ind(code, libelle, unite, type_, sens="neutre", decimales=1):
    return Indicateur(code=code, libelle=libelle, theme=type_, definition="", unite=unite, type=type_, numerateur="n",
                      denominateur="d", sources=("s",), niveaux=("commune", "epci", "departement", "france"),
                      annees=(2019, 2021), sens=sens, decimales=decimales)


# Thresholds of the test (the observatory's are in data/glossaire.yml, tested in tests/unitaires/test_glossaire.py).
SEUILS = SeuilsCommentaire(effectif_faible=2000, pairs_min=5, rang_remarquable=3, faits_max=5, indicateurs_par_theme=3,
                           ecart_type_distinction=1.5)
GLOSSAIRE = Glossaire({i.code: i for i in [
    _ind("tp", "Taux de pauvreté", "%", "taux", "defavorable"),
    _ind("nv", "Niveau de vie médian", "€", "non_additif", "favorable", 0),
    _ind("ls", "Logements sociaux", "logements", "compte", decimales=0),
    _ind("p60", "Part des 60 ans ou plus", "%", "taux"),
    _ind("cam", "Cambriolages pour 1 000 logements", "‰", "taux_pour_mille", "defavorable"),
]}, {"taux": "Taux", "non_additif": "Revenus", "compte": "Effectifs", "taux_pour_mille": "Délinquance"},
    commentaire=SEUILS)


def _cellule(v, sans_decimales):
    """(valeur, decimales, statut) of a test cell: a value, None (secret), 'nd' (absent), or (value, decimals)."""
    d, statut = sans_decimales, "ok"
    if isinstance(v, tuple):
        v, d = v
    if v is None:
        statut = "secret"
    elif v == "nd":
        v, statut = None, "absent"
    return v, d, statut


def grille(valeurs: dict[str, list], territoires=TERRITOIRES, annee: int = 2021) -> pd.DataFrame:
    """A comparison grid (the columns of indicateurs.comparison): a value, None (secret), 'nd' (absent), or
    (value, published decimals)."""
    rows = []
    for code, vs in valeurs.items():
        for (niveau, c, libelle), cellule in zip(territoires, vs):
            v, d, statut = _cellule(cellule, pd.NA)
            rows.append(dict(indicateur=code, niveau=niveau, code=c, territoire=libelle, annee=annee, valeur=v,
                             statut=statut, source="s", estime=False, decimales=d))
    out = pd.DataFrame(rows)
    out["valeur"] = out["valeur"].astype(float)
    out["decimales"] = out["decimales"].astype("Int16")
    out["annee"] = out["annee"].astype("Int64")
    return out


COMP = grille({"tp": [(22.0, 0), 18.7, 19.5, 14.5], "nv": [18920, 21500, 20100, 22040],
               "ls": [1234, 10250, 150000, 4500000], "p60": [25.3, 25.1, None, 27.9],
               "cam": [7.8, 7.7, "nd", 5.2]})


def _all_text(comp=COMP, **kw) -> str:
    return texte.commentaire(comp, GLOSSAIRE, **kw)


# --- Position: directions and numbers --------------------------------------------------------------


def test_direction_follows_the_printed_gap():
    by = {p.niveau: p for p in faits.position(COMP, "tp", GLOSSAIRE)}
    # 22 (published as a whole number) against 18,7: +3 points, from the printed figures, with no decimal the
    # coarser one lacks (the true gap lies between 2,8 and 3,8 points)
    assert (by["epci"].ecart, by["epci"].direction, by["epci"].mesure) == (3.0, "superieur", "points")
    assert by["france"].direction == "superieur"
    low = {p.niveau: p for p in faits.position(COMP, "nv", GLOSSAIRE)}
    assert (low["epci"].mesure, low["epci"].ecart, low["epci"].direction) == ("rapport", 0.88, "inferieur")
    assert low["epci"].pourcentage == -12
    # 25,3 against 25,1: 0,2 point, below the stability threshold: close, never « above ».
    close = {p.niveau: p for p in faits.position(COMP, "p60", GLOSSAIRE)}
    assert abs(close["epci"].ecart) < SEUIL_STABILITE_POINTS and close["epci"].direction == "proche"
    assert close["france"].direction == "inferieur"
    # a ratio within 2 % of the reference: 7,8 ‰ against 7,7 ‰ is × 1,01
    cam = {p.niveau: p for p in faits.position(COMP, "cam", GLOSSAIRE)}
    assert (cam["epci"].ecart, cam["epci"].direction) == (1.01, "proche")


def test_the_gap_is_read_on_the_figures_as_printed():
    # 20,04 and 19,56 print 20,0 % and 19,6 %: the gap is 0,4 point (close), never 0,48.
    comp = grille({"p60": [20.04, 19.56, 19.0, 15.0]})
    p = faits.position(comp, "p60", GLOSSAIRE)[0]
    assert (p.valeur, p.valeur_reference, p.ecart, p.direction) == (20.0, 19.6, 0.4, "proche")
    # 20,26 against 19,74: printed 20,3 and 19,7, 0,6 point: above.
    p = faits.position(grille({"p60": [20.26, 19.74, 19.0, 15.0]}), "p60", GLOSSAIRE)[0]
    assert (p.ecart, p.direction) == (0.6, "superieur")


def _dir_words(sentence: str) -> set[str]:
    words = {"superieur": ("dépasse", "au-dessus"), "inferieur": ("inférieure", "en dessous"),
             "proche": ("proche", "égale", "la même", "même niveau")}
    return {d for d, ws in words.items() if any(w in sentence for w in ws)}


def test_direction_words_agree_with_the_data():
    for code in ("tp", "nv", "p60", "cam"):
        positions = faits.position(COMP, code, GLOSSAIRE)
        phrases = texte.phrases_indicateur(COMP, code, GLOSSAIRE)
        assert len(phrases) == len(positions)
        for p, s in zip(positions, phrases):
            assert _dir_words(s) == {p.direction}, s


def test_every_number_is_the_string_the_table_prints():
    for code in ("tp", "nv", "ls", "p60", "cam"):
        ind = GLOSSAIRE[code]
        rows = COMP[COMP["indicateur"] == code]
        sujet = fr.valeur_observation(rows.iloc[0], ind)
        for p, s in zip(faits.position(COMP, code, GLOSSAIRE), texte.phrases_indicateur(COMP, code, GLOSSAIRE)):
            ref = rows[rows["niveau"] == p.niveau].iloc[0]
            assert f"({sujet})" in s or f" {sujet}," in s, s
            assert f"({fr.valeur_observation(ref, ind)})" in s, s
    first = texte.phrases_indicateur(COMP, "tp", GLOSSAIRE)[0]
    # 22 % as published (no decimal), 18,7 % at the glossary's precision, the gap from both.
    assert first == (f"Taux de pauvreté, en 2021 : la valeur d'Arques (22{NBSP}%) dépasse de 3{NBSP}points celle "
                     f"de la CA du Pays de Saint-Omer (18,7{NBSP}%).")


def test_a_ratio_is_written_as_the_percentage_its_printed_ratio_gives():
    s = texte.phrases_indicateur(COMP, "nv", GLOSSAIRE)[0]
    assert f"inférieure de 12{NBSP}%" in s and f"(18{fr.NNBSP}920{NBSP}€)" in s


# --- What is not said ------------------------------------------------------------------------------


def test_no_sentence_for_a_secret_or_missing_figure_and_the_reason_once():
    comp = grille({"tp": [None, 18.7, 19.5, 14.5], "nv": ["nd", 21500, 20100, 22040],
                   "p60": [25.3, 25.1, None, 27.9], "cam": [7.8, None, None, 5.2]})
    assert texte.phrases_indicateur(comp, "tp", GLOSSAIRE) == []
    assert texte.phrases_indicateur(comp, "nv", GLOSSAIRE) == []
    assert faits.position(comp, "tp", GLOSSAIRE) == []
    # a secret reference: no sentence about it, the others stay
    p60 = texte.phrases_indicateur(comp, "p60", GLOSSAIRE)
    assert len(p60) == 2 and not any("Pas-de-Calais" in s for s in p60)
    note = texte.commentaire(comp, GLOSSAIRE)
    raison = fr.raison("secret")
    assert note.count(raison) == 1 and note.count(fr.raison("absent")) == 1
    assert "taux de pauvreté" in texte.raisons(comp, GLOSSAIRE)
    assert texte.raisons(grille({"tp": [22.0, 18.7, 19.5, 14.5]}), GLOSSAIRE) == ""
    motifs = {(s.indicateur, s.niveau): s.motif for s in faits.silences(comp, GLOSSAIRE)}
    assert motifs == {("tp", "commune"): "secret", ("nv", "commune"): "absent", ("p60", "departement"): "secret",
                      ("cam", "epci"): "secret", ("cam", "departement"): "secret"}


def test_no_causal_vocabulary():
    frames = [f for c in texte.CADRES_POSITION for f in c.values()] + list(texte.CADRES_PART) + \
        list(texte.CADRES_RANG) + list(texte.CADRES_EVOLUTION) + list(texte.AVERTISSEMENTS.values())
    note = _all_text(fragilites={"tp": faits.Fragilite(("effectif_faible",), 850)})
    for text in [*frames, note]:
        assert not any(m in text.lower() for m in texte.MOTS_CAUSAUX), text


# --- Counts: a share, never a ratio ------------------------------------------------------------------


def test_a_count_gives_a_share_of_the_territory_that_holds_it_never_a_ratio():
    by = {p.niveau: p for p in faits.position(COMP, "ls", GLOSSAIRE)}
    assert {p.mesure for p in by.values()} == {"part"}
    assert (by["epci"].ecart, by["departement"].ecart, by["france"].ecart) == (12.0, 0.8, 0.0)
    phrases = texte.phrases_indicateur(COMP, "ls", GLOSSAIRE)
    assert f"12{NBSP}% du total de la CA du Pays de Saint-Omer (10{fr.NNBSP}250)" in phrases[0]
    assert f"moins de 0,1{NBSP}%" in phrases[2]
    assert not any("×" in s for s in phrases)
    # beside a stratum or another commune, a count compares nothing
    comp = grille({"ls": [1234, 3000, 10250]}, [("commune", "1", "Arques"), ("strate", "s", "Communes de même taille"),
                                                 ("epci", "2", "CA du Pays de Saint-Omer")])
    assert [p.niveau for p in faits.position(comp, "ls", GLOSSAIRE)] == ["epci"]
    assert [s.motif for s in faits.silences(comp, GLOSSAIRE)] == ["sans_objet"]


# --- Rank --------------------------------------------------------------------------------------------


def test_rank_with_ties_and_secret_peers_left_out():
    peers = {"a": 30.0, "b": 25.0, "c": 25.0, "d": None, "e": float("nan"), "f": 10.0, "g": 12.0, "h": 11.0}
    r = faits.rang(peers, "c", sens="decroissant")
    assert (r.rang, r.classes, r.ex_aequo, r.depuis, r.non_classes) == (2, 6, 1, "haut", 2)
    assert faits.rang(peers, "b", sens="decroissant").rang == 2
    assert faits.rang(peers, "d") is None and faits.rang(peers, "zz") is None
    # auto: from the nearer end
    low = faits.rang(peers, "h")
    assert (low.rang, low.depuis) == (2, "bas")
    # as printed: 25,04 and 24,96 both read 25,0
    assert faits.rang({"a": 25.04, "b": 24.96, "c": 1.0}, "b", "decroissant", decimales=1).rang == 1
    s = texte.phrase_rang(COMP, r, "communes de la CA du Pays de Saint-Omer", texte.Redaction())
    assert s == ("Arques a la 2e valeur la plus élevée des 6 communes de la CA du Pays de Saint-Omer dont la valeur "
                 "est publiée (à égalité avec une autre)")


def test_a_rank_is_said_only_when_remarkable():
    ok = faits.Rang(3, 53, 0, "haut")
    dull = faits.Rang(27, 53, 0, "haut")
    few = faits.Rang(1, 3, 0, "haut")
    phrases = texte.phrases_indicateur(COMP, "tp", GLOSSAIRE, rangs=[(ok, "communes de l'agglomération"),
                                                                    (dull, "communes du département"),
                                                                    (few, "communes voisines")])
    ranks = [s for s in phrases if "communes" in s]
    assert len(ranks) == 1 and "3e" in ranks[0] and "53" in ranks[0]


# --- Salience -------------------------------------------------------------------------------------------


def test_salience_orders_by_standardised_gap():
    # The furthest reference over the spread: tp 7,5 points from France over 2 => 3,75; nv 3 120 € over 1 000
    # => 3,12; cam 2,6 ‰ over 1 => 2,6; p60 close to its EPCI, 2,6 points from France over 5 => 0,52; counts
    # have no salience.
    scores = faits.saillance(COMP, GLOSSAIRE, {"tp": 2.0, "nv": 1000.0, "p60": 5.0, "cam": 1.0})
    assert list(scores.index) == ["tp", "nv", "cam", "p60"]
    assert scores["nv"] == pytest.approx(3.12) and scores["p60"] == pytest.approx(0.52)
    # a bigger spread puts the same gap lower
    assert list(faits.saillance(COMP, GLOSSAIRE, {"tp": 20.0, "nv": 1000.0, "p60": 5.0, "cam": 1.0}).index)[0] == "nv"
    assert scores["tp"] == pytest.approx(7.5 / 2.0)  # the furthest reference (France)
    assert "ls" not in scores.index
    # without a spread: the reference's own level
    assert faits.saillance(COMP, GLOSSAIRE)["tp"] == pytest.approx(7.5 / 14.5)
    assert faits.ordre_themes(scores, GLOSSAIRE) == ["taux", "non_additif", "taux_pour_mille", "compte"]
    md = texte.synthese(COMP, GLOSSAIRE, {"tp": 2.0, "nv": 1000.0, "p60": 5.0, "cam": 1.0})
    bullets = [line for line in md.splitlines() if line.startswith("- ")]
    assert len(bullets) == 4 and bullets[0].startswith("- Taux de pauvreté")
    assert "France métropolitaine" in bullets[0]
    assert texte.synthese(grille({"p60": [25.3, 25.1, 25.2, 25.0]}), GLOSSAIRE) == ""


# --- Wording: rotation, determinism, caveats --------------------------------------------------------------


# Words that tell each frame apart (present.commentaire.CADRES_POSITION and CADRES_PART, in their order).
MARQUES_CADRES = {"position0": "la valeur d", "position1": ", la valeur (", "position2": " se place ",
                  "part0": " en compte ", "part1": " représente ", "part2": " pèse "}


def _frame(sentence: str) -> str:
    body = re.sub(r"^[^:]+\(\d{4}\) : ", "", sentence).lower()
    found = [name for name, mark in MARQUES_CADRES.items() if mark in body]
    assert len(found) == 1, sentence
    return found[0]


def test_no_frame_three_times_in_a_row_and_identical_reruns():
    phrases = []
    redaction = texte.Redaction()
    for code in ("tp", "nv", "ls", "p60", "cam"):
        phrases += texte.phrases_indicateur(COMP, code, GLOSSAIRE, redaction=redaction)
    frames = [_frame(s) for s in phrases]
    assert len(set(frames)) >= 5
    assert not any(frames[i] == frames[i + 1] == frames[i + 2] for i in range(len(frames) - 2)), frames
    assert _all_text() == _all_text()


def test_a_fragile_figure_is_hedged_once_and_the_caveat_said_once_per_note():
    row = COMP.iloc[0]  # 22 % published as a whole number: rounded
    f = faits.fragile(row, GLOSSAIRE["tp"], effectif=850, seuil=SEUILS.effectif_faible)
    assert f.motifs == ("effectif_faible", "arrondi") and f.effectif == 850
    assert faits.fragile(row, GLOSSAIRE["tp"], effectif=SEUILS.effectif_faible, seuil=SEUILS.effectif_faible).motifs == ("arrondi",)
    assert faits.fragile(COMP.iloc[1], GLOSSAIRE["tp"], effectif=5000, seuil=SEUILS.effectif_faible) is None
    assert faits.fragile(grille({"tp": [None, 1, 1, 1]}).iloc[0], GLOSSAIRE["tp"], effectif=10, seuil=SEUILS.effectif_faible) is None
    phrases = texte.phrases_indicateur(COMP, "tp", GLOSSAIRE, fragilite=f)
    assert sum("fragile" in s for s in phrases) == 1 and "territoire de 850\u00a0habitants" in phrases[-1]
    note = _all_text(fragilites={"tp": f, "nv": faits.Fragilite(("estime",))})
    assert note.count("Chiffre fragile") == 2
    caveat = texte.AVERTISSEMENTS["fragile"].format(effectif_faible="2\u202f000")
    assert "moins de 2\u202f000 habitants" in caveat and note.count(caveat) == 1
    assert note.count(texte.AVERTISSEMENTS["description"]) == 1
    assert note.count(texte.AVERTISSEMENTS["proche"]) == 1


# --- Evolution ---------------------------------------------------------------------------------------------


def test_evolution_words_come_from_evolution_ecart():
    def serie(sujet, ref):
        return pd.DataFrame([{"territoire": t, "niveau": n, "annee": y, "valeur": v, "statut": "ok"}
                             for t, n, vs in (("Arques", "commune", sujet), ("CA du Pays de Saint-Omer", "epci", ref))
                             for y, v in zip((2019, 2021), vs)])
    ind = GLOSSAIRE["tp"]
    reduit = faits.evolutions(serie([24.0, 22.0], [18.5, 18.7]), ind)["CA du Pays de Saint-Omer"]
    creuse = faits.evolutions(serie([20.0, 22.0], [18.5, 18.7]), ind)["CA du Pays de Saint-Omer"]
    stable = faits.evolutions(serie([22.0, 22.1], [18.7, 18.7]), ind)["CA du Pays de Saint-Omer"]
    assert (reduit.tendance, creuse.tendance, stable.tendance) == ("reduit", "creuse", "stable")
    assert faits.evolutions(serie([1, 2], [10, 20]), GLOSSAIRE["ls"]) == {}
    for evo, word in ((reduit, "s'est réduit"), (creuse, "s'est creusé"), (stable, "resté stable")):
        phrases = texte.phrases_indicateur(COMP, "tp", GLOSSAIRE, evolutions={"CA du Pays de Saint-Omer": evo})
        assert word in phrases[-1] and "CA du Pays de Saint-Omer" in phrases[-1]


def test_a_concise_paragraph_keeps_the_nearest_reference_and_those_on_the_other_side():
    # Arques above its EPCI and its département, below France: the département adds nothing, France does.
    comp = grille({"tp": [16.0, 15.0, 15.5, 17.0]})
    phrases = texte.phrases_indicateur(comp, "tp", GLOSSAIRE, concis=True)
    assert len(phrases) == 2 and "France" in phrases[1] and not any("Pas-de-Calais" in p for p in phrases)
    assert len(texte.phrases_indicateur(comp, "tp", GLOSSAIRE)) == 3


# --- Evolution of an evolution figure (small series written for the test) ------------------------


def _series(valeurs: dict[str, list], niveaux=("commune", "epci", "departement"), annees=(2016, 2017, 2018, 2019)):
    """indicateurs.evolution rows: territory -> a value per year (None: secret, 'nd': absent; (v, d): v published
    with d decimals)."""
    rows = []
    for (terr, vs), niveau in zip(valeurs.items(), niveaux):
        for annee, cellule in zip(annees, vs):
            v, d, statut = _cellule(cellule, None)
            rows.append(dict(territoire=terr, niveau=niveau, annee=annee, valeur=v, statut=statut, decimales=d,
                             estime=False))
    out = pd.DataFrame(rows)
    out["valeur"] = out["valeur"].astype(float)
    return out


NOMS = {"Arques": "Arques", "CA X": "la CA X", "Dép": "le Pas-de-Calais"}


def test_evolution_says_how_the_figure_and_each_gap_moved():
    s = _series({"Arques": [20.0, 21.0, 22.0, 23.5], "CA X": [18.0, 18.2, 18.4, 18.6], "Dép": [22.0, 22.1, 22.4, 23.0]})
    md = texte.commentaire_evolution([(GLOSSAIRE["tp"], s)], "Arques", NOMS)
    first = md.split("\n\n")[0]
    # own: 20,0 -> 23,5 (+3,5 points), a rise; gap with the CA 2,0 -> 4,9 (widened), with the département -2,0 -> 0,5
    # (reversed)
    assert "20,0\u00a0% en 2016" in first and "23,5\u00a0% en 2019" in first and "+3,5\u00a0points" in first
    assert "en hausse" in first
    assert "s'est creusé face à la CA X (+2,0\u00a0points en 2016, +4,9\u00a0points en 2019)" in first
    assert "s'est inversé face au Pas-de-Calais (-2,0\u00a0points en 2016, +0,5\u00a0point en 2019)" in first
    assert md.count("*") == 2 and "resté stable" in md.split("\n\n")[-1]  # the rule, said once in the caveats


def test_evolution_of_a_ratio_reads_as_a_share_of_the_reference_and_the_coarser_decimals_win():
    s = _series({"Arques": [(17000, 0), 17500, 18000, 18500], "CA X": [20000, 20400, 20800, 21300],
                 "Dép": ["nd", "nd", "nd", 19000]})
    md = texte.commentaire_evolution([(GLOSSAIRE["nv"], s)], "Arques", NOMS)
    # 17 000 / 20 000 = 0,85; 18 500 / 21 300 = 0,87 (rounded as printed): the gap's size 0,15 -> 0,13, reduced by
    # 0,02, the stability threshold (a change below it would read « resté stable »)
    assert "s'est réduit face à la CA X (Arques à 85\u00a0% de son niveau en 2016, 87\u00a0% en 2019)" in md
    assert "Écart non suivi" in md and "face au Pas-de-Calais" in md
    tp = _series({"Arques": [(22.0, 0), "nd", "nd", (20.0, 1)], "CA X": ["nd"] * 4, "Dép": ["nd"] * 4})
    text = texte.commentaire_evolution([(GLOSSAIRE["tp"], tp)], "Arques", NOMS)
    assert "22\u00a0% en 2016" in text and "20,0\u00a0% en 2019" in text and "(-2\u00a0points)" in text  # never -2,0
    assert "face à chacune des références" in text


def test_no_evolution_sentence_without_two_published_years():
    s = _series({"Arques": [None, "nd", "nd", 20.0], "CA X": [18.0, 18.2, 18.4, 18.6], "Dép": [1, 1, 1, 1]})
    assert texte.commentaire_evolution([(GLOSSAIRE["tp"], s)], "Arques", NOMS) == ""


# --- Communes that stand out of their intercommunality (a side-by-side table written for the test) --


def _cote(valeurs: dict[str, float | None], epci: float, indicateur: str = "tp") -> pd.DataFrame:
    rows = [dict(indicateur=indicateur, niveau="epci", code="E", territoire="CA X", annee=2021, valeur=epci,
                 statut="ok", source="s", estime=False)]
    rows += [dict(indicateur=indicateur, niveau="commune", code=c, territoire=f"Commune {c}", annee=2021, valeur=v,
                  statut="ok" if v is not None else "secret", source="s", estime=False) for c, v in valeurs.items()]
    return pd.DataFrame(rows)


def test_a_commune_stands_out_beyond_the_glossary_s_standard_deviations_and_never_on_a_secret():
    cote = _cote({"1": 15.0, "2": 16.0, "3": 15.5, "4": 16.5, "5": 15.0, "6": 30.0, "7": None}, 16.0)
    d = faits.communes_distinctes(cote, GLOSSAIRE)
    # sd of the six published figures ≈ 5,8; only commune 6 is ≥ 1,5 sd from the CA's 16,0 (14 points)
    assert [x.code for x in d] == ["6"] and d[0].position.direction == "superieur" and d[0].position.ecart == 14.0
    assert d[0].rang.rang == 1 and d[0].rang.non_classes == 1
    md = texte.commentaire_communes(cote, GLOSSAIRE, "la CA X")
    assert "**Commune 6**" in md and "30,0\u00a0%" in md and "14,0\u00a0points" in md and "Commune 7" not in md
    assert "1,5 fois l'écart type" in md
    assert faits.communes_distinctes(_cote({"1": 15.0, "2": 30.0, "3": 16.0}, 16.0), GLOSSAIRE) == []  # < pairs_min
    assert "Aucune commune" in texte.commentaire_communes(_cote({"1": 15.0, "2": 30.0}, 16.0), GLOSSAIRE, "la CA X")


def test_the_commentary_rules_are_stated_from_the_glossary():
    md = texte.regles(SEUILS)
    assert "moins de 2\u202f000 habitants" in md and "au moins 5 territoires" in md and "1,5 fois" in md

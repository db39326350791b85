"""French number formatting for readers: `21,0 %`, `7,8 ‰`, `16 070 €`, `+1,2 point`.

Thousands use a narrow no-break space (U+202F), units a no-break space
(U+00A0). Rounding is half-up, as in INSEE publications. A secret value is
shown `s`, a figure its producer does not publish at that level `np`, one absent from the observatory's
sources `nd`: never 0.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from babel.numbers import format_decimal

from osq_utils.catalogues.glossaire import Indicateur, precision

MOIS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre",
        "décembre")
NBSP = "\u00a0"
NNBSP = "\u202f"
MARQUE_SECRET = "s"
MARQUE_ABSENT = "nd"
MARQUE_NON_PUBLIE = "np"
MARQUE_SANS_OBJET = "-"
# Why a figure is not shown, in the words of the marks' legend (tables) and of the key-figure cards.
RAISONS = {
    MARQUE_SECRET: "soumis au secret statistique",
    MARQUE_NON_PUBLIE: "non publié par le producteur à ce niveau",
    MARQUE_ABSENT: "absent des sources de l'observatoire",
}
LEGENDE_MARQUES = (
    f"« {MARQUE_SECRET} » : secret statistique (valeur non diffusable) ; "
    f"« {MARQUE_NON_PUBLIE} » : {RAISONS[MARQUE_NON_PUBLIE]} ; "
    f"« {MARQUE_ABSENT} » : {RAISONS[MARQUE_ABSENT]} (le producteur le publie, mais pas dans les "
    "fichiers réunis ou pas pour cette année)."
)


def marque(statut: str, publie: bool = True) -> str:
    """The mark of a figure that is not shown: secret, not published at that level, or absent from the sources."""
    if statut == "secret":
        return MARQUE_SECRET
    return MARQUE_ABSENT if publie else MARQUE_NON_PUBLIE


def raison(statut: str, publie: bool = True) -> str:
    """Why a figure is not shown, in plain French (the words of the marks' legend)."""
    return RAISONS[marque(statut, publie)]


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _round(x: float, decimales: int) -> Decimal:
    return Decimal(str(x)).quantize(Decimal(1).scaleb(-decimales), rounding=ROUND_HALF_UP)


def nombre(x: float | None, decimales: int = 0, signe: bool = False) -> str:
    """16070 -> '16 070'; 21.04 (1 decimal) -> '21,0'."""
    if x is None or _missing(x):
        return MARQUE_ABSENT
    return _nombre(x, decimales, signe)


@functools.lru_cache(maxsize=1 << 16)
def _nombre(x: float, decimales: int, signe: bool) -> str:
    # Kept: a warm kernel prints the same reference figures (intercommunality, département, France) note after note.
    pattern = "#,##0" + ("." + "0" * decimales if decimales > 0 else "")
    if signe:
        pattern = f"+{pattern};-{pattern}"
    rounded = _round(x, decimales)
    if rounded.is_zero():
        rounded = abs(rounded)  # -0.04 at one decimal reads « 0,0 », never « -0,0 »
    return format_decimal(rounded, format=pattern, locale="fr_FR")


def pourcent(x: float | None, decimales: int = 1) -> str:
    """21 -> '21,0 %'."""
    return MARQUE_ABSENT if _missing(x) else f"{nombre(x, decimales)}{NBSP}%"


def pour_mille(x: float | None, decimales: int = 1) -> str:
    """7.79 -> '7,8 ‰' (a rate per 1,000, spaced like a percentage)."""
    return MARQUE_ABSENT if _missing(x) else f"{nombre(x, decimales)}{NBSP}‰"


def euros(x: float | None, decimales: int = 0) -> str:
    """16070 -> '16 070 €'."""
    return MARQUE_ABSENT if _missing(x) else f"{nombre(x, decimales)}{NBSP}€"


def points(x: float | None, decimales: int = 1) -> str:
    """1.2 -> '+1,2 point'; -2.5 -> '-2,5 points' (French plural from 2)."""
    if x is None or _missing(x):
        return MARQUE_ABSENT
    text = nombre(x, decimales, signe=True)
    unit = "points" if abs(float(_round(x, decimales))) >= 2 else "point"
    return f"{text}{NBSP}{unit}"


def valeur(x: float | None, unite: str = "", decimales: int = 1, statut: str = "ok", publie: bool = True) -> str:
    """Format a figure by its glossary unit, with the marks of a missing one (see marque()).

    decimales: the precision the producer published (observations.decimales), else the glossary's."""
    if statut != "ok" or _missing(x):
        return marque(statut if statut != "ok" else "absent", publie)
    if unite == "%":
        return pourcent(x, decimales)
    if unite == "‰":
        return pour_mille(x, decimales)
    if unite == "€":
        return euros(x, decimales)
    return nombre(x, decimales)


def valeur_observation(r, ind: Indicateur) -> str:
    """One observation as a reader sees it (a row with valeur, statut and, when known, niveau, decimales and
    estime): the precision its producer published, « (e) » when estimated, else the mark of why it is missing."""
    if r["statut"] != "ok" or _missing(r["valeur"]):
        return marque(r["statut"] if r["statut"] != "ok" else "absent", ind.publie_a(r["niveau"]) if "niveau" in r else True)
    text = valeur(r["valeur"], ind.unite, precision(r.get("decimales"), ind.decimales))
    estime = r.get("estime")
    return text + f"{NBSP}(e)" if estime is not None and estime is not pd.NA and not _missing(estime) and bool(estime) \
        else text


def ecart(x: float | None, unite: str, decimales: int = 1) -> str:
    """A gap: points for rates, a ratio ('× 1,25') otherwise."""
    if _missing(x):
        return MARQUE_ABSENT
    if unite == "%":
        return points(x, decimales)
    return f"×{NBSP}{nombre(x, 2)}"


def annees(values: list[int]) -> str:
    """[2014, 2015, 2016, 2018] -> '2014 à 2016, 2018'."""
    values = sorted(set(int(v) for v in values))
    runs: list[list[int]] = []
    for v in values:
        if runs and v == runs[-1][-1] + 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    return ", ".join(f"{r[0]} à {r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs)


# --- French grammar for territory names ----------------------------------------------------

_EPCI_PREFIXES = ("CA ", "CC ", "CU ", "Communauté", "Métropole", "Eurométropole")


def nom_territoire(libelle: str, niveau: str, article: str | None = None) -> str:
    """The territory's name as it reads after « face à » (« la CA du Pays de Saint-Omer », with `article` the
    COG's article of a département: « le Pas-de-Calais », « l'Ain »)."""
    if article and not libelle.lower().startswith(article.lower()):
        return f"{article}{'' if article.endswith(chr(39)) else ' '}{libelle}"
    if niveau == "france":
        return "la France métropolitaine"
    if niveau == "strate" and libelle.startswith("Communes "):  # « face aux communes de 10 000 à 19 999 habitants »
        return "les c" + libelle[1:]
    if niveau == "groupement":
        return "l'" + libelle[0].lower() + libelle[1:] if libelle[:1] in "AEIOUÉ" else libelle
    if niveau == "epci" and libelle.startswith(_EPCI_PREFIXES):
        return "la " + libelle
    return libelle  # a commune keeps its article's capital: « La Gimond », « face à La Tour-en-Jarez »


def a_nom(nom: str) -> str:
    """« à » with French contraction: au Chambon-Feugerolles (Le Chambon-Feugerolles), au Pas-de-Calais, à la
    CA…, à La Tour-en-Jarez, à Arques."""
    for article, contraction in (("le ", "au "), ("les ", "aux "), ("Le ", "au "), ("Les ", "aux ")):
        if nom.startswith(article):
            return contraction + nom[len(article):]
    return "à " + nom


def de_nom(nom: str) -> str:
    """« de » with French elision and contraction: d'Arques, de la CA…, du Chambon-Feugerolles, de La Gimond,
    de L'Haÿ-les-Roses."""
    for article, contraction in (("le ", "du "), ("les ", "des "), ("Le ", "du "), ("Les ", "des ")):
        if nom.startswith(article):
            return contraction + nom[len(article):]
    if nom[:1].lower() in "aeiouyéèêh" and not nom.startswith(("la ", "l'", "La ", "L'")):
        return "d'" + nom
    return "de " + nom


def liste(items: list[str]) -> str:
    """['a', 'b', 'c'] -> 'a, b et c'."""
    if not items:
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " et " + items[-1]


def minuscule(text: str) -> str:
    return text[:1].lower() + text[1:]


def cle_tri(texte: str) -> tuple[str, str]:
    """Sort key in French order: accents and case ignored first (« Éperlecques » between « Ecques » and
    « Esquerdes », never after « Zouafques »), the exact text to break ties."""
    sans = "".join(c for c in unicodedata.normalize("NFD", texte) if not unicodedata.combining(c))
    return sans.casefold(), texte


def date(jour, heure: bool = False) -> str:
    """A date for readers: `3 juin 2025`, `1er mars 2026`; with `heure`, `3 juin 2025 à 14 h 05`."""
    out = f"{'1er' if jour.day == 1 else jour.day} {MOIS[jour.month - 1]} {jour.year}"
    return f"{out} à {jour.hour} h {jour.minute:02d}" if heure else out

"""The glossary of indicators (data/glossaire.yml): one definition per indicator, shared by every note.

`$OSQ_GLOSSAIRE` points to an observatory's own copy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from osq_utils.catalogues.lecture_yaml import Document, lire_yaml, version
from osq_utils.catalogues.racine import chemin_donnees
from osq_utils.errors import OsqError

REQUIRED_FIELDS = ["code", "libelle", "theme", "definition", "unite", "type", "numerateur", "denominateur",
                   "sources", "niveaux", "annees", "sens", "seuil_secret"]
TYPES = ("compte", "taux", "taux_pour_mille", "moyenne", "densite", "non_additif")
# A ratio type's scale: taux = numerator / denominator × 100, taux_pour_mille × 1 000, densite × 10 000, moyenne × 1.
FACTEURS = {"taux": 100.0, "taux_pour_mille": 1000.0, "moyenne": 1.0, "densite": 10000.0}
SENS = ("favorable", "defavorable", "neutre")
# Levels OSQ derives from commune figures (ingest.niveaux), and the observatory's own groupings, computed the
# same way: an aggregable indicator has a figure there even where its producer publishes none.
NIVEAUX_DERIVES = ("epci", "ept", "departement", "region", "france", "strate", "groupement", "zone")
# Denominator of a computed ratio (calcul) that is not an indicator: the `populations` table of the store.
DENOMINATEUR_POPULATION = "population"


@dataclass(frozen=True)
class Calcul:
    """A ratio OSQ computes at ingestion from two stored counts (ingest.derive): numerateur / denominateur × factor.

    denominateur is a count indicator, or "population" (population municipale of the numerator's COG year).
    """

    numerateur: str
    denominateur: str


@dataclass(frozen=True)
class Indicateur:
    code: str
    libelle: str
    theme: str
    definition: str
    unite: str
    type: str
    numerateur: str | None
    denominateur: str | None
    sources: tuple[str, ...]
    niveaux: tuple[str, ...]
    annees: tuple[int, ...]
    sens: str
    seuil_secret: dict = field(hash=False, compare=False, default_factory=dict)
    decimales: int = 1
    # False for a figure that must never be derived at another level (a rate published without its numerator):
    # only the producer's own figure at each level is shown; raison_non_agregeable says why.
    agregeable: bool = True
    raison_non_agregeable: str | None = None
    # Levels at which the producer publishes the figure, whether or not the observatory's sources hold them
    # (default: `niveaux`, the levels stored).
    niveaux_producteur: tuple[str, ...] = ()
    calcul: Calcul | None = None
    # Lowest and highest possible value (None: no bound); default from the type (bornes_par_defaut), or the
    # glossary's « bornes: [min, max] » for a figure that can be negative or exceed 100 (a balance, a change).
    bornes: tuple[float | None, float | None] = (0.0, None)

    @property
    def est_une_part(self) -> bool:
        """A share of its denominator: its numerator can never exceed its denominator."""
        return self.unite == "%" and self.bornes[1] == 100

    @property
    def additif(self) -> bool:
        return self.type != "non_additif"

    @property
    def derivable(self) -> bool:
        """Whether OSQ can sum it (a count) or recompute it (a ratio) from its communes."""
        return self.additif and self.agregeable

    def publie_a(self, niveau: str) -> bool:
        """Whether a figure exists at this level, from its producer or derived by OSQ; a missing one is then
        absent from the observatory's sources, else not published by the producer at that level."""
        if niveau in self.niveaux or niveau in self.niveaux_producteur:
            return True
        if niveau == "strate" and self.type == "compte":
            return False  # a stratum's total says nothing: compare its rates
        return self.derivable and niveau in NIVEAUX_DERIVES


@dataclass(frozen=True)
class SeuilsCommentaire:
    """The thresholds of the automatic commentary (the glossary's `commentaire:`, shown on its page)."""

    effectif_faible: int  # a figure resting on fewer inhabitants is hedged as fragile
    pairs_min: int  # a rank is said among at least this many ranked peers…
    rang_remarquable: int  # …and only within this many places of either end
    faits_max: int  # facts of a note's summary; communes an intercommunality's note names
    indicateurs_par_theme: int  # indicators a note's reading comments per theme (the table holds them all)
    ecart_type_distinction: float  # standard deviations of its communes a commune stands from its intercommunality


CLES_COMMENTAIRE = {
    "effectif_faible": int, "pairs_min": int, "rang_remarquable": int, "faits_max": int,
    "indicateurs_par_theme": int, "ecart_type_distinction": float,
}


@dataclass(frozen=True)
class Glossaire:
    indicateurs: dict[str, Indicateur]
    themes: dict[str, str]
    chemin: str = ""
    commentaire: SeuilsCommentaire | None = None  # None only in unit tests that need no commentary

    @property
    def seuils(self) -> SeuilsCommentaire:
        if self.commentaire is None:
            raise OsqError("seuils du commentaire automatique absents du glossaire", fichier=self.chemin or
                           "data/glossaire.yml", correction="déclarez « commentaire: » (voir data/glossaire.yml).")
        return self.commentaire

    def __getitem__(self, code: str) -> Indicateur:
        try:
            return self.indicateurs[code]
        except KeyError:
            raise OsqError(f"indicateur « {code} » absent du glossaire", fichier=self.chemin or "data/glossaire.yml",
                           correction="ajoutez-le au glossaire ou corrigez son code.") from None

    def __iter__(self):
        return iter(self.indicateurs.values())

    def __contains__(self, code: object) -> bool:
        return code in self.indicateurs

    def types(self) -> dict[str, str]:
        return {c: i.type for c, i in self.indicateurs.items()}

    def par_theme(self, theme: str) -> list[Indicateur]:
        return [i for i in self if i.theme == theme]

    def of_level(self, niveau: str) -> list[str]:
        """Every indicator published at this level, theme by theme (glossary order)."""
        return [i.code for theme in self.themes for i in self.par_theme(theme) if niveau in i.niveaux]

    def comparables(self, niveau: str) -> list[str]:
        """Every indicator that exists at this level, published or derived by OSQ (Indicateur.publie_a),
        theme by theme (glossary order)."""
        return [i.code for theme in self.themes for i in self.par_theme(theme) if i.publie_a(niveau)]

    def source_rank(self) -> dict[tuple[str, str], int]:
        """(indicator, source) -> rank of the source in the indicator's list: the first one wins."""
        return {(ind.code, src): i for ind in self for i, src in enumerate(ind.sources)}


def precision(publiee, declaree: int) -> int:
    """The decimals a figure is shown with: those its producer published (observations.decimales), never more
    than the glossary declares (census counts are published as weighted estimates with 15 decimals: « 4 215 »,
    not « 4 215,000000000000000 »); the glossary's for a figure OSQ computes (publiee missing)."""
    try:
        return min(int(publiee), declaree)
    except (TypeError, ValueError):  # None, NaN, pd.NA: not published with the figure
        return declaree


def bornes_par_defaut(type_: str, unite: str) -> tuple[float | None, float | None]:
    """Possible values of a figure from its type: a percentage 0-100, a rate per thousand 0-1 000, anything
    else (counts, amounts, means, densities) 0 or more."""
    if unite == "%":
        return (0.0, 100.0)
    if type_ == "taux_pour_mille":
        return (0.0, 1000.0)
    return (0.0, None)


def _bornes(doc: Document, entry: dict, where: tuple) -> tuple[float | None, float | None]:
    spec = entry.get("bornes")
    if spec is None:
        return bornes_par_defaut(entry["type"], entry["unite"] or "")
    ok = isinstance(spec, list) and len(spec) == 2 and all(b is None or isinstance(b, int | float) for b in spec)
    if not ok or (None not in spec and spec[0] > spec[1]):
        raise doc.erreur(f"« bornes » de {entry['code']} mal formées", *where, "bornes",
                         correction="écrivez « bornes: [min, max] », avec null pour une borne absente, "
                         "par exemple « bornes: [-100, null] ».")
    return (None if spec[0] is None else float(spec[0]), None if spec[1] is None else float(spec[1]))


def glossaire_path() -> Path:
    """The glossary: $OSQ_GLOSSAIRE (an observatory's own copy) or data/glossaire.yml."""
    return Path(os.environ.get("OSQ_GLOSSAIRE") or chemin_donnees("glossaire.yml"))


def fichiers() -> list[Path]:
    """The files this loader reads (for the build fingerprint)."""
    return [glossaire_path()]


def load_glossaire(path: Path | str | None = None) -> Glossaire:
    return _load_cached(*version(path or glossaire_path(), quoi="glossaire",
                                 correction="restaurez data/glossaire.yml, ou corrigez la variable OSQ_GLOSSAIRE."))


@lru_cache(maxsize=8)
def _load_cached(path: str, _mtime: int) -> Glossaire:
    doc = lire_yaml(path, quoi="glossaire")
    raw = doc.donnees if isinstance(doc.donnees, dict) else {}
    themes = raw.get("themes") or {}
    if not isinstance(themes, dict) or not themes:
        raise doc.erreur("liste des thèmes « themes: » absente", correction="déclarez les thèmes : « themes: » puis "
                         "une ligne « code: Libellé » par thème.")
    if not isinstance(raw.get("indicateurs"), list):
        raise doc.erreur("liste « indicateurs: » absente", correction="déclarez les indicateurs sous « indicateurs: ».")
    out: dict[str, Indicateur] = {}
    for i, entry in enumerate(raw["indicateurs"]):
        where = ("indicateurs", i)
        if not isinstance(entry, dict):
            raise doc.erreur(f"indicateur n° {i + 1} mal formé", *where, correction="commencez sa fiche par « - code: … ».")
        label = f"indicateur n° {i + 1} ({entry.get('code', '?')})"
        for key in REQUIRED_FIELDS:
            if key not in entry:
                raise doc.erreur(f"{label} sans champ « {key} »", *where,
                                 correction="complétez la fiche de l'indicateur dans le glossaire.")
        if entry["type"] not in TYPES:
            raise doc.erreur(f"type « {entry['type']} » inconnu pour {entry['code']}", *where, "type",
                             correction=f"types possibles : {', '.join(TYPES)}.")
        if entry["theme"] not in themes:
            raise doc.erreur(f"thème « {entry['theme']} » inconnu pour {entry['code']}", *where, "theme",
                             correction=f"thèmes déclarés : {', '.join(themes)}.")
        if entry["sens"] not in SENS:
            raise doc.erreur(f"sens « {entry['sens']} » inconnu pour {entry['code']}", *where, "sens",
                             correction=f"sens possibles : {', '.join(SENS)}.")
        agregeable = entry.get("agregeable", True)
        if not isinstance(agregeable, bool):
            raise doc.erreur(f"« agregeable » de {entry['code']} doit valoir true ou false", *where, "agregeable",
                             correction="écrivez « agregeable: false » (avec sa raison) ou supprimez la ligne.")
        raison = entry.get("raison_non_agregeable")
        if not agregeable and not (isinstance(raison, str) and raison.strip()):
            raise doc.erreur(f"{entry['code']} est déclaré non agrégeable sans raison", *where, "agregeable",
                             correction="ajoutez « raison_non_agregeable: \"…\" » (une ligne : pourquoi ne pas le calculer "
                             "pour un regroupement de territoires).")
        if agregeable and raison is not None:
            raise doc.erreur(f"{entry['code']} a une « raison_non_agregeable » mais n'est pas déclaré non agrégeable",
                             *where, "raison_non_agregeable",
                             correction="ajoutez « agregeable: false » ou supprimez la raison.")
        for key in ("niveaux", "niveaux_producteur"):
            if not isinstance(entry.get(key) or [], list):
                raise doc.erreur(f"« {key} » de {entry['code']} doit être une liste", *where, key,
                                 correction="écrivez par exemple « [commune, epci, departement] ».")
        code = str(entry["code"])
        if code in out:
            raise doc.erreur(f"indicateur « {code} » déclaré deux fois", *where, "code",
                             correction="gardez une seule fiche par code.")
        out[code] = Indicateur(
            code=code, libelle=entry["libelle"], theme=entry["theme"], definition=entry["definition"],
            unite=entry["unite"] or "", type=entry["type"], numerateur=entry["numerateur"],
            denominateur=entry["denominateur"], sources=tuple(entry["sources"]), niveaux=tuple(entry["niveaux"]),
            annees=tuple(int(a) for a in entry["annees"]), sens=entry["sens"], seuil_secret=entry["seuil_secret"] or {},
            decimales=int(entry.get("decimales", 1)), agregeable=agregeable,
            raison_non_agregeable=raison.strip() if isinstance(raison, str) else None,
            niveaux_producteur=tuple(entry.get("niveaux_producteur") or ()),
            calcul=_calcul(doc, entry, where), bornes=_bornes(doc, entry, where),
        )
    for i, entry in enumerate(raw["indicateurs"]):
        _check_calcul(doc, out[str(entry["code"])], out, ("indicateurs", i))
    return Glossaire(out, dict(themes), path, _seuils_commentaire(doc, raw.get("commentaire")))


def _seuils_commentaire(doc: Document, spec) -> SeuilsCommentaire | None:
    """The glossary's `commentaire:` thresholds: every key, each a positive number; None when the section is
    absent (a glossary for figures only: the notes' commentary then stops on Glossaire.seuils' error)."""
    forme = ("écrivez « commentaire: » suivi de " + ", ".join(f"« {k}: … »" for k in CLES_COMMENTAIRE)
             + " (voir data/glossaire.yml).")
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise doc.erreur("seuils du commentaire automatique « commentaire: » mal formés", "commentaire",
                         correction=forme)
    for key in spec:
        if key not in CLES_COMMENTAIRE:
            raise doc.erreur(f"seuil de commentaire « {key} » inconnu", "commentaire", key, cle=True,
                             correction=f"seuils possibles : {', '.join(CLES_COMMENTAIRE)}.")
    values = {}
    for key, kind in CLES_COMMENTAIRE.items():
        if key not in spec:
            raise doc.erreur(f"seuil de commentaire « {key} » absent", "commentaire", correction=forme)
        value = spec[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 \
                or (kind is int and value != int(value)):
            raise doc.erreur(f"seuil de commentaire « {key} » invalide : {value!r}", "commentaire", key,
                             correction=f"écrivez un nombre {'entier ' if kind is int else ''}positif.")
        values[key] = kind(value)
    return SeuilsCommentaire(**values)


def _calcul(doc: Document, entry: dict, where: tuple) -> Calcul | None:
    spec = entry.get("calcul")
    if spec is None:
        return None
    if not isinstance(spec, dict) or set(spec) != {"numerateur", "denominateur"}:
        raise doc.erreur(f"« calcul » de {entry['code']} mal formé", *where, "calcul",
                         correction="écrivez « calcul: {numerateur: <code d'un effectif>, "
                         "denominateur: population ou <code d'un effectif>} ».")
    return Calcul(str(spec["numerateur"]), str(spec["denominateur"]))


def _check_calcul(doc: Document, ind: Indicateur, indicateurs: dict[str, Indicateur], where: tuple) -> None:
    """A computed ratio: a ratio type, and a numerator and denominator that are counts of the glossary."""
    if ind.calcul is None:
        return
    if ind.type not in FACTEURS or ind.type == "moyenne":
        raise doc.erreur(f"{ind.code} déclare un « calcul » mais son type est « {ind.type} »", *where, "type",
                         correction="un calcul s'applique à un taux, un taux pour mille ou une densité.")
    for role in ("numerateur", "denominateur"):
        code = getattr(ind.calcul, role)
        if role == "denominateur" and code == DENOMINATEUR_POPULATION:
            continue
        if code not in indicateurs or indicateurs[code].type != "compte":
            raise doc.erreur(f"{role} « {code} » du calcul de {ind.code} : pas un effectif (type compte) du glossaire",
                             *where, "calcul", role,
                             correction="donnez le code d'un indicateur de type « compte »"
                             + (" ou « population »." if role == "denominateur" else "."))

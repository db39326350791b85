"""Plan the jobs (kind of note × territory × theme) of an observatory from its params file.

Every check that could make a build fail is made here, before any note runs, and `osq check`
runs this same function: an error names the params file, the line, the column and the fix.
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from osq_utils import territoires
from osq_utils.catalogues.glossaire import load_glossaire
from osq_utils.catalogues.groupements import load_groupements
from osq_utils.catalogues.lecture_yaml import Document, lire_yaml
from osq_utils.catalogues.plan_actions import load_plan_actions
from osq_utils.catalogues.profils import CORRECTION as CORRECTION_PROFILS
from osq_utils.catalogues.profils import PROFILS
from osq_utils.catalogues.racine import PROJECT_ROOT, affichable, dossier_donnees
from osq_utils.catalogues.themes import theme_labels
from osq_utils.catalogues.zones import dossier_zones
from osq_utils.errors import OsqError
from osq_utils.indicateurs.zones import toutes_les_zones, zones_du_fichier
from osq_utils.indicateurs.zones import zone as zone_de
from osq_utils.notes import TYPES, ParametreInvalide, TypeNote, communale

# Keys of a note entry. Path keys name a project file or folder (relative to where osq runs); each is
# accepted only by the kinds whose template takes it.
CLES_NOTE = ("modele", "territoires", "themes", "groupements", "enjeux", "evaluation", "plan_actions", "commentaire",
             "parametres", "zones")
CLES_CHEMINS = {"groupements": ("note_communale", "abs_ccas"), "enjeux": ("abs_ccas",), "evaluation": ("evaluation_cdv",),
                "plan_actions": ("abs_ccas", "plan_actions"), "zones": ("note_zone", "note_communale", "abs_ccas")}
EXEMPLES_CHEMINS = {"groupements": "data/territoires/capso.yml", "enjeux": "params/capso/enjeux",
                    "evaluation": "params/capso/evaluation", "plan_actions": "params/capso/plan-actions.yml",
                    "zones": "data/zones/saint-etienne.yml"}
CLES_TERRITOIRES = ("communes", "epci", "departements", "qpv")
CLES_FICHIER = ("observatoire", "notes")
CLES_OBSERVATOIRE = ("id", "titre", "description", "profils", "indicateur_accueil", "relecture")
IDENTIFIANT = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class Job:
    modele: str
    niveau: str
    code: str
    libelle: str
    slug: str
    parametres: dict = field(hash=False, compare=False)
    theme: str | None = None
    theme_libelle: str | None = None

    @property
    def titre(self) -> str:
        return self.libelle if not self.theme_libelle else f"{self.libelle} · {self.theme_libelle}"

    @property
    def type(self) -> TypeNote:
        return TYPES[self.modele]

    @property
    def template(self) -> Path:
        return self.type.template


@dataclass(frozen=True)
class Plan:
    id: str
    titre: str
    description: str
    params_file: Path
    jobs: list[Job]
    profils: tuple[str, ...] = ("public",)  # one published site per diffusion profile
    indicateur_accueil: str = communale.CARTE  # the home page map's indicator
    # commune code -> (département, its label, intercommunality, its label): how the home page lists the notes
    # of a kind that spans several intercommunalities (`rubriques`)
    rubriques: dict = field(default_factory=dict, hash=False, compare=False)


def job(con, modele: str, code: str, theme: str | None = None, parametres: dict | None = None) -> Job:
    """One job outside a params file (osq preview): the kind's slug, parameter and theme label."""
    kind = TYPES[modele]
    theme = theme or kind.theme_defaut if kind.par_theme else None
    if parametres is None and kind.apercu is not None:
        parametres = kind.apercu(con, code)
    params = {kind.parametre: code, **(parametres or {}), **({"theme": theme} if theme else {})}
    niveau = kind.niveau
    if niveau == "commune":  # a municipal arrondissement is a territory of its own
        niveau = territoires.code_commune(con, code).niveau
    if niveau == "zone":
        label = zone_de(con, code, (parametres or {}).get("zones")).libelle
    else:
        label = territoires.libelle(con, niveau, code) or code
    return Job(modele, niveau, code, label, kind.slug(code, theme), params, theme,
               theme_labels().get(theme) if theme else None)


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def load_params(path: Path | str) -> Document:
    path = Path(path)
    if not path.exists():
        raise OsqError("fichier de paramètres introuvable", fichier=path,
                       correction="indiquez un fichier du dossier params/, par exemple params/capso.yml.")
    return lire_yaml(path, quoi="fichier de paramètres")


def _suggestion(key: object, allowed) -> str:
    close = difflib.get_close_matches(str(key), list(allowed), n=1)
    return f" (vouliez-vous écrire « {close[0]} » ?)" if close else ""


def plan(con, params_file: Path | str) -> Plan:
    """Read a params file and list its jobs; every error is located in the file."""
    params_file = Path(params_file)
    doc = load_params(params_file)
    data = doc.donnees if isinstance(doc.donnees, dict) else {}
    _cles_connues(doc, data, (), CLES_FICHIER, "du fichier de paramètres")
    obs = data.get("observatoire") or {}
    if not isinstance(obs, dict) or "id" not in obs:
        raise doc.erreur("clé « observatoire.id » manquante", "observatoire",
                         correction="ajoutez un identifiant court, par exemple « id: capso ».")
    _cles_connues(doc, obs, ("observatoire",), CLES_OBSERVATOIRE, "de « observatoire: »")
    ident = str(obs["id"])
    if not IDENTIFIANT.match(ident):
        raise doc.erreur(f"identifiant d'observatoire « {ident} » invalide : il nomme le dossier des rapports",
                         "observatoire", "id", correction="écrivez des minuscules, chiffres, tirets ou soulignés, "
                         "par exemple « capso » ou « saint-etienne ».")
    titre, description = (_texte(doc, obs, key, defaut) for key, defaut in (("titre", ident), ("description", "")))
    notes = data.get("notes")
    if not isinstance(notes, list) or not notes:
        raise doc.erreur("aucune note à construire : la liste « notes: » est absente ou vide", "notes",
                         correction="ajoutez sous « notes: » au moins une entrée « - modele: note_communale » avec "
                                    "ses « territoires: ».")
    glossaire = load_glossaire()
    labels_themes: dict[str, str] | None = None
    jobs: list[Job] = []
    origine: dict[str, int] = {}  # slug -> the entry (0-based) that first plans it
    for i, note in enumerate(notes):
        here = ("notes", i)
        if not isinstance(note, dict):
            raise doc.erreur(f"note n° {i + 1} mal formée", *here,
                             correction="commencez chaque note par « - modele: … » suivi de ses « territoires: ».")
        for key in note:
            if key not in CLES_NOTE:
                raise doc.erreur(f"clé « {key} » inconnue dans la note n° {i + 1}{_suggestion(key, CLES_NOTE)}",
                                 *here, key, cle=True, correction=f"clés possibles : {', '.join(CLES_NOTE)}.")
        modele = note.get("modele")
        if not isinstance(modele, str) or modele not in TYPES:
            raise doc.erreur(f"modèle de note « {modele} » inconnu{_suggestion(modele, TYPES)}", *here, "modele",
                             correction=f"modèles disponibles : {', '.join(TYPES)}.")
        kind = TYPES[modele]
        if kind.niveau == "zone":  # a zone note takes its territories from its zones file
            codes, labels = _codes_zones(con, doc, note, i, glossaire)
        else:
            codes = _codes_for(con, doc, note, i, kind)
            labels = territoires.libelles(con, kind.niveau, codes)
        niveaux = {c: kind.niveau for c in codes}
        if kind.niveau == "commune":  # a municipal arrondissement is a territory of its own
            arms = territoires.libelles(con, "arm", codes)
            labels.update(arms)
            niveaux.update({c: "arm" for c in arms})
        extra = _parametres(doc, note, i, kind)
        if "commentaire" in note:
            extra["commentaire"] = _commentaire(doc, note["commentaire"], i, kind)
        for key, kinds in CLES_CHEMINS.items():
            if key in note:
                if modele not in kinds:
                    raise doc.erreur(f"la clé « {key} » ne s'applique pas au modèle « {modele} »", *here, key, cle=True,
                                     correction=f"elle sert aux modèles : {', '.join(kinds)} ; retirez-la de cette note.")
                extra[key] = str(_project_path(con, doc, note[key], i, key, glossaire))
        themes: list[str | None] = [None]
        if kind.par_theme or "themes" in note:
            if not kind.par_theme:
                raise doc.erreur(f"le modèle « {modele} » ne se décline pas par thème", *here, "themes", cle=True,
                                 correction="retirez « themes: » de cette note (seules les analyses des besoins "
                                            "sociaux, abs_ccas, ont une note par thème).")
            labels_themes = labels_themes or theme_labels(glossaire)
            raw = note.get("themes")
            if not raw:
                raise doc.erreur(f"aucun thème pour le modèle « {modele} »", *here,
                                 correction=f"listez ses thèmes : « themes: [{kind.theme_defaut}] » ; thèmes "
                                            f"disponibles : {', '.join(labels_themes)}.")
            themes = [str(t) for t in _as_list(raw)]
            for j, theme in enumerate(themes):
                if theme not in labels_themes:
                    path = (*here, "themes", j) if isinstance(raw, list) else (*here, "themes")
                    raise doc.erreur(f"thème « {theme} » inconnu{_suggestion(theme, labels_themes)}", *path,
                                     correction=f"thèmes disponibles : {', '.join(labels_themes)}.")
        for code in codes:
            if kind.valider is not None:
                try:
                    kind.valider(con, code, extra, glossaire)
                except ParametreInvalide as exc:
                    line, col = doc.position(*here, *exc.chemin)
                    raise OsqError(f"note n° {i + 1} ({modele}, {labels.get(code, code)}) : {exc.message}",
                                   fichier=params_file, ligne=line, colonne=col, correction=exc.correction) from None
            for theme in themes:
                params = {kind.parametre: code, **extra}
                if theme:
                    params["theme"] = theme
                if "enjeux" in extra:
                    params["enjeux"], params["enjeux_fichier"] = _enjeux(Path(extra["enjeux"]), code, theme)
                slug = kind.slug(code, theme)
                if slug in origine:  # two jobs would write the same page
                    raise doc.erreur(f"la note « {slug} » ({labels.get(code, code)}) est déjà prévue par la note "
                                     f"n° {origine[slug] + 1}", *here, "territoires",
                                     correction="retirez ce territoire de l'une des deux notes : chaque note n'est "
                                                "construite qu'une fois.")
                origine[slug] = i
                jobs.append(Job(modele, niveaux[code], code, labels.get(code, code), kind.slug(code, theme), params, theme,
                                labels_themes.get(theme) if theme and labels_themes else None))
    _lier_plans_actions(jobs)
    return Plan(ident, titre, description, params_file, jobs, _profils(doc, obs), _indicateur_accueil(doc, obs, glossaire),
                rubriques(con, jobs))


def rubriques(con, jobs: list[Job]) -> dict[str, tuple[str, str, str, str]]:
    """Each commune with a note -> its département and intercommunality (codes and labels), when the observatory's
    communes span more than one intercommunality: the home page then lists them under those headings."""
    communes = sorted({j.code for j in jobs if j.niveau in ("commune", "arm")})
    epcis = territoires.parents(con, "commune", communes, "epci")
    if len(set(epcis.values())) < 2:
        return {}
    deps = territoires.parents(con, "commune", communes, "departement")
    noms = {**territoires.libelles(con, "epci", sorted(set(epcis.values()))),
            **territoires.libelles(con, "departement", sorted(set(deps.values())))}
    return {c: (deps.get(c, ""), noms.get(deps.get(c, ""), ""), epcis.get(c, ""), noms.get(epcis.get(c, ""), ""))
            for c in communes}


def _indicateur_accueil(doc: Document, obs: dict, glossaire) -> str:
    """observatoire.indicateur_accueil: the indicator of the home page's map (published for communes)."""
    code = obs.get("indicateur_accueil")
    if code is None:
        return communale.CARTE
    code = str(code)
    possibles = [i.code for i in glossaire if "commune" in i.niveaux]
    if code not in possibles:
        raise doc.erreur(f"indicateur « {code} » inconnu ou non publié pour les communes{_suggestion(code, possibles)}",
                         "observatoire", "indicateur_accueil",
                         correction="écrivez le code d'un indicateur communal du glossaire, par exemple "
                                    "« indicateur_accueil: taux_pauvrete ».")
    return code


def _commentaire(doc: Document, value, i: int, kind: TypeNote) -> str:
    """A note entry's `commentaire:` (true, false, or the sections kept) as its template's parameter."""
    here = ("notes", i, "commentaire")
    if not kind.sections_commentaire:
        raise doc.erreur(f"le modèle « {kind.modele} » n'a pas de commentaire automatique", *here[:2], "commentaire",
                         cle=True, correction="retirez « commentaire: » de cette note.")
    if isinstance(value, bool):
        return ",".join(kind.sections_commentaire) if value else ""
    sections = _as_list(value)
    for j, section in enumerate(sections):
        if section not in kind.sections_commentaire:
            raise doc.erreur(f"section de commentaire « {section} » inconnue{_suggestion(str(section), kind.sections_commentaire)}",
                             *(here + (j,) if isinstance(value, list) else here),
                             correction=f"écrivez « commentaire: false » pour n'en écrire aucun, ou la liste des "
                                        f"sections gardées parmi : {', '.join(kind.sections_commentaire)}.")
    return ",".join(str(s) for s in sections)


def _cles_connues(doc: Document, data: dict, here: tuple, allowed: tuple[str, ...], where: str) -> None:
    """A misspelt key is an error, not a silently ignored setting."""
    for key in data:
        if key not in allowed:
            raise doc.erreur(f"clé « {key} » inconnue {where}{_suggestion(key, allowed)}", *here, key, cle=True,
                             correction=f"clés possibles : {', '.join(allowed)}.")


def _texte(doc: Document, obs: dict, key: str, defaut: str) -> str:
    """observatoire.titre / description: a text (the site's title and home page)."""
    value = obs.get(key)
    if value is None:
        return defaut
    if isinstance(value, (dict, list)):
        raise doc.erreur(f"« observatoire.{key} » doit être un texte", "observatoire", key,
                         correction=f"écrivez « {key}: » suivi d'une ligne de texte, par exemple « titre: Observatoire "
                                    "social du Pays de Saint-Omer ».")
    return str(value)


def _parametres(doc: Document, note: dict, i: int, kind: TypeNote) -> dict:
    """The entry's `parametres:`, only the keys its template takes."""
    raw = note.get("parametres") or {}
    if not isinstance(raw, dict):
        raise doc.erreur("« parametres » doit associer une valeur à chaque paramètre", "notes", i, "parametres",
                         correction="écrivez « parametres: » puis une ligne « nom: valeur » par paramètre.")
    for key in raw:
        if key not in kind.parametres:
            possibles = ", ".join(kind.parametres) or "aucun"
            raise doc.erreur(f"paramètre « {key} » inconnu pour le modèle « {kind.modele} »"
                             f"{_suggestion(key, kind.parametres)}", "notes", i, "parametres", key, cle=True,
                             correction=f"paramètres de ce modèle : {possibles}.")
    return dict(raw)


def _profils(doc: Document, obs: dict) -> tuple[str, ...]:
    """observatoire.profils: the diffusion profiles to publish (public first); default public only."""
    raw = obs.get("profils") or ["public"]
    profils = [str(p) for p in _as_list(raw)]
    for j, profil in enumerate(profils):
        if profil not in PROFILS:
            path = ("observatoire", "profils", j) if isinstance(raw, list) else ("observatoire", "profils")
            raise doc.erreur(f"profil de diffusion « {profil} » inconnu", *path, correction=CORRECTION_PROFILS)
    return tuple(sorted(dict.fromkeys(profils), key=PROFILS.index))


def _project_path(con, doc: Document, value, i: int, key: str, glossaire=None) -> Path:
    """A file or folder named in a params file, relative to the project folder (where osq runs).

    It must lie in the project folder, the OSQ folder, the data root or the params file's folder: its
    content is published (enjeux, evaluation), so `../` or an absolute path cannot reach any other file.
    """
    if not isinstance(value, str) or not value.strip():
        raise doc.erreur(f"« {key} » doit être un chemin", "notes", i, key,
                         correction=f"indiquez un chemin relatif au dossier du projet, par exemple {EXEMPLES_CHEMINS[key]}.")
    # Lexical: `..` is resolved, symbolic links the observatory made inside its folders are kept.
    path = Path(os.path.normpath(Path.cwd() / value))
    bases = dict.fromkeys(Path(os.path.normpath(b)) for b in (Path.cwd(), PROJECT_ROOT, dossier_donnees(),
                                                               doc.chemin.absolute().parent))
    if not any(path.is_relative_to(b) for b in bases):
        raise doc.erreur(f"« {key} » : {value} est hors du projet", "notes", i, key,
                         correction="un chemin du fichier de paramètres reste dans l'un de ces dossiers : "
                                    f"{', '.join(str(b) for b in bases)} ; par exemple {EXEMPLES_CHEMINS[key]}.")
    if not path.exists():
        raise doc.erreur(f"« {key} » : {value} introuvable", "notes", i, key,
                         correction=f"indiquez un chemin relatif au dossier du projet, par exemple {EXEMPLES_CHEMINS[key]}.")
    if key in ("groupements", "plan_actions", "zones"):
        if not path.is_file() or path.suffix not in (".yml", ".yaml"):
            raise doc.erreur(f"« {key} » : {value} n'est pas un fichier YAML", "notes", i, key,
                             correction=f"nommez un fichier .yml, par exemple {EXEMPLES_CHEMINS[key]}.")
    if key == "enjeux" and path.is_file() and path.suffix != ".md":  # its text is published as it is
        raise doc.erreur(f"« enjeux » : {value} n'est ni un dossier ni un fichier .md", "notes", i, key,
                         correction="nommez le dossier des enjeux (un fichier <code>-<thème>.md par note), par exemple "
                                    f"{EXEMPLES_CHEMINS[key]}.")
    if key == "groupements":  # a located error now, rather than a failed note per commune
        load_groupements(path, territoires.communes_connues(con))
    if key == "zones":  # the ledger of masked values and the exports find a zone by its code in data/zones/
        if not path.resolve().is_relative_to(dossier_zones().resolve()):
            raise doc.erreur(f"« zones » : {value} n'est pas dans le dossier des zones ({affichable(dossier_zones())})",
                             "notes", i, key, correction="placez le fichier de zones dans ce dossier : le secret "
                             "statistique et les exports y retrouvent chaque zone par son code.")
        found = zones_du_fichier(con, path)  # located errors now (codes unknown, polygon without IRIS)
        ailleurs = {c: z for c, z in toutes_les_zones(con).items() if Path(z.fichier).resolve() != path.resolve()}
        for code in sorted(set(found) & set(ailleurs)):
            raise doc.erreur(f"« zones » : la zone « {code} » est aussi déclarée dans "
                             f"{affichable(ailleurs[code].fichier)}", "notes", i, key,
                             correction="un code de zone est unique dans tout le dossier des zones.")
    if key == "plan_actions":
        load_plan_actions(path, theme_labels(glossaire), lambda code: territoires.existe(con, "commune", code))
    return path.resolve()


def _lier_plans_actions(jobs: list[Job]) -> None:
    """An ABS note links to the summary note of its plan d'actions when the params file builds one."""
    pages = {j.parametres["plan_actions"]: f"{j.slug}.html" for j in jobs
             if j.modele == "plan_actions" and j.parametres.get("plan_actions")}
    for j in jobs:
        if j.modele == "abs_ccas" and j.parametres.get("plan_actions") in pages:
            j.parametres["plan_actions_page"] = pages[j.parametres["plan_actions"]]


def _enjeux(folder: Path, code: str, theme: str | None) -> tuple[str, str]:
    """The analyst's « enjeux à retenir » for one note, and the file they belong in.

    <folder>/<code>-<theme>.md (or <code>.md without theme); text '' while the file is not written.
    """
    path = folder / (f"{code}-{theme}.md" if theme else f"{code}.md") if folder.is_dir() else folder
    try:
        text = path.read_text(encoding="utf-8").strip() if path.is_file() else ""
    except UnicodeDecodeError as exc:
        raise OsqError(f"enjeux illisibles : le fichier n'est pas encodé en UTF-8 (octet {exc.start})", fichier=path,
                       correction="enregistrez le fichier en UTF-8 depuis votre éditeur.") from None
    except OSError as exc:
        raise OsqError(f"enjeux illisibles ({exc.strerror})", fichier=path,
                       correction="vérifiez que le fichier existe et que vous pouvez le lire.") from None
    try:
        shown = str(path.relative_to(Path.cwd()))
    except ValueError:
        shown = str(path)
    return text, shown


def _codes_for(con, doc: Document, note: dict, i: int, kind: TypeNote) -> list[str]:
    """Territory codes of one note entry, at the kind's level.

    `territoires` may name communes, EPCI, départements or QPV; a QPV note of an EPCI covers the
    QPV of its communes, an EPCI note of a département the EPCI of its communes.
    """
    here = ("notes", i, "territoires")
    terr = note.get("territoires")
    if not isinstance(terr, dict) or not terr:
        raise doc.erreur(f"note n° {i + 1} ({kind.modele}) sans territoire", "notes", i,
                         correction="ajoutez « territoires: » avec des communes, des EPCI, des départements ou des "
                                    'quartiers, par exemple « territoires: {epci: "200069037"} ».')
    for key in terr:
        if key not in CLES_TERRITOIRES:
            raise doc.erreur(f"type de territoire « {key} » inconnu{_suggestion(key, CLES_TERRITOIRES)}", *here, key,
                             cle=True, correction=f"types possibles : {', '.join(CLES_TERRITOIRES)}.")
    if kind.niveau == "epci" and set(terr) <= {"epci"}:
        codes = _codes_epci(con, doc, terr, here)
    else:
        qpv_codes: list[str] = []
        if "qpv" in terr:
            if kind.niveau != "qpv":
                raise doc.erreur(f"le modèle « {kind.modele} » ne porte pas sur des quartiers", *here, "qpv", cle=True,
                                 correction="indiquez des communes, des EPCI ou des départements.")
            for j, code in enumerate(_as_list(terr["qpv"])):
                if territoires.libelle(con, "qpv", str(code)) is None:
                    raise doc.erreur(f"quartier « {code} » inconnu de la géographie prioritaire 2015",
                                     *_item(here, "qpv", terr, j),
                                     correction='indiquez le code du quartier, par exemple "QP062036" (liste '
                                                "officielle des QPV 2015).")
                qpv_codes.append(str(code))
        communes = _commune_codes(con, doc, terr, here)
        if kind.niveau == "commune":
            codes = communes
        elif kind.niveau == "qpv":
            found = {q for code in communes for q in territoires.qpv_of_commune(con, code)}
            if qpv_codes and set(terr) - {"qpv"}:  # QPV named beside communes, EPCI or départements: one of theirs
                _qpv_dans(con, doc, terr, here, found)
            codes = list(dict.fromkeys(qpv_codes + sorted(found - set(qpv_codes))))
        else:  # EPCI of the listed communes or départements, in order of first appearance
            epcis = territoires.parents(con, "commune", communes, "epci")  # one query for a région's communes
            codes = list(dict.fromkeys(epcis[c] for c in communes if c in epcis))
    if not codes:
        raise doc.erreur(f"aucun territoire de niveau « {kind.niveau} » pour le modèle « {kind.modele} »", *here,
                         correction="vérifiez les territoires de cette note (par exemple, des communes sans quartier "
                                    "prioritaire ne donnent aucune note de quartier).")
    return codes


def _codes_zones(con, doc: Document, note: dict, i: int, glossaire) -> tuple[list[str], dict[str, str]]:
    """The zones of a zone note's `zones:` file (codes and labels); it names no other territory."""
    if "territoires" in note:
        raise doc.erreur("une note de zone ne prend pas de « territoires: »", "notes", i, "territoires", cle=True,
                         correction="retirez « territoires: » : les zones sont celles du fichier « zones: ».")
    if "zones" not in note:
        raise doc.erreur(f"note n° {i + 1} (note_zone) sans fichier de zones", "notes", i,
                         correction=f"ajoutez « zones: {EXEMPLES_CHEMINS['zones']} » (voir docs/guides/zones-iris.md).")
    path = _project_path(con, doc, note["zones"], i, "zones", glossaire)
    found = zones_du_fichier(con, path)
    if not found:
        raise doc.erreur(f"aucune zone dans {note['zones']}", "notes", i, "zones",
                         correction="déclarez au moins une zone (« zones: » ou « grands_quartiers: »).")
    return list(found), {code: z.libelle for code, z in found.items()}


def _qpv_dans(con, doc: Document, terr: dict, here: tuple, found: set[str]) -> None:
    """Each QPV listed beside communes, EPCI or départements must be one of their QPV (a typo that names a
    real quartier elsewhere would add a note about it)."""
    for j, code in enumerate(str(c) for c in _as_list(terr["qpv"])):
        if code in found:
            continue
        communes = territoires.libelles(con, "commune", territoires.communes_of_qpv(con, code))
        ou = ", ".join(f"{nom} ({c})" for c, nom in sorted(communes.items())) or "commune inconnue"
        autres = ", ".join(f"{k}: {terr[k]!r}".replace("'", '"') for k in terr if k != "qpv")
        raise doc.erreur(f"le quartier « {code} » ({territoires.libelle(con, 'qpv', code)}, {ou}) n'est dans aucun "
                         f"des territoires de cette note ({autres})", *_item(here, "qpv", terr, j),
                         correction="corrigez son code, retirez-le, ou faites-en une note à part avec « territoires: "
                                    f'{{qpv: ["{code}"]}} ».')


def _item(here: tuple, key: str, terr: dict, j: int) -> tuple:
    return (*here, key, j) if isinstance(terr[key], list) else (*here, key)


def _codes_epci(con, doc: Document, terr: dict, here: tuple) -> list[str]:
    codes = [str(c) for c in _as_list(terr.get("epci") or [])]
    for j, code in enumerate(codes):
        if not territoires.communes_of(con, "epci", code):
            raise doc.erreur(f"EPCI « {code} » inconnu (aucune commune membre dans les référentiels)",
                             *_item(here, "epci", terr, j),
                             correction="indiquez le numéro SIREN à 9 chiffres de l'intercommunalité, entre guillemets.")
    return list(dict.fromkeys(codes))


def _commune_codes(con, doc: Document, terr: dict, here: tuple) -> list[str]:
    codes: list[str] = []
    if "epci" in terr:
        for epci in _codes_epci(con, doc, terr, here):
            codes += territoires.communes_of(con, "epci", epci)
    if "departements" in terr:
        for j, dep in enumerate(_as_list(terr["departements"])):
            found = territoires.communes_of(con, "departement", str(dep))
            if not found or not isinstance(dep, str):
                raise doc.erreur(f"département « {dep} » inconnu ou écrit sans guillemets",
                                 *_item(here, "departements", terr, j),
                                 correction='écrivez le code entre guillemets, par exemple "62" ou "2A".')
            codes += found
    if "communes" in terr:
        for j, code in enumerate(_as_list(terr["communes"])):
            code_str = str(code)
            where = _item(here, "communes", terr, j)
            ecrit = doc.ecrit(*where)
            if not isinstance(code, str) and ecrit is not None and ecrit != code_str:
                # Unquoted 01001 is the octal 513 for YAML (and 062040 another commune): name what was typed.
                raise doc.erreur(f"code commune « {ecrit} » écrit sans guillemets : il est lu comme un nombre et "
                                 "perd son zéro initial", *where,
                                 correction=f'écrivez le code INSEE entre guillemets : "{ecrit}".')
            try:
                territoires.code_commune(con, code_str)
            except territoires.CodeCommuneInvalide as exc:
                raise doc.erreur(f"{exc.message}.", *where, correction=exc.correction) from None
            codes.append(code_str)
    return list(dict.fromkeys(codes))


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]

"""Versions of an observatory's sites: each build's sites frozen in a dated folder, a review site (« relecture »)
for the partners and élus, then publication and rollback (`osq publier`).

Layout under rapports/<observatoire>/ (beside batch.build's working sites):
  versions/<AAAA-MM-JJTHH-MM-SS>/  one build's sites, never written again: site/, site-partenaires/,
                                   manifeste.json (date, notes, each file's hash), analyste.json (the analyst's files)
  relecture/                       the last version, for review: its sites with a « version de travail » banner,
                                   a page « Ce qui a changé » and « Faire une remarque » mail links
  en-ligne -> versions/<id>        the published version: a relative symlink, replaced atomically by `osq publier`
  publications.json                the history of publications (date, version, the one before it, what changed)

A version's files are read-only; a file unchanged since the previous version is a hard link to it (versions
share their unchanged files). A version that was ever published is never removed.
"""

from __future__ import annotations

import csv
import datetime
import difflib
import hashlib
import html
import json
import os
import re
import secrets
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

from osq_utils import atomic, verrou
from osq_utils.batch import plan as pl
from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.catalogues.references import fichiers_references
from osq_utils.catalogues.verbatims import fichiers_verbatims
from osq_utils.errors import OsqError
from osq_utils.present import fr
from osq_utils.territoires import LIBELLES_NIVEAUX

VERSIONS, RELECTURE, EN_LIGNE, HISTORIQUE = "versions", "relecture", "en-ligne", "publications.json"
MANIFESTE, ANALYSTE = "manifeste.json", "analyste.json"
CACHE = "empreintes-sites.json"  # beside etat.json: the working sites' file hashes, by size and modification time
PAGE_CHANGEMENTS = "ce-qui-a-change.html"
GARDER = 10  # versions kept by default (observatoire.relecture.garder), besides every published one
FORMAT_ID = "%Y-%m-%dT%H-%M-%S"
_ID = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(-\d+)?$")
_COURRIEL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")
_TEXTE = (".yml", ".yaml", ".md", ".txt", ".csv")  # analyst files whose changes are shown as a diff
_TAILLE_TEXTE = 256 * 1024
_LIGNES_DIFF = 40  # lines of diff shown per file
_CHIFFRES_MONTRES = 500  # changed figures listed on the page; the others are counted
_CLE = ("niveau", "code", "indicateur", "annee", "source")
_COMPARES = ("valeur", "numerateur", "denominateur", "statut", "estime")


# --- Settings and dates ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reglages:
    """observatoire.relecture: the address the review remarks go to, and how many versions are kept."""

    courriel: str | None = None
    garder: int = GARDER


def reglages(params_file: Path | str) -> Reglages:
    """Read `observatoire.relecture: {courriel: …, garder: …}` of a params file (both optional)."""
    doc = pl.load_params(params_file)
    raw = doc.get("observatoire", "relecture")
    if raw is None:
        return Reglages()
    where = ("observatoire", "relecture")
    if not isinstance(raw, dict):
        raise doc.erreur("« observatoire.relecture » doit contenir des clés", *where,
                         correction="écrivez par exemple « relecture: {courriel: observatoire@example.org, garder: 10} ».")
    for key in raw:
        if key not in ("courriel", "garder"):
            raise doc.erreur(f"clé « {key} » inconnue dans « observatoire.relecture »", *where, key, cle=True,
                             correction="clés possibles : courriel, garder.")
    courriel = raw.get("courriel")
    if courriel is not None and (not isinstance(courriel, str) or not _COURRIEL.match(courriel.strip())):
        raise doc.erreur(f"adresse de relecture « {courriel} » invalide", *where, "courriel",
                         correction="écrivez une adresse électronique, par exemple observatoire@example.org : les "
                                    "remarques des relecteurs y sont envoyées.")
    garder = raw.get("garder", GARDER)
    if not isinstance(garder, int) or isinstance(garder, bool) or garder < 1:
        raise doc.erreur(f"nombre de versions gardées « {garder} » invalide", *where, "garder",
                         correction="écrivez un nombre entier d'au moins 1 (les versions publiées sont toujours "
                                    "gardées en plus).")
    return Reglages(courriel.strip() if courriel else None, garder)


def date_version(ident: str) -> datetime.datetime:
    return datetime.datetime.strptime(ident[:19], FORMAT_ID)


def date_longue(moment: datetime.datetime) -> str:
    """« 3 mars 2026 à 14 h 05 »."""
    return fr.date(moment, heure=True)


# --- Freezing a build --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Version:
    ident: str
    dossier: Path
    nouvelle: bool  # False: the build changed nothing, its sites are those of this existing version


def lister(root: Path) -> list[str]:
    """The versions of an observatory, oldest first."""
    folder = Path(root) / VERSIONS
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and _ID.match(p.name)) if folder.is_dir() else []


def manifeste(root: Path, ident: str) -> dict:
    return json.loads((Path(root) / VERSIONS / ident / MANIFESTE).read_text(encoding="utf-8"))


def _sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def empreintes(dossier: Path, cache: dict | None = None) -> dict[str, str]:
    """Every file of a folder (temporary files aside): relative path -> sha256. `cache` (relative path ->
    [size, mtime_ns, sha256]) spares hashing the files a build did not rewrite; it is updated."""
    out = {}
    for current, dirs, files in os.walk(dossier):
        dirs[:] = sorted(d for d in dirs if not atomic.TEMPORAIRE.match(d))
        for name in sorted(files):
            if not atomic.TEMPORAIRE.match(name):
                path = Path(current) / name
                rel = path.relative_to(dossier).as_posix()
                st = path.stat()
                known = (cache or {}).get(rel)
                if known and known[:2] == [st.st_size, st.st_mtime_ns]:
                    out[rel] = known[2]
                else:
                    out[rel] = _sha(path)
                    if cache is not None:
                        cache[rel] = [st.st_size, st.st_mtime_ns, out[rel]]
    return out


def nom_fichier(path: Path) -> str:
    """A file's name as the pages show it: relative to the project, else its name alone (no server path)."""
    try:
        return Path(path).resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return Path(path).name


def fichiers_analyste(plan: pl.Plan) -> dict[str, Path]:
    """The files the analyst edits that this build read: the params file, the files its notes name (enjeux,
    evaluation, plan d'actions, groupements) and the reference files (glossary, rules, conventions…)."""
    paths = [Path(plan.params_file)]
    for job in plan.jobs:
        # A note's path parameters; « enjeux » holds the text read from « enjeux_fichier ».
        for key in (*(k for k in pl.CLES_CHEMINS if k != "enjeux"), "enjeux_fichier"):
            value = job.parametres.get(key)
            if isinstance(value, str) and value:
                p = Path(value)
                paths += sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
    paths += fichiers_references()
    return {nom_fichier(p): p for p in dict.fromkeys(p.resolve() for p in paths) if p.is_file()}


def _contenu(path: Path, secrets_: set[Path]) -> str | None:
    """A text file's content for its diff; None for other files and for the verbatims (before pseudonymisation)."""
    if path.resolve() in secrets_ or path.suffix not in _TEXTE or path.stat().st_size > _TAILLE_TEXTE:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None


def figer(root: Path, plan: pl.Plan, sites: dict[str, Path], *, garder: int = GARDER,
          maintenant: datetime.datetime | None = None) -> Version:
    """Freeze this build's sites (profile -> working site folder) into `versions/<date>/`.

    A build that changed nothing (same files, same notes, same analyst files) makes no new version."""
    root = Path(root)
    cache_file = root / CACHE
    try:
        cache = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cache = {}
    par_site = {d.name: empreintes(d, cache.setdefault(d.name, {})) for d in sites.values()}
    atomic.write_text(cache_file, json.dumps({k: v for k, v in cache.items() if k in par_site}))
    fichiers = {f"{nom}/{rel}": sha for nom, files in par_site.items() for rel, sha in files.items()}
    analyste = fichiers_analyste(plan)
    verbatims = {p.resolve() for p in fichiers_verbatims()}
    textes = {nom: _contenu(p, verbatims) for nom, p in analyste.items()}
    signatures = {nom: _sha(p) for nom, p in analyste.items()}
    existantes = lister(root)
    derniere = existantes[-1] if existantes else None
    avant = manifeste(root, derniere) if derniere else None
    notes = _notes_du_plan(plan, sites)
    if derniere is not None and avant and avant.get("fichiers") == fichiers \
            and avant.get("analyste") == signatures and avant.get("notes") == notes:
        return Version(derniere, root / VERSIONS / derniere, False)
    maintenant = maintenant or datetime.datetime.now()
    ident = maintenant.strftime(FORMAT_ID)
    n = 1
    while ident in existantes or (root / VERSIONS / ident).exists():
        n += 1
        ident = f"{maintenant.strftime(FORMAT_ID)}-{n}"
    dossier = root / VERSIONS / ident
    tmp = root / VERSIONS / f".{ident}.{secrets.token_hex(4)}.tmp"
    try:
        tmp.mkdir(parents=True)
        precedente = root / VERSIONS / derniere if derniere else None
        anciens = avant.get("fichiers", {}) if avant else {}
        for profil_dossier in sites.values():
            for rel in par_site[profil_dossier.name]:
                cle = f"{profil_dossier.name}/{rel}"
                dest = tmp / cle
                dest.parent.mkdir(parents=True, exist_ok=True)
                if precedente is not None and anciens.get(cle) == fichiers[cle]:
                    try:
                        os.link(precedente / cle, dest)  # versions are never written: they may share a file
                        continue
                    except OSError:
                        pass
                shutil.copyfile(profil_dossier / rel, dest)
                os.chmod(dest, 0o444)
        data = {"version": ident, "date": maintenant.isoformat(timespec="seconds"), "observatoire": plan.id,
                "titre": plan.titre, "profils": {p: d.name for p, d in sites.items()}, "notes": notes,
                "fichiers": fichiers, "analyste": signatures}
        atomic.write_text(tmp / MANIFESTE, json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True))
        atomic.write_text(tmp / ANALYSTE, json.dumps(textes, ensure_ascii=False, indent=1, sort_keys=True))
        os.rename(tmp, dossier)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    elaguer(root, garder)
    return Version(ident, dossier, True)


def _notes_du_plan(plan: pl.Plan, sites: dict[str, Path]) -> list[dict]:
    """The notes the first profile's site publishes (its pages in notes/), with their titles."""
    first = next(iter(sites.values()))
    return [{"slug": j.slug, "titre": j.titre, "modele": j.modele, "code": j.code} for j in plan.jobs
            if (first / "notes" / f"{j.slug}.html").is_file()]


def elaguer(root: Path, garder: int) -> list[str]:
    """Remove the oldest versions beyond `garder`, never one that is or was published."""
    publiees = {e["version"] for e in historique(root)} | ({en_ligne(root)} - {None})
    existantes = lister(root)
    gardees = set(existantes[-garder:]) | publiees
    retirees = [v for v in existantes if v not in gardees]
    for v in retirees:
        shutil.rmtree(Path(root) / VERSIONS / v, ignore_errors=True)
    return retirees


# --- What changed ------------------------------------------------------------------------------------------------

@dataclass
class Chiffre:
    """One published figure that changed between two versions (values as the pages write them)."""

    profil: str
    territoire: str
    indicateur: str
    annee: str
    avant: str
    apres: str


@dataclass
class Resume:
    """What changed from version `reference` (None: nothing to compare with) to version `version`."""

    version: str
    reference: str | None
    reference_publiee: bool
    chiffres: list[Chiffre] = field(default_factory=list)
    chiffres_nouveaux: dict[str, int] = field(default_factory=dict)  # profile -> figures only in the new version
    chiffres_disparus: dict[str, int] = field(default_factory=dict)
    ajoutees: list[dict] = field(default_factory=list)  # notes {slug, titre}
    retirees: list[dict] = field(default_factory=list)
    fichiers: list[dict] = field(default_factory=list)  # {nom, etat: ajouté/modifié/retiré, diff: [lines] | None}

    def court(self) -> str:
        """« 1 chiffre modifié ; 1 note ajoutée (Arques) ; 2 fichiers de l'analyste modifiés »."""
        if self.reference is None:
            return "première version"
        parts = []
        n = self.nombre_chiffres()
        if n:
            parts.append(f"{n} chiffre{'s' if n > 1 else ''} modifié{'s' if n > 1 else ''}")
        for notes, verbe in ((self.ajoutees, "ajoutée"), (self.retirees, "retirée")):
            if notes:
                s = "s" if len(notes) > 1 else ""
                titres = ", ".join(x["titre"] for x in notes[:3]) + (", …" if len(notes) > 3 else "")
                parts.append(f"{len(notes)} note{s} {verbe}{s} ({titres})")
        if self.fichiers:
            s = "s" if len(self.fichiers) > 1 else ""
            parts.append(f"{len(self.fichiers)} fichier{s} de l'analyste modifié{s}")
        return " ; ".join(parts) or "aucun chiffre, aucune note ni aucun fichier de l'analyste modifié"

    def nombre_chiffres(self) -> int:
        """Figures changed in the public site (else in the first profile that has changes)."""
        profils = {c.profil for c in self.chiffres}
        principal = "public" if "public" in profils else min(profils, default="")
        return sum(c.profil == principal for c in self.chiffres)

    def en_dict(self) -> dict:
        return asdict(self)


def _lire_chiffres(dossier: Path) -> dict[tuple, dict]:
    rows: dict[tuple, dict] = {}
    for path in sorted((dossier / "donnees").glob("chiffres*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh, delimiter=";"):
                rows[tuple(row.get(k, "") for k in _CLE)] = row
    return rows


def _decimales(text: str) -> int:
    return len(text.split(",", 1)[1].rstrip("0")) if "," in text else 0


def _montre(row: dict, dec: int) -> str:
    statut = row.get("statut") or "ok"
    text = row.get("valeur") or ""
    x = float(text.replace(",", ".")) if text and statut == "ok" else None
    return fr.valeur(x, row.get("unite") or "", dec, statut if x is not None or statut != "ok" else "absent")


def _territoire(row: dict) -> str:
    niveau = row.get("niveau", "")
    nom = row.get("territoire") or row.get("code", "")
    if niveau == "france":
        return nom
    return f"{nom} ({fr.minuscule(LIBELLES_NIVEAUX.get(niveau, niveau))} {row.get('code', '')})"


def _meme(x: str, y: str) -> bool:
    """Two cells of the exports hold the same figure: a value summed anew (France's mean IPS over its schools) may
    differ in its last binary digits from one build to the next, never by a figure a reader could see."""
    if x == y:
        return True
    try:
        a, b = float(x.replace(",", ".")), float(y.replace(",", "."))
    except ValueError:
        return False
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b))


def comparer_chiffres(avant: Path, apres: Path, profil: str) -> tuple[list[Chiffre], int, int]:
    """The figures of the exports (donnees/chiffres*.csv) that changed between two sites of one profile, and how
    many appear or disappear (notes added or removed, new vintages). A figure secret in the new version never
    shows its old value."""
    old, new = _lire_chiffres(avant), _lire_chiffres(apres)
    changed = []
    for key in sorted(set(old) & set(new)):
        a, b = old[key], new[key]
        if all(_meme(a.get(c) or "", b.get(c) or "") for c in _COMPARES):
            continue
        dec = min(3, max(_decimales(a.get("valeur") or ""), _decimales(b.get("valeur") or "")))
        shown_before = _montre(a, dec) if (b.get("statut") or "ok") == "ok" else "valeur publiée"
        changed.append(Chiffre(profil, _territoire(b), b.get("indicateur_libelle") or b.get("indicateur", ""),
                               b.get("annee", ""), shown_before, _montre(b, dec)))
    return changed, len(set(new) - set(old)), len(set(old) - set(new))


def _diff(avant: str | None, apres: str | None) -> list[str] | None:
    if avant is None or apres is None:
        return None
    lines = [line for line in difflib.unified_diff(avant.splitlines(), apres.splitlines(), lineterm="", n=1)
             if not line.startswith(("---", "+++"))]
    return lines[:_LIGNES_DIFF] + ([f"… ({len(lines) - _LIGNES_DIFF} lignes de plus)"] if len(lines) > _LIGNES_DIFF else [])


def resume(root: Path, ident: str, reference: str | None, reference_publiee: bool = False) -> Resume:
    """What changed from version `reference` to version `ident`: figures of each profile (old and new values),
    notes added or removed, the analyst's files added, changed or removed (with a short diff of text files)."""
    root = Path(root)
    out = Resume(ident, reference, reference_publiee)
    if reference is None:
        return out
    new, old = manifeste(root, ident), manifeste(root, reference)
    for profil, dossier in sorted(new["profils"].items(), key=lambda kv: kv[0] != "public"):  # public first
        if profil in old["profils"]:
            chiffres, nouveaux, disparus = comparer_chiffres(root / VERSIONS / reference / old["profils"][profil],
                                                             root / VERSIONS / ident / dossier, profil)
            out.chiffres += chiffres
            out.chiffres_nouveaux[profil], out.chiffres_disparus[profil] = nouveaux, disparus
    slugs_old = {n["slug"]: n for n in old["notes"]}
    slugs_new = {n["slug"]: n for n in new["notes"]}
    out.ajoutees = [{"slug": s, "titre": n["titre"]} for s, n in slugs_new.items() if s not in slugs_old]
    out.retirees = [{"slug": s, "titre": n["titre"]} for s, n in slugs_old.items() if s not in slugs_new]
    textes_new = json.loads((root / VERSIONS / ident / ANALYSTE).read_text(encoding="utf-8"))
    textes_old = json.loads((root / VERSIONS / reference / ANALYSTE).read_text(encoding="utf-8"))
    a, b = old.get("analyste", {}), new.get("analyste", {})
    for nom in sorted(set(a) | set(b)):
        if a.get(nom) == b.get(nom):
            continue
        etat = "ajouté" if nom not in a else "retiré" if nom not in b else "modifié"
        out.fichiers.append({"nom": nom, "etat": etat, "diff": _diff(textes_old.get(nom), textes_new.get(nom))
                             if etat == "modifié" else None})
    return out


def reference_de(root: Path, ident: str) -> tuple[str | None, bool]:
    """The version a new one is compared with: the published one, else the version built before it."""
    online = en_ligne(root)
    if online and online != ident:
        return online, True
    earlier = [v for v in lister(root) if v < ident]
    return (earlier[-1] if earlier else None), False


# --- The review site ---------------------------------------------------------------------------------------------

_STYLE_BANDEAU = ("background:#fff3cd;color:#3d2e00;border-bottom:3px solid #b58100;padding:.6rem 1rem;"
                  "font-size:1rem;line-height:1.4")
_STYLE_REMARQUE = "margin:.1rem 0 .8rem;font-size:.85rem"


def lien_remarque(courriel: str | None, titre_site: str, version: str, note: str, section: str | None = None) -> str:
    """A mailto link prefilled with the note, the section and the version (no server needed). Without an
    address, the reviewer's mail client opens with the recipient to fill in."""
    sujet = f"Relecture {titre_site} : {note}" + (f", section « {section} »" if section else "")
    corps = (f"Note : {note}\n" + (f"Section : {section}\n" if section else "")
             + f"Version de travail : {version}\n\nVotre remarque :\n\n")
    return f"mailto:{quote(courriel or '', safe='@')}?" + urlencode({"subject": sujet, "body": corps}, quote_via=quote)


def _apostrophes(fragment: str) -> str:
    """Typographic apostrophes in OSQ's own text, as pandoc writes them in the pages (attributes are double-quoted
    and their values escaped, so only text is changed)."""
    return fragment.replace("'", "’")


def _texte_html(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def _bandeau(ident: str, vers_racine: str, remarque: str) -> str:
    quand = date_longue(date_version(ident))
    return (f'<div class="osq-relecture" role="note" aria-label="Version de travail" style="{_STYLE_BANDEAU}">'
            f"<strong>Version de travail du {quand} — non publiée.</strong> "
            f"Cette version est soumise à la relecture des partenaires et des élus avant publication. "
            f'<a href="{vers_racine}{PAGE_CHANGEMENTS}">Ce qui a changé</a> · '
            f'<a href="{html.escape(remarque)}">Faire une remarque sur cette page</a></div>\n')


_H2 = re.compile(r"<h2\b([^>]*)>(.*?)</h2>", re.S)
_BODY = re.compile(r"<body\b[^>]*>")
_HEAD = re.compile(r"<head\b[^>]*>")


def annoter_page(page: str, *, ident: str, vers_racine: str, titre_site: str, note: str | None,
                 titre_page: str, courriel: str | None) -> str:
    """A page of the review site: robots excluded, the banner at the top, and for a note a « Faire une remarque »
    link under each section's heading."""
    if 'name="robots"' not in page:
        page = _HEAD.sub(lambda m: m.group(0) + '\n  <meta name="robots" content="noindex, nofollow">', page, count=1)
    remarque = lien_remarque(courriel, titre_site, ident, note or titre_page)
    page = _BODY.sub(lambda m: m.group(0) + "\n" + _bandeau(ident, vers_racine, remarque), page, count=1)
    if note is None:
        return page

    def section(m: re.Match) -> str:
        if "toc-title" in m.group(1):
            return m.group(0)
        titre = _texte_html(m.group(2))
        href = html.escape(lien_remarque(courriel, titre_site, ident, note, titre))
        return (m.group(0) + f'\n<p class="osq-remarque" style="{_STYLE_REMARQUE}"><a href="{href}">Faire une '
                f"remarque sur la section « {html.escape(titre)} »</a></p>")

    return _H2.sub(section, page)


def page_changements(r: Resume, *, titre_site: str, profil: str, courriel: str | None) -> str:
    """The review site's « Ce qui a changé » page (plain HTML: same with either renderer)."""
    e = html.escape
    quand = date_longue(date_version(r.version))
    out = ["<h1>Ce qui a changé</h1>", f"<p>Version de travail du {quand} (version <code>{e(r.version)}</code>), non publiée. "]
    if r.reference is None:
        out[-1] += "C'est la première version de ce site : il n'y a rien à comparer.</p>"
    else:
        ref = date_longue(date_version(r.reference))
        quoi = "la version en ligne" if r.reference_publiee else "la version précédente (rien n'est encore publié)"
        out[-1] += f"Elle est comparée à {quoi}, du {ref} (version <code>{e(r.reference)}</code>).</p>"
        chiffres = [c for c in r.chiffres if c.profil == profil]
        out.append("<h2>Chiffres modifiés</h2>")
        if chiffres:
            out.append(f"<p>{len(chiffres)} chiffre{'s' if len(chiffres) > 1 else ''} publié{'s' if len(chiffres) > 1 else ''}"
                       f" {'ont' if len(chiffres) > 1 else 'a'} changé (fichiers de données du site).</p>")
            out.append('<table class="osq-changements"><thead><tr><th scope="col">Territoire</th><th scope="col">'
                       'Indicateur</th><th scope="col">Année</th><th scope="col">Avant</th><th scope="col">Après</th>'
                       "</tr></thead><tbody>")
            for c in chiffres[:_CHIFFRES_MONTRES]:
                out.append(f"<tr><td>{e(c.territoire)}</td><td>{e(c.indicateur)}</td><td>{e(c.annee)}</td>"
                           f"<td>{e(c.avant)}</td><td>{e(c.apres)}</td></tr>")
            out.append("</tbody></table>")
            if len(chiffres) > _CHIFFRES_MONTRES:
                out.append(f"<p>… et {len(chiffres) - _CHIFFRES_MONTRES} autres chiffres modifiés.</p>")
        else:
            out.append("<p>Aucun chiffre publié n'a changé.</p>")
        nouveaux, disparus = r.chiffres_nouveaux.get(profil, 0), r.chiffres_disparus.get(profil, 0)
        if nouveaux or disparus:
            out.append(f"<p>Chiffres nouveaux (notes ajoutées, nouveaux millésimes) : {fr.nombre(nouveaux)} ; "
                       f"chiffres qui ne figurent plus : {fr.nombre(disparus)}.</p>")
        out.append("<h2>Notes ajoutées ou retirées</h2>")
        if r.ajoutees or r.retirees:
            out.append("<ul>")
            out += [f'<li>Ajoutée : <a href="notes/{e(n["slug"])}.html">{e(n["titre"])}</a></li>' for n in r.ajoutees]
            out += [f"<li>Retirée : {e(n['titre'])}</li>" for n in r.retirees]
            out.append("</ul>")
        else:
            out.append("<p>Aucune note ajoutée ni retirée.</p>")
        out.append("<h2>Fichiers de l'analyste modifiés</h2>")
        if r.fichiers:
            for f in r.fichiers:
                out.append(f"<h3><code>{e(f['nom'])}</code> : {e(f['etat'])}</h3>")
                if f["diff"]:
                    out.append('<pre class="osq-diff">' + e("\n".join(f["diff"])) + "</pre>")
                elif f["etat"] == "modifié":
                    out.append("<p>Contenu non montré (fichier non textuel, trop long, ou verbatims avant "
                               "pseudonymisation).</p>")
        else:
            out.append("<p>Aucun fichier de l'analyste (paramètres, enjeux, glossaire, règles…) n'a changé.</p>")
    general = html.escape(lien_remarque(courriel, titre_site, r.version, "remarque générale"))
    out += ["<h2>Faire une remarque</h2>",
            f'<p>Chaque note porte, sous le titre de chacune de ses sections, un lien « Faire une remarque » qui prépare '
            f'un courriel avec la note, la section et la version. <a href="{general}">Faire une remarque générale</a>.</p>']
    corps = _apostrophes("\n".join(out))
    return (f'<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="robots" content="noindex, nofollow">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>Ce qui a changé – {e(titre_site)}</title>\n"
            "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:0 1rem 2rem;color:#1a1a1a}"
            "table{border-collapse:collapse}th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left}"
            "pre{background:#f4f4f4;padding:.5rem;overflow-x:auto}</style>\n</head>\n<body>\n"
            f'<p><a href="index.html">{e(titre_site)}</a></p>\n<main id="contenu">\n{corps}\n</main>\n</body>\n</html>\n')


def relecture_a_jour(root: Path, ident: str, reference: str | None, publiee: bool, courriel: str | None) -> bool:
    """Whether `relecture/` already shows version `ident` against `reference`: both versions are never written
    again, so their summary is the same (a build that changed nothing need not compare their figures again)."""
    try:
        deja = json.loads((Path(root) / RELECTURE / "resume.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (deja.get("version"), deja.get("reference"), deja.get("reference_publiee"), deja.get("courriel")) == (
        ident, reference, publiee, courriel)


def ecrire_relecture(root: Path, ident: str, r: Resume, courriel: str | None) -> Path:
    """The review site of version `ident` in `relecture/` (one folder per profile), replaced whole."""
    root = Path(root)
    try:  # the same version compared with the same one: the review site is already there
        deja = json.loads((root / RELECTURE / "resume.json").read_text(encoding="utf-8"))
        if deja == json.loads(json.dumps({**r.en_dict(), "courriel": courriel})):
            return root / RELECTURE
    except (OSError, ValueError):
        pass
    data = manifeste(root, ident)
    titres = {n["slug"]: n["titre"] for n in data["notes"]}
    tmp = root / f".{RELECTURE}.{secrets.token_hex(4)}.tmp"
    try:
        for profil, nom in data["profils"].items():
            src, dest = root / VERSIONS / ident / nom, tmp / nom
            shutil.copytree(src, dest, copy_function=_copie)
            for page in dest.rglob("*.html"):
                rel = page.relative_to(dest)
                slug = page.stem if rel.parts[0] == "notes" and len(rel.parts) == 2 else None
                text = page.read_text(encoding="utf-8")
                titre = m.group(1) if (m := re.search(r"<title>(.*?)</title>", text, re.S)) else rel.as_posix()
                page.write_text(annoter_page(text, ident=ident, vers_racine="../" * (len(rel.parts) - 1),
                                             titre_site=data["titre"], note=titres.get(slug or "") if slug else None,
                                             titre_page=_texte_html(titre), courriel=courriel), encoding="utf-8")
            (dest / PAGE_CHANGEMENTS).write_text(page_changements(r, titre_site=data["titre"], profil=profil,
                                                                  courriel=courriel), encoding="utf-8")
            (dest / "robots.txt").write_text("User-agent: *\nDisallow: /\n", encoding="utf-8")
        atomic.write_text(tmp / "resume.json", json.dumps({**r.en_dict(), "courriel": courriel}, ensure_ascii=False,
                                                          indent=1))
        final = root / RELECTURE
        old = root / f".{RELECTURE}.ancienne.{secrets.token_hex(4)}.tmp"
        if final.exists():
            os.rename(final, old)
        os.rename(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _copie(src: str, dst: str) -> str:
    shutil.copyfile(src, dst)
    os.chmod(dst, 0o644)  # the review site is a copy: writing it never touches a version
    return dst


# --- Publication -------------------------------------------------------------------------------------------------

def en_ligne(root: Path) -> str | None:
    """The published version (the target of `en-ligne`), or None."""
    link = Path(root) / EN_LIGNE
    if not link.is_symlink():
        return None
    return Path(os.readlink(link)).name


def historique(root: Path) -> list[dict]:
    """The publications, oldest first: {date, version, precedente, retour, resume: {texte, …}}."""
    try:
        data = json.loads((Path(root) / HISTORIQUE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    return list(data.get("publications", []))


def publier(root: Path, version: str | None = None, *, precedente: bool = False,
            maintenant: datetime.datetime | None = None) -> dict | None:
    """Make `version` (or, with precedente, the version published before the one online) the published sites:
    `en-ligne` is pointed at its folder in one atomic rename. Returns the history entry, None when that version
    is already online. Holds the observatory's lock: never during a build (VerrouOccupe)."""
    root = Path(root)
    with verrou.observatoire(root, root.name):
        versions = lister(root)
        courante = en_ligne(root)
        entrees = historique(root)
        if precedente:
            if courante is None:
                raise OsqError(f"rien n'est encore publié pour l'observatoire « {root.name} » : il n'y a pas de "
                               "version précédente", correction="publiez d'abord une version : « osq publier "
                                                                "<version> » (« osq versions » les liste).")
            entree = next((e for e in reversed(entrees) if e["version"] == courante), None)
            cible = entree.get("precedente") if entree else None
            if cible is None:
                raise OsqError(f"aucune version n'a été publiée avant la version en ligne ({courante})",
                               correction="publiez une version précise : « osq publier <version> » "
                                          "(« osq versions » les liste).")
            retour = True
        else:
            if version in (None, "derniere", "dernière"):
                if not versions:
                    raise OsqError(f"aucune version de l'observatoire « {root.name} » : rien à publier",
                                   correction="construisez d'abord le site : « osq build params/<observatoire>.yml ».")
                version = versions[-1]
            if version not in versions:
                dispo = ", ".join(versions[-5:]) or "aucune"
                raise OsqError(f"version « {version} » inconnue pour l'observatoire « {root.name} »",
                               correction=f"versions disponibles (les plus récentes) : {dispo} ; "
                                          "« osq versions » les liste toutes.")
            cible, retour = version, False
        if cible not in versions:
            raise OsqError(f"la version « {cible} » n'existe plus dans {root / VERSIONS}",
                           correction="publiez une version présente : « osq versions » les liste.")
        if cible == courante:
            return None
        r = resume(root, cible, courante, reference_publiee=True)
        # A rollback's « before » is what was online before the version it returns to.
        avant = next((e.get("precedente") for e in reversed(entrees) if e["version"] == cible), None) if retour \
            else courante
        entree = {"date": (maintenant or datetime.datetime.now()).isoformat(timespec="seconds"), "version": cible,
                  "precedente": avant, "remplacee": courante, "retour": retour,
                  "resume": {"texte": r.court(), "chiffres": r.nombre_chiffres(),
                             "ajoutees": [n["titre"] for n in r.ajoutees],
                             "retirees": [n["titre"] for n in r.retirees],
                             "fichiers": [f["nom"] for f in r.fichiers]}}
        tmp = root / f".{EN_LIGNE}.{secrets.token_hex(4)}.tmp"
        os.symlink(f"{VERSIONS}/{cible}", tmp)
        try:
            os.replace(tmp, root / EN_LIGNE)  # atomic: a reader sees the old version or the new one, never a mix
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        atomic.write_text(root / HISTORIQUE, json.dumps({"publications": [*entrees, entree]}, ensure_ascii=False,
                                                        indent=1))
        return entree


def publications_markdown(entrees: list[dict]) -> str:
    """The « Versions publiées » section of the « État des données » page: the publications known when this
    version was built (the page of a version is never rewritten, so that a rollback restores it byte for byte)."""
    lines = ["## Versions publiées {#versions-publiees}", "",
             "Chaque construction produit une version de travail, relue par les partenaires et les élus avant d'être "
             "publiée ; les versions précédentes sont gardées et peuvent être republiées. Publications antérieures "
             "à cette version du site :", ""]
    if not entrees:
        return "\n".join([*lines, "Aucune version n'avait encore été publiée.", ""])
    lines += ["| Publiée le | Version | Ce qui a changé |", "|---|---|---|"]
    for e in reversed(entrees):
        quand = date_longue(datetime.datetime.fromisoformat(e["date"]))
        texte = e.get("resume", {}).get("texte", "")
        if e.get("retour"):
            texte = f"retour à une version précédente ({texte})"
        lines.append(f"| {quand} | {date_longue(date_version(e['version']))} | {texte.replace('|', '/')} |")
    lines += ["", ": Versions publiées du site {#tbl-versions}", ""]
    return "\n".join(lines)

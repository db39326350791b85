"""Publish the executed notes with Quarto: one website project per diffusion profile
(`rapports/<observatoire>/_quarto[-<profil>]/`) rendering the same markdown as the pandoc renderer
(batch.publication: outputs only, images as files) and the same pages and navigation (batch.pages).
Nothing is executed and no code cell reaches Quarto.

- Quarto writes into `_rendu/`, inside its project. Each render lists only the pages that changed
  (`project.render`); their outputs are then copied into the site file by file, atomically (`publier`).
- The project remembers which site files came from it (its manifest, in the build state): the files of a
  removed note are deleted from the site, and nothing else (exports, robots.txt) is touched.
- Quarto's search index of a partial render holds only the pages it rendered: it is merged into the site's.
- When the configuration changes (title, navigation, theme, OSQ's components, Quarto's version), every
  page is rendered again and the files no page produced any more are deleted.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import yaml

from osq_utils import atomic
from osq_utils.batch import pages
from osq_utils.batch.execute import JobResult
from osq_utils.batch.plan import Plan
from osq_utils.batch.publication import media_name, note_markdown
from osq_utils.batch.render_pandoc import TEMPLATES_DIR
from osq_utils.catalogues.lecture_yaml import lire_yaml
from osq_utils.errors import OsqError

CONFIG_BASE = TEMPLATES_DIR / "quarto.yml"
# Files of OSQ copied into every project (its components and theme); part of the configuration's signature.
FICHIERS_PROJET = ("osq.css", "osq-quarto.scss", "osq_quarto.lua", "osq_commun.lua", "osq-interactif.css",
                   "osq-interactif.js")
# The interactive figures' script (present.interactif), written into every page: no path to get wrong between
# the pages at the root and those in notes/, no request, from file:// too.
SCRIPT_INTERACTIF = "osq-interactif.js"
RENDU = "_rendu"  # Quarto's output folder, inside the project
INDEX = "search.json"
# The skip link, first Tab stop of the page as in the pandoc template: Quarto writes what a page includes
# before its body at the top of <main>, so a script at the end of the page moves it before the navigation
# bar (without scripts it stays, still working, at the top of the content). Its target takes the focus
# without reloading the page (Quarto's navigation script rewrites `index.html#…` links to `/#…`).
SKIP_LINK = '<a class="skip-link" href="#quarto-document-content">Aller au contenu</a>'
SKIP_LINK_SCRIPT = """<script>(function () {
  var l = document.querySelector('main .skip-link'), m = document.getElementById('quarto-document-content');
  if (!l || !m) return;
  document.body.insertBefore(l, document.body.firstChild);
  m.setAttribute('tabindex', '-1');
  l.addEventListener('click', function (e) { e.preventDefault(); m.focus(); m.scrollIntoView(); });
})();</script>"""
NOINDEX = '<meta name="robots" content="noindex, nofollow">'
# No favicon: an empty one, as templates/page.html declares, so that browsers do not ask for /favicon.ico (a 404).
FAVICON = '<link rel="icon" href="data:,">'


def quarto_executable() -> str | None:
    """The quarto executable on PATH ($OSQ_QUARTO overrides; 'non' disables it)."""
    env = os.environ.get("OSQ_QUARTO")
    if env:
        return None if env.lower() in ("non", "no", "0", "false") else env
    return shutil.which("quarto")


@functools.lru_cache(maxsize=4)
def quarto_version(executable: str) -> str:
    proc = subprocess.run([executable, "--version"], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise OsqError(f"Quarto ne répond pas ({executable} --version : code {proc.returncode})",
                       correction="vérifiez l'installation de Quarto, ou publiez avec pandoc : OSQ_QUARTO=non osq build …")
    return proc.stdout.strip()


def _dump(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _front_matter(meta: dict) -> str:
    return "---\n" + _dump(meta) + "---\n\n"


def config(plan: Plan, noindex: bool = False) -> dict:
    """The project's `_quarto.yml` (without the files to render): the base of templates/quarto.yml,
    the site's title, navigation (pages.NAV, as in the pandoc site) and footer, OSQ's components (stylesheets,
    the interactive figures' script)."""
    base = lire_yaml(CONFIG_BASE, quoi="configuration Quarto").donnees or {}
    out = copy.deepcopy(base)
    out["project"] = {**base.get("project", {}), "type": "website", "output-dir": RENDU}
    out["website"] = {**base.get("website", {}), "title": plan.titre,
                      "navbar": {"left": [{"text": label, "href": href} for label, href in pages.NAV]},
                      "page-footer": {"left": pages.pied_de_page(plan.titre)}}
    html = dict((base.get("format") or {}).get("html") or {})
    html["css"] = ["osq.css", "osq-interactif.css"]
    html["include-before-body"] = {"text": SKIP_LINK}
    script = (TEMPLATES_DIR / SCRIPT_INTERACTIF).read_text(encoding="utf-8")
    html["include-after-body"] = [{"text": SKIP_LINK_SCRIPT}, {"text": f"<script>\n{script}</script>"}]
    # Every page: the empty favicon; a restricted (partenaires) site also tells search engines not to index it.
    html["include-in-header"] = {"text": FAVICON + ("\n" + NOINDEX if noindex else "")}
    out["format"] = {"html": html}
    out["filters"] = [{"path": "osq_quarto.lua", "at": "post-render"}]
    return out


class ProjetQuarto:
    """The Quarto project of one profile, its renders and their publication into the site.

    `etat` is this profile's section of the build state (signature, manifest, fixed pages' digests):
    the caller saves it.
    """

    def __init__(self, dossier: Path, site: Path, executable: str, journal: Path, etat: dict) -> None:
        self.dossier, self.site, self.executable, self.journal, self.etat = dossier, site, executable, journal, etat
        self._verrou = threading.Lock()
        self._config: dict = {}
        self.complet = False
        self.produits: set[str] = set()  # site files published by this build's renders
        self._proc: subprocess.Popen | None = None  # the running `quarto render`
        self._arrete = False

    # -- project -------------------------------------------------------------------------------
    def preparer(self, plan: Plan, noindex: bool) -> bool:
        """Write OSQ's files into the project; True when every page must be rendered again
        (first render, or a configuration, theme, component or Quarto version that changed)."""
        (self.dossier / "notes").mkdir(parents=True, exist_ok=True)
        for name in FICHIERS_PROJET:
            atomic.write_bytes(self.dossier / name, (TEMPLATES_DIR / name).read_bytes(), skip_unchanged=True)
        self._config = config(plan, noindex)
        signature = hashlib.sha256("\0".join([
            json.dumps(self._config, sort_keys=True, ensure_ascii=False), quarto_version(self.executable),
            *((TEMPLATES_DIR / name).read_text(encoding="utf-8") for name in FICHIERS_PROJET)]).encode()).hexdigest()
        self.complet = self.etat.get("signature") != signature or not (self.site / "index.html").exists()
        if self.complet:
            self.etat["signature"] = None  # set again once every page is rendered
            self.etat["pages"] = {}
        self._signature = signature
        return self.complet

    def note_source(self, slug: str) -> str:
        return f"notes/{slug}.qmd"

    def ecrire_note(self, plan: Plan, r: JobResult, imprimables: bool = False) -> str:
        """The note's markdown as `notes/<slug>.qmd` (images and printable versions beside it)."""
        note = note_markdown(plan, r, self.dossier / "notes", imprimables=imprimables)
        source = self.note_source(r.job.slug)
        atomic.write_text(self.dossier / source, _front_matter({"title": note.titre, "subtitle": note.sous_titre})
                          + note.markdown)
        if not imprimables:  # printable versions of an earlier build are no longer linked
            for ext in ("pdf", "docx"):
                (self.dossier / "notes" / f"{r.job.slug}.{ext}").unlink(missing_ok=True)
        return source

    def ecrire_pages(self, donnees: pages.Donnees) -> list[str]:
        """The fixed pages (index, glossary, sources, state of the data, guides) as `.qmd` files;
        returns those whose content changed (every one after a configuration change)."""
        digests = self.etat.setdefault("pages", {})
        changed = []
        for name, (md, title, toc) in pages.contenus(donnees).items():
            source = name.removesuffix(".html") + ".qmd"
            text = _front_matter({"title": title, "toc": toc}) + md
            digest = hashlib.sha256(text.encode()).hexdigest()
            if digests.get(source) != digest or not (self.dossier / source).exists():
                atomic.write_text(self.dossier / source, text)
                changed.append(source)
        return changed

    def valider_pages(self, sources: list[str]) -> None:
        """Remember the digests of fixed pages once rendered."""
        digests = self.etat.setdefault("pages", {})
        for source in sources:
            digests[source] = hashlib.sha256((self.dossier / source).read_bytes()).hexdigest()

    def notes_ecrites(self) -> set[str]:
        return {p.stem for p in (self.dossier / "notes").glob("*.qmd")}

    # -- render and publish ------------------------------------------------------------------------
    def rendre(self, sources: list[str]) -> None:
        """Render these project files with Quarto (one process) and publish their outputs into the site."""
        if not sources:
            return
        if self._arrete:  # Ctrl-C: nothing more is rendered, nothing marked published
            raise OsqError("rendu Quarto interrompu", correction="relancez « osq build ».")
        with self._verrou:
            rendu = self.dossier / RENDU
            shutil.rmtree(rendu, ignore_errors=True)
            atomic.write_text(self.dossier / "_quarto.yml", _dump(
                {**self._config, "project": {**self._config["project"], "render": sorted(sources)}}))
            self.journal.parent.mkdir(parents=True, exist_ok=True)
            with open(self.journal, "a", encoding="utf-8") as fh:
                fh.write(f"== quarto render : {len(sources)} page(s)\n")
                fh.flush()
                # In the build's process group: Ctrl-C in the terminal stops it too.
                self._proc = proc = subprocess.Popen([self.executable, "render", str(self.dossier), "--no-execute"],
                                                     stdout=fh, stderr=subprocess.STDOUT, cwd=self.dossier)
                try:
                    proc.wait()
                finally:
                    self._proc = None
            if proc.returncode != 0:
                raise OsqError(f"Quarto a échoué (code {proc.returncode})", fichier=self.journal,
                               correction="lisez le journal de Quarto ; « OSQ_QUARTO=non osq build … » publie avec pandoc.")
            self._publier(rendu, sources)

    def arreter(self) -> None:
        """Stop the running render (Ctrl-C): its pages are not published."""
        self._arrete = True
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()

    def _publier(self, rendu: Path, sources: list[str]) -> None:
        """Copy a render's outputs into the site, file by file (atomic, unchanged files untouched); delete
        the files of the rendered pages that Quarto no longer produced; merge the search index."""
        produits = {p.relative_to(rendu).as_posix() for p in rendu.rglob("*") if p.is_file()}
        pages_rendues = {s.removesuffix(".qmd") + ".html" for s in sources}
        if "index.html" not in pages_rendues:
            produits.discard("index.html")  # Quarto's redirection page of a site rendered without its index
        produits.discard(INDEX)
        manifeste = set(self.etat.get("manifeste", []))
        # A rendered page's files it no longer produced: images, and printable versions (`notes/<slug>.pdf`)
        # after a build without --imprimables.
        obsoletes = {m for m in manifeste for page in pages_rendues
                     if m.startswith((page.removesuffix(".html") + "_files/", page.removesuffix(".html") + "."))
                     and m not in produits}
        for rel in sorted(produits):
            atomic.write_bytes(self.site / rel, (rendu / rel).read_bytes(), skip_unchanged=True)
        self._fusionner_index(rendu / INDEX, pages_rendues)
        for rel in obsoletes:
            (self.site / rel).unlink(missing_ok=True)
        self.produits |= produits
        self.etat["manifeste"] = sorted((manifeste - obsoletes) | produits | {INDEX})

    def _fusionner_index(self, nouveau: Path | None, remplacees: set[str]) -> None:
        """The site's search index: its entries for other pages, then the new render's."""
        new = json.loads(nouveau.read_text(encoding="utf-8")) if nouveau and nouveau.exists() else []
        old = []
        if (self.site / INDEX).exists():
            old = [d for d in json.loads((self.site / INDEX).read_text(encoding="utf-8"))
                   if d.get("href", "").split("#")[0] not in remplacees]
        atomic.write_text(self.site / INDEX, json.dumps(old + new, ensure_ascii=False, indent=1), skip_unchanged=True)

    def retirer_notes(self, slugs: set[str]) -> None:
        """A failed or removed note leaves the project and the site: its page, images, printable
        versions and search entries."""
        if not slugs:
            return
        with self._verrou:
            for slug in slugs:
                for path in (self.dossier / "notes").glob(f"{slug}.*"):
                    path.unlink()
                shutil.rmtree(self.dossier / "notes" / media_name(slug), ignore_errors=True)
            prefixes = tuple(f"notes/{slug}." for slug in slugs) + tuple(f"notes/{media_name(slug)}/" for slug in slugs)
            manifeste = set(self.etat.get("manifeste", []))
            gone = {m for m in manifeste if m.startswith(prefixes)}
            for rel in gone:
                (self.site / rel).unlink(missing_ok=True)
            for slug in slugs:
                shutil.rmtree(self.site / "notes" / media_name(slug), ignore_errors=True)
            self._fusionner_index(None, {f"notes/{slug}.html" for slug in slugs})
            self.etat["manifeste"] = sorted(manifeste - gone)

    def terminer(self) -> None:
        """After a full render, delete the site files that no page produced any more."""
        if self.complet:
            manifeste = set(self.etat.get("manifeste", []))
            for rel in manifeste - self.produits - {INDEX}:
                (self.site / rel).unlink(missing_ok=True)
            self.etat["manifeste"] = sorted((manifeste & self.produits) | {INDEX})
            self.complet = False
        self.etat["signature"] = self._signature


class RenduContinu:
    """Quarto renders the notes in batches while the other notes execute: one Quarto process at a time,
    each taking every note staged since the previous one (its start-up cost is paid once per batch)."""

    def __init__(self, projet: ProjetQuarto) -> None:
        self.projet = projet
        self._attente: list[tuple[str, Callable[[], None]]] = []
        self._cond = threading.Condition()
        self._ferme = False
        self._erreur: BaseException | None = None
        self._thread = threading.Thread(target=self._boucle, name="osq-quarto", daemon=True)
        self._thread.start()

    def ajouter(self, source: str, fait: Callable[[], None]) -> None:
        """Render `source` soon; `fait()` is called once it is published."""
        with self._cond:
            self._attente.append((source, fait))
            self._cond.notify()

    def _boucle(self) -> None:
        while True:
            with self._cond:
                while not self._attente and not self._ferme:
                    self._cond.wait()
                if not self._attente:
                    return
                lot, self._attente = self._attente, []
            if self._erreur is not None:
                continue  # after a failure, nothing more is rendered
            try:
                self.projet.rendre(sorted({s for s, _ in lot}))
                for _, fait in lot:
                    fait()
            except BaseException as exc:  # reported by terminer()
                self._erreur = exc

    def annuler(self) -> None:
        """Drop the renders not started yet, stop the current one; never raises."""
        with self._cond:
            self._attente = []
            self._ferme = True
            self._cond.notify()
        self.projet.arreter()
        self._thread.join()

    def terminer(self) -> None:
        """Wait for every queued render; raise the first failure."""
        with self._cond:
            self._ferme = True
            self._cond.notify()
        self._thread.join()
        if self._erreur is not None:
            raise self._erreur

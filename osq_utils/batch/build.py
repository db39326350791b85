"""`osq build`: plan, execute what changed, publish the site, export the figures.

Layout of rapports/<observatoire>/:
  notebooks/   executed notebooks (one per note)
  journaux/    one log per note, and Quarto's log
  site/        the working site (site-partenaires/ for the partners' profile)
  etat.json    fingerprints of executed and published notes (incremental builds, resume)
  versions/    each build's sites frozen in a dated folder; relecture/ the last one for review; en-ligne the
               published one (batch.versions, `osq publier`)
  .verrou      the observatory's lock, held by its build (osq_utils.verrou)

A build holds the store's lock (shared: deliveries wait) and its observatory's lock (exclusive: one build
at a time), then removes the temporary files a killed build left. A note whose page or printable versions
cannot be produced is a failed note: never published, counted and explained in the summary. The pandoc site
keeps only the files this build produces (Quarto's project tracks its own, batch.quarto).
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import threading
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path

from osq_utils import atomic, store, verrou
from osq_utils.batch import comparaison, exports, pages, publication, quarto, site, versions
from osq_utils.batch import execute as ex
from osq_utils.batch import fingerprint as fp
from osq_utils.batch import plan as pl
from osq_utils.batch.render_pandoc import install_assets
from osq_utils.catalogues.profils import profil as profil_de
from osq_utils.catalogues.verbatims import fichiers_verbatims, load_verbatims, write_review_report
from osq_utils.notes import territoires_montres
from osq_utils.secret import registre, vue


@dataclass
class BuildReport:
    plan: pl.Plan
    results: list[ex.JobResult]
    root: Path
    renderer: str
    secondes: float
    phases: dict[str, float] = field(default_factory=dict)
    profil: str = "public"
    site: Path | None = None
    fuites: list = field(default_factory=list)  # audit: masked values found in the published site
    autres: list = field(default_factory=list)  # reports of the other profiles of the same build
    version: versions.Version | None = None  # the version these sites were frozen into (batch.versions)
    relecture: Path | None = None  # its review site

    @property
    def failed(self) -> list[ex.JobResult]:
        return [r for r in self.results if r.statut == "échec"]

    def count(self, statut: str) -> int:
        return sum(r.statut == statut for r in self.results)

    @property
    def reprises(self) -> list[ex.JobResult]:
        """Notes a lost cluster worker held, run again by another worker."""
        return [r for r in self.results if r.reprise]


def build(params: Path, *, store_file: Path | None = None, sortie: Path = Path("rapports"), n_jobs: int = 2,
          force: bool = False, engine: str = "chaud", cluster: str | None = None, limite: int = 0,
          progress=None, audit: bool = True, imprimables: bool = False) -> BuildReport:
    """Build an observatory's site(s); only notes whose fingerprint changed are executed and rendered.

    One site per diffusion profile of the params file (`observatoire.profils`, default public):
    `site/` for public, `site-partenaires/` for partenaires. Returns the first profile's report;
    the others are in its `autres`. progress(kind, total) returns a callable advancing by one, or None.
    """
    start = time.perf_counter()
    store_file = Path(store_file).resolve() if store_file else store.store_path()
    sortie = Path(sortie).resolve()
    reports = []
    with ExitStack() as verrous:
        # A delivery may not write the store while this build reads it (osq_utils.verrou).
        verrous.enter_context(verrou.base(store_file, ecriture=False))
        base = vue.base(store_file)  # read-only, shared with the exports of this process; held elsewhere: Occupee
        con = base.con
        try:
            the_plan = pl.plan(con, params)
            root = sortie / the_plan.id
            verrous.enter_context(verrou.observatoire(root, the_plan.id))  # one build at a time writes root
            atomic.nettoyer(root)  # temporary files of a build killed (kill -9) before it could remove them
            data_fp = fp.store_fingerprint_garde(con, store_file, root / "empreinte-base.json")
            chargements = con.execute("SELECT * FROM chargements ORDER BY source, fichier").df()
            millesimes = con.execute("SELECT indicateur, source, max(annee) AS annee FROM observations "
                                     "WHERE statut = 'ok' GROUP BY indicateur, source").df()
            jobs = the_plan.jobs[:limite] if limite else the_plan.jobs
            if engine == "chaud" and not cluster and jobs and (force or not (root / "etat.json").exists()):
                ex.prewarm(min(n_jobs, len(jobs)))  # the kernels warm up while the masks are computed
            code_fp = fp.code_fingerprint()
            ledgers = {profil: _ledger(base, jobs, profil, root, data_fp, code_fp) for profil in the_plan.profils}
        except KeyboardInterrupt:
            ex.arreter()
            raise
        except BaseException:
            ex.shutdown_all_kernels()
            raise
        write_verbatims_review(root)
        plan_seconds = time.perf_counter() - start
        try:
            for profil in the_plan.profils:
                report = _build_profile(the_plan, jobs, profil, ledgers[profil], root, store_file, data_fp,
                                        (chargements, millesimes), n_jobs=n_jobs, force=force, engine=engine,
                                        cluster=cluster, progress=progress, audit=audit, imprimables=imprimables)
                report.phases = {"plan": plan_seconds, **report.phases}
                reports.append(report)
        finally:
            ex.shutdown_all_kernels()  # prewarmed kernels that no note took
        # Each build is a version, reviewed before `osq publier`: never one whose audit found a masked value.
        if not any(r.fuites for r in reports):
            reports[0].version, reports[0].relecture = _versionner(the_plan, reports, root, params)
    first = reports[0]
    first.autres = reports[1:]
    first.secondes = time.perf_counter() - start
    return first


def _versionner(the_plan: pl.Plan, reports: list[BuildReport], root: Path,
                params: Path) -> tuple[versions.Version, Path]:
    """Freeze the sites of this build into a version and write its review site (batch.versions)."""
    reglages = versions.reglages(params)
    version = versions.figer(root, the_plan, {r.profil: r.site for r in reports if r.site is not None},
                             garder=reglages.garder)
    reference, publiee = versions.reference_de(root, version.ident)
    if not version.nouvelle and versions.relecture_a_jour(root, version.ident, reference, publiee, reglages.courriel):
        return version, root / versions.RELECTURE
    resume = versions.resume(root, version.ident, reference, publiee)
    return version, versions.ecrire_relecture(root, version.ident, resume, reglages.courriel)


def _ledger(base, jobs: list[pl.Job], profil: str, root: Path, data_fp: str, code_fp: str) -> Path:
    """The ledger of masked values of this profile for the territories the notes show (their kinds say
    which), recomputed only when the store, the code and rules, or the notes changed (its signature
    is kept beside it)."""
    path, sig_path = root / f"masques-{profil}.csv", root / f"masques-{profil}.empreinte"
    signature = fp.combine(data_fp, code_fp, profil, *sorted(
        f"{j.modele}:{j.code}:{json.dumps(j.parametres, sort_keys=True, ensure_ascii=False)}" for j in jobs))
    if path.exists() and sig_path.exists() and sig_path.read_text(encoding="utf-8") == signature:
        return path
    root.mkdir(parents=True, exist_ok=True)
    registre.ecrire(registre.calculer(base, territoires_montres(base.con, jobs), profil), path)
    atomic.write_text(sig_path, signature)
    return path


def write_verbatims_review(root: Path) -> Path:
    """The pseudonymisation report of every verbatims file, for the analyst to review (never published)."""
    revisions = [rev for path in fichiers_verbatims() for rev in load_verbatims(path)[1]]
    root.mkdir(parents=True, exist_ok=True)
    return write_review_report(revisions, root / "verbatims-pseudonymisation.csv")


def _accueil(plan: pl.Plan, results: list[ex.JobResult], store_file: Path, ledger: Path, profil: str, state: dict,
             signature: str) -> str:
    """The home page's key figures and map (batch.accueil), computed again only when what they show may have
    changed (`signature`: the code, the store and the ledger, the published notes, the map's indicator)."""
    cache = state.get("accueil") or {}
    if cache.get("signature") == signature:
        return cache["markdown"]
    # geopandas and the map's code are loaded when the home page is rendered, not by a build with nothing to do.
    from osq_utils.batch import accueil  # noqa: PLC0415 (see above)

    markdown = accueil.accueil_markdown(plan, results, store_file, ledger, profil, pages.lien_note)
    state["accueil"] = {"signature": signature, "markdown": markdown}
    return markdown


def _publiees(the_plan: pl.Plan, results: list[ex.JobResult], code_fp: str, data_fp: str) -> tuple[list[str], str]:
    """Which notes are published (« slug:True »), and the home page's signature: its key figures and map change
    with the code, the store and ledger, the published notes and the map's indicator."""
    publiees = sorted(f"{r.job.slug}:{r.statut != 'échec'}" for r in results)
    return publiees, fp.combine(code_fp, data_fp, the_plan.indicateur_accueil, *publiees)


# The keys of a build's state that its fixed pages and exports keep (_pages_et_exports).
_ETAT_PAGES = ("accueil", "pages", "pages_signature", "exports")


def _pages_et_exports(the_plan: pl.Plan, results: list[ex.JobResult], site_root: Path, etat: dict, *, store_file: Path,
                      ledger: Path, profil: str, code_fp: str, data_fp: str, store_tables, noindex: bool,
                      imprimables: bool, publications: tuple) -> None:
    """The pandoc site's fixed pages and its exports for these results, each written only when its content changed
    (`etat`: the build state's _ETAT_PAGES, updated).

    The exports (CSV, Excel and the comparison page's donnees/comparaison.js, one frame) read the store through
    the profile's masked view: the statut of a masked figure, never its value. They are computed while pandoc
    renders the pages (other processes); neither reads what the other writes."""
    publiees, accueil_sig = _publiees(the_plan, results, code_fp, data_fp)
    # The fixed pages depend on the code and reference files, the store, the published notes and the day (the
    # freshness page is dated): nothing to compute when none of them changed.
    fixed_sig = fp.combine(code_fp, data_fp, the_plan.titre, the_plan.description, str(noindex), str(imprimables),
                           datetime.date.today().isoformat(), accueil_sig, *publiees,
                           json.dumps(publications, sort_keys=True))
    donnees = None
    if etat.get("pages_signature") != fixed_sig or not (site_root / "index.html").exists():
        # The home page reads the store before the exports start: one connection, one reader at a time.
        chargements, millesimes = store_tables
        donnees = pages.Donnees(the_plan, results, chargements, millesimes, noindex=noindex, imprimables=imprimables,
                                publications=publications,
                                accueil=_accueil(the_plan, results, store_file, ledger, profil, etat, accueil_sig))
    with ThreadPoolExecutor(max_workers=1) as en_parallele:
        export = en_parallele.submit(exports.write_exports, the_plan, results, site_root, store_file, ledger, profil,
                                     etat.setdefault("exports", {}), data_fp)
        if donnees is not None:
            site.render_fixed_pages(donnees, site_root, etat.setdefault("pages", {}), code_fp)
            etat["pages_signature"] = fixed_sig
        export.result()


def _fichiers_fixes(site_root: Path) -> list[Path]:
    """The files of a pandoc site that _pages_et_exports writes: its fixed pages and its exports."""
    return [f for f in (*Path(site_root).glob("*.html"), *(Path(site_root) / "donnees").glob("*")) if f.is_file()]


def _en_avance(the_plan: pl.Plan, jobs: list[pl.Job], to_run: list[pl.Job], site_root: Path, dossier: Path,
               etat: dict, **options) -> dict | None:
    """The fixed pages and exports as if every note that runs succeeds (the usual case), written in `dossier`
    while the kernels compute; the end of the build moves them into the site (_installer_avance) and finds them up
    to date, or renders again what a failed note changes. Starts from links to the site's current files, so that
    only what changed is rendered. Returns the state it reached, or None when it failed (the end of the build
    then does all of it, and reports why)."""
    shutil.rmtree(dossier, ignore_errors=True)
    try:
        for f in _fichiers_fixes(site_root):
            cible = dossier / f.relative_to(site_root)
            cible.parent.mkdir(parents=True, exist_ok=True)
            os.link(f, cible)
        lancees = {j.slug for j in to_run}
        prevus = [ex.JobResult(j, "ok" if j.slug in lancees else "à jour", 0.0, None, Path(os.devnull)) for j in jobs]
        _pages_et_exports(the_plan, prevus, dossier, etat, **options)
    except Exception:  # noqa: BLE001 - done again at the end of the build, which reports the error
        shutil.rmtree(dossier, ignore_errors=True)
        return None
    return etat


def _installer_avance(dossier: Path, site_root: Path) -> None:
    """Move what _en_avance wrote into the site (its unchanged files are links to the site's own), and remove
    from the site what it removed (a page or an export the site no longer has)."""
    for f in _fichiers_fixes(site_root):
        if not (dossier / f.relative_to(site_root)).exists():
            f.unlink()
    for f in _fichiers_fixes(dossier):
        cible = site_root / f.relative_to(dossier)
        cible.parent.mkdir(parents=True, exist_ok=True)
        os.replace(f, cible)
    shutil.rmtree(dossier, ignore_errors=True)


def _build_profile(the_plan: pl.Plan, jobs: list[pl.Job], profil: str, ledger: Path, root: Path, store_file: Path,
                   data_fp: str, store_tables, *, n_jobs: int, force: bool, engine: str, cluster: str | None,
                   progress, audit: bool, imprimables: bool = False) -> BuildReport:
    start = time.perf_counter()
    phases: dict[str, float] = {}
    chargements, millesimes = store_tables
    suffix = profil_de(profil).suffixe
    # Each note knows its profile (verbatims, detail), the masks it must apply, and whether its figures draw their
    # still image for the printables (a PNG per figure: a fifth of a commune note's time, for nothing without them).
    jobs = [replace(j, parametres={**j.parametres, "profil": profil, "masques": str(ledger), "imprimables": imprimables})
            for j in jobs]
    state_file = root / f"etat{suffix}.json"
    state = fp.load_state(state_file)
    nb_dir, log_dir, site_root = root / f"notebooks{suffix}", root / f"journaux{suffix}", root / f"site{suffix}"
    quarto_exe = quarto.quarto_executable()
    renderer = "quarto" if quarto_exe else "pandoc"
    if state.get("rendu", renderer) != renderer:
        # Another renderer published this site: it is published again whole, by this one.
        shutil.rmtree(site_root, ignore_errors=True)
        for key in ("publies", "pages", "pages_signature", "exports", "audit", "quarto"):
            state.pop(key, None)
    state["rendu"] = renderer
    # The publications known now, listed on the « État des données » page of this version.
    publications = tuple(versions.historique(root))
    executed, published = state.setdefault("executes", {}), state.setdefault("publies", {})
    code_fp = fp.code_fingerprint()
    data_fp = fp.combine(data_fp, fp.file_hash(ledger))
    templates = {j.modele: fp.file_hash(j.template) for j in jobs}
    prints = {j.slug: fp.job_fingerprint(templates[j.modele], j.parametres, code_fp, data_fp) for j in jobs}
    # A page is re-rendered (not re-executed) when the printable versions are switched on or off, or when the
    # notes its maps' areas link to change (publication.notes_publiees).
    liens = fp.combine(*(f"{k}={v}" for k, v in sorted(publication.notes_publiees(the_plan).items())))
    page_prints = {slug: f"{p}+{liens}" + ("+pdf-docx" if imprimables else "") for slug, p in prints.items()}

    # 1. Execute the notes whose executed notebook is missing or stale, and publish each page as soon as
    #    its note is executed (the main process is idle meanwhile): pandoc renders it at once; with
    #    Quarto, its markdown is written into the project and Quarto renders the notes in batches.
    noindex = profil_de(profil).noindex
    to_run = [j for j in jobs if force or executed.get(j.slug) != prints[j.slug] or not (nb_dir / f"{j.slug}.ipynb").exists()]
    # A région's communes run intercommunality by intercommunality: a warm kernel then reads each one's communes
    # (its map, the ranks among them) and references once (the results come back in the plan's order).
    rubrique = the_plan.rubriques
    to_run.sort(key=lambda j: tuple(rubrique[j.code][::2]) if j.niveau == "commune" and j.code in rubrique else ())
    t = time.perf_counter()
    label = "Exécution et publication des notes" + (f" ({profil})" if suffix else "")
    advance = progress(label, len(to_run)) if progress and to_run else None
    # Pages are rendered here while the kernels compute, each by a pandoc process: two renderers (one per four
    # kernels beyond eight), or every local core when the notes run on a cluster. With one, the pages of the
    # last notes queued up behind each other once the kernels were done (1.5 s of 53 CAPSO notes).
    rendus = ThreadPoolExecutor(max_workers=(os.cpu_count() or 2) if cluster else max(2, n_jobs // 4))
    rendering: list[Future] = []
    lock = threading.Lock()
    last_save = [0.0]
    echecs: dict[str, str] = {}  # notes executed whose page or printable versions could not be produced
    projet: quarto.ProjetQuarto | None = None
    continu: quarto.RenduContinu | None = None
    if quarto_exe:
        projet = quarto.ProjetQuarto(root / f"_quarto{suffix}", site_root, quarto_exe, log_dir / "quarto.log",
                                     state.setdefault("quarto", {}))
        projet.preparer(the_plan, noindex)
        continu = quarto.RenduContinu(projet)

    def save(now: bool = False) -> None:
        # Throttled: a national build has tens of thousands of notes; at most one write every 2 s.
        if now or time.monotonic() - last_save[0] > 2:
            fp.save_state(state_file, state)
            last_save[0] = time.monotonic()

    def published_now(slug: str) -> None:
        with lock:
            published[slug] = page_prints[slug]
            save()

    def publish(res: ex.JobResult) -> None:
        try:
            if projet is None or continu is None:
                site.render_note(the_plan, res, site_root, noindex=noindex, imprimables=imprimables)
                published_now(res.job.slug)
            else:
                source = projet.ecrire_note(the_plan, res, imprimables=imprimables)
                continu.ajouter(source, lambda: published_now(res.job.slug))
        except Exception as exc:  # the note fails: never published, its reason in the summary and its log
            with lock:
                echecs[res.job.slug] = ex.message_erreur(exc)
                published.pop(res.job.slug, None)
            with open(res.log, "a", encoding="utf-8") as fh:
                fh.write("\npublication en échec :\n" + "".join(traceback.format_exception(exc)))

    def on_result(res: ex.JobResult) -> None:
        with lock:
            if res.statut == "ok":
                executed[res.job.slug] = prints[res.job.slug]
            else:
                executed.pop(res.job.slug, None)
                published.pop(res.job.slug, None)
            save()  # an interrupted build resumes from here
        if res.statut == "ok":
            rendering.append(rendus.submit(publish, res))
        if advance:
            advance()

    options = dict(store_file=store_file, ledger=ledger, profil=profil, code_fp=code_fp, data_fp=data_fp,
                   store_tables=store_tables, noindex=noindex, imprimables=imprimables, publications=publications)
    avance_dir = root / f".pages-en-avance{suffix}.tmp"  # a temporary name: removed by the next build if killed
    avance: Future | None = None
    if projet is None:
        install_assets(site_root)
        if to_run and not comparaison.parties(the_plan):
            # 1b. The fixed pages and exports, ahead, on a renderer while the kernels compute. Not for a région,
            #     whose exports (cut by département: millions of rows) would add their memory to the kernels'.
            etat = json.loads(json.dumps({k: state[k] for k in _ETAT_PAGES if k in state}))  # its own copy
            avance = rendus.submit(_en_avance, the_plan, jobs, to_run, site_root, avance_dir, etat, **options)
    try:
        try:
            if cluster:
                # distributed (0.7 s of imports) is loaded only by a build that runs on a cluster.
                from osq_utils.batch import cluster as grappe  # noqa: PLC0415 (see above)

                executed_now = grappe.execute(to_run, nb_dir, log_dir, store_file.resolve(), cluster,
                                              progress=on_result, engine=engine)
            else:
                executed_now = ex.execute(to_run, nb_dir, log_dir, store_file.resolve(), n_jobs, progress=on_result,
                                          engine=engine)
            ran = {r.job.slug: r for r in executed_now}
            results = [ran.get(j.slug) or ex.JobResult(j, "à jour", 0.0, nb_dir / f"{j.slug}.ipynb", log_dir / f"{j.slug}.log")
                       for j in jobs]
            # Notes executed earlier but not yet published (an interrupted build) are rendered too; with
            # Quarto, every page is rendered again after a change of its configuration.
            for r in results:
                if r.statut != "à jour":
                    continue
                slug = r.job.slug
                stale = force or published.get(slug) != page_prints[slug] or not site.note_page(site_root, r.job).exists()
                if projet is not None and continu is not None and not stale and projet.complet:
                    if (projet.dossier / projet.note_source(slug)).exists():
                        continu.ajouter(projet.note_source(slug), lambda: None)
                    else:
                        stale = True
                if stale:
                    rendering.append(rendus.submit(publish, r))
            for fut in rendering:
                fut.result()
        except BaseException:
            rendus.shutdown(wait=False, cancel_futures=True)  # Ctrl-C: renders not started are dropped
            raise
        finally:
            rendus.shutdown(wait=True)
            with lock:
                save(now=True)
        phases["exécution"] = time.perf_counter() - t
        results = [replace(r, statut="échec", erreur=echecs[r.job.slug]) if r.job.slug in echecs else r
                   for r in results]

        # 2. Publish the rest of the site, then audit it.
        t = time.perf_counter()
        if projet is not None and continu is not None:
            _, accueil_sig = _publiees(the_plan, results, code_fp, data_fp)
            projet.retirer_notes(projet.notes_ecrites() - {r.job.slug for r in results if r.statut != "échec"})
            donnees = pages.Donnees(the_plan, results, chargements, millesimes, noindex=noindex, imprimables=imprimables,
                                    publications=publications,
                                    accueil=_accueil(the_plan, results, store_file, ledger, profil, state, accueil_sig))
            fixed = projet.ecrire_pages(donnees)
            for source in fixed:
                continu.ajouter(source, lambda: None)
            continu.terminer()
            projet.valider_pages(fixed)
            projet.terminer()
        else:
            site.unpublish_failed(results, site_root)
            if avance is not None and (etat_avance := avance.result()) is not None:
                _installer_avance(avance_dir, site_root)
                state.update(etat_avance)
            _pages_et_exports(the_plan, results, site_root, state, **options)
            site.retirer_obsoletes(results, site_root, imprimables)
    except BaseException:
        if continu is not None:
            continu.annuler()  # an interrupted build: the pages already rendered stay published
        shutil.rmtree(avance_dir, ignore_errors=True)  # the site keeps its previous fixed pages and exports
        raise
    finally:
        fp.save_state(state_file, state)
    if noindex:
        atomic.write_text(site_root / "robots.txt", "User-agent: *\nDisallow: /\n", skip_unchanged=True)
    if projet is not None:  # after Quarto, which owns its output folder while it renders (pandoc: _pages_et_exports)
        exports.write_exports(the_plan, results, site_root, store_file, ledger, profil, state.setdefault("exports", {}),
                              data_fp)
    phases["publication"] = time.perf_counter() - t
    fuites = []
    if audit:
        # The audit reads every published file: skipped when neither the site nor the ledger changed
        # since an audit that passed.
        t = time.perf_counter()
        signature = fp.combine(fp.file_hash(ledger), *(
            f"{f.relative_to(site_root)}:{st.st_mtime_ns}:{st.st_size}"
            for f in sorted(site_root.rglob("*")) if f.is_file() and (st := f.stat())))
        if state.get("audit") != signature:
            # The audit reads PDF and Word files (pypdf, BeautifulSoup): loaded when it runs.
            from osq_utils.batch import audit as au  # noqa: PLC0415

            fuites = au.audit(site_root, registre.lire(ledger))
            state["audit"] = None if fuites else signature
        phases["audit"] = time.perf_counter() - t
    fp.save_state(state_file, state)
    return BuildReport(the_plan, results, root, renderer, time.perf_counter() - start, phases, profil=profil,
                       site=site_root, fuites=fuites)

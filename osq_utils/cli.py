"""The `osq` command.

Codes de sortie : 0 succès ; 1 au moins une note en échec ; 2 erreur de données ou de
paramètres (message en français avec fichier, ligne, colonne et correction) ; 3 source manquante ;
4 l'audit du secret statistique a trouvé une valeur masquée dans un site publié ; 5 la base ou
l'observatoire est utilisé par une autre commande (construction, chargement, livraison, publication) ; 130 arrêt
demandé (Ctrl-C).

Each command imports the stage it runs when it runs (the imports inside the command functions):
`osq --help` and `osq check` answer in a fraction of a second instead of loading pandas, DuckDB,
Jupyter's libraries and the plotting stack that only some commands need.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from osq_utils.errors import ClusterIndisponible, Occupee, OsqError, SourceManquante

app = typer.Typer(
    help="OSQ : classeur d'analyse des observatoires sociaux. Codes de sortie : 0 succès, 1 note en échec, "
    "2 erreur de données ou de paramètres, 3 source manquante, 4 fuite de secret statistique (audit), "
    "5 base ou observatoire utilisé par une autre commande, 130 arrêt demandé (Ctrl-C).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
# Reports are read in terminals and in CI logs: never narrower than 120 columns.
console = Console(stderr=True, width=max(120, Console(stderr=True).width))


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TextColumn("reste"), TimeRemainingColumn(), console=console, transient=False)


def _fail(exc: OsqError) -> None:
    console.print(f"[bold red]Erreur[/] : {escape(str(exc))}")  # « [sante] » is text, not a rich style
    codes = ((Occupee, 5), (SourceManquante, 3), (ClusterIndisponible, 6))
    raise typer.Exit(next((code for kind, code in codes if isinstance(exc, kind)), 2))


@app.command("sources")
def cmd_sources(
    telecharger: bool = typer.Option(False, "--telecharger", help="Télécharger depuis l'adresse officielle ce qui manque au miroir."),
    miroir: Path | None = typer.Option(None, help="Dossier miroir (sinon $OSQ_MIRROR, sinon ../shared/sources)."),
    source: list[str] = typer.Option([], "--source", "-s", help="Ne récupérer que cette source (répétable)."),
):
    """Récupère les fichiers des sources publiques (miroir local ou téléchargement) et vérifie leurs empreintes.

    Exemple : [bold]osq sources[/]  ou  [bold]OSQ_MIRROR=/donnees/miroir osq sources --telecharger[/]
    """
    from osq_utils.catalogues.sources import load_catalogue
    from osq_utils.catalogues.sources import source as source_du_catalogue
    from osq_utils.sources import fetch_file, mirror_dir

    mirror = miroir or mirror_dir()
    counts: dict[str, int] = {}
    try:
        catalogue = load_catalogue()
        chosen = [source_du_catalogue(s, catalogue) for s in source] if source else list(catalogue.values())
        with _progress() as prog:
            task = prog.add_task("Sources", total=sum(len(s.fichiers) for s in chosen))
            for src in chosen:
                for f in src.fichiers:
                    how = fetch_file(src, f, mirror=mirror, download=telecharger)
                    counts[how] = counts.get(how, 0) + 1
                    prog.advance(task)
    except OsqError as exc:
        _fail(exc)
    console.print("Fichiers : " + ", ".join(f"{n} {k}" for k, n in counts.items()) + " ; empreintes SHA-256 vérifiées.")


@app.command("ingest")
def cmd_ingest(
    source: list[str] = typer.Option([], "--source", "-s", help="Ne charger que cette source (répétable)."),
    base: Path | None = typer.Option(None, help="Base DuckDB (sinon $OSQ_STORE, sinon data/osq.duckdb)."),
    accepter_baisse: bool = typer.Option(False, "--accepter-baisse",
                                         help="Accepter qu'un fichier compte beaucoup moins de lignes qu'au "
                                         "chargement précédent (nouvelle édition plus courte)."),
):
    """Charge les sources récupérées dans la base DuckDB, une transaction par source, et écrit le rapport de chargement.

    Chaque fichier est contrôlé avant d'entrer dans la base : lignes incomplètes ou trop longues, encodage,
    séparateur, valeurs impossibles (hors des bornes de l'indicateur, numérateur au-dessus du dénominateur),
    années hors des millésimes, chute du nombre de lignes (plus de 5 %) par rapport au chargement précédent.
    Un fichier refusé laisse la base telle qu'elle était pour sa source ; code de sortie 2.

    Exemple : [bold]osq ingest[/]  ou  [bold]osq ingest -s insee-filosofi-2014-2019-disp[/]
    """
    from osq_utils import store, verrou
    from osq_utils.catalogues.sources import load_catalogue
    from osq_utils.ingest import ordered_sources

    try:
        catalogue = load_catalogue()
        sources = ordered_sources(catalogue, source or None)
    except OsqError as exc:
        _fail(exc)
    store_file = base or store.store_path()
    try:
        with verrou.base(store_file, ecriture=True):  # no build nor delivery while the store is rewritten
            _ingest(store_file, sources, accepter_baisse)
    except OsqError as exc:
        _fail(exc)


def _ingest(store_file: Path, sources: list, accepter_baisse: bool) -> None:
    """The sources one transaction each, then the derived figures (cmd_ingest, under the store's lock)."""
    from osq_utils import store
    from osq_utils.ingest import ingest_source
    from osq_utils.ingest.derive import derive

    con = store.connect(store_file)
    start = time.perf_counter()
    table = Table(title="Rapport de chargement")
    for col in ("Source", "Fichiers", "Lignes lues", "Gardées", "Écartées", "Observations"):
        table.add_column(col, justify="right" if col != "Source" else "left", no_wrap=col == "Source")
    loaded = 0
    try:
        with _progress() as prog:
            task = prog.add_task("Chargement", total=len(sources) + 1)
            for src in sources:
                prog.update(task, description=f"Chargement {src.id}")
                report = ingest_source(con, src, accepter_baisse=accepter_baisse)
                loaded += 1
                table.add_row(src.id, str(len(report)), *(f"{sum(r[k] for r in report):,}".replace(",", "\u202f")
                              for k in ("lignes_lues", "lignes_gardees", "lignes_rejetees", "observations")))
                prog.advance(task)
            prog.update(task, description="Calculs dérivés (IRIS → communes, densités)")
            n = derive(con)
            prog.advance(task)
    except OsqError as exc:
        if loaded:  # the sources loaded before the refused one are in: their derived figures follow them
            derive(con)
            console.print(f"{loaded} source(s) chargée(s) avant l'erreur ; la source refusée garde son chargement "
                          "précédent.")
        _fail(exc)
    finally:
        con.close()
    console.print(table)
    console.print(f"{n:,} valeurs dérivées ; chargement terminé en {time.perf_counter() - start:.1f} s. "
                  "Détail des lignes écartées : page « Sources » du site ou table « chargements ».".replace(",", "\u202f"))


@app.command("build")
def cmd_build(
    params: Path = typer.Argument(..., help="Fichier de paramètres de l'observatoire, par exemple params/capso.yml."),
    jobs: int = typer.Option(os.cpu_count() or 2, "--jobs", "-j", help="Nombre de notes exécutées en parallèle."),
    force: bool = typer.Option(False, "--force", help="Tout reconstruire, même les notes à jour."),
    moteur: str = typer.Option("chaud", help="« chaud » : noyaux Jupyter réutilisés (rapide) ; « frais » : un noyau neuf par note."),
    cluster: str | None = typer.Option(None, help="Adresse d'un ordonnanceur Dask (tcp://hôte:port) qui exécute les notes."),
    base: Path | None = typer.Option(None, help="Base DuckDB (sinon $OSQ_STORE, sinon data/osq.duckdb)."),
    sortie: Path = typer.Option(Path("rapports"), help="Dossier des rapports."),
    limite: int = typer.Option(0, help="Ne construire que les N premières notes (0 = toutes)."),
    imprimables: bool = typer.Option(False, "--imprimables", help="Publier aussi la version PDF (A4) et Word de chaque note (plus lent)."),
):
    """Exécute les notes de l'observatoire qui ont changé (papermill) puis publie le site HTML (Quarto si présent, sinon pandoc).

    Une note n'est ré-exécutée que si son modèle, ses paramètres, le code d'OSQ ou les données ont changé.
    Rien de changé depuis la dernière construction réussie (témoin [bold]<sortie>/.temoins/[/]) : bilan redonné aussitôt.
    Une note dont la page ou les versions imprimables n'ont pu être produites est en échec (non publiée).
    Chaque construction est figée dans une version datée ([bold]<sortie>/<id>/versions/[/]) avec son site de relecture
    ([bold]<sortie>/<id>/relecture/[/]) ; rien n'est mis en ligne avant [bold]osq publier[/].
    Une seule construction à la fois par observatoire (verrou [bold]<sortie>/<id>/.verrou[/]), et aucune livraison
    pendant ce temps (verrou [bold]<base>.verrou[/]) : sinon arrêt immédiat, code de sortie 5.
    Ctrl-C arrête la construction en quelques secondes : les notes terminées sont gardées, les autres annulées
    (code de sortie 130) ; la construction suivante reprend là.
    Sur un cluster Dask ([bold]--cluster[/]), les workers doivent voir la base et le dossier des rapports aux mêmes
    chemins ; un worker perdu en cours de route ne perd aucune note : ses notes sont reprises par les autres, et
    le bilan le dit.
    Codes de sortie : 0 succès ; 1 note en échec ; 2 erreur de paramètres ; 4 fuite de secret (audit) ;
    5 autre construction ou livraison en cours ; 6 cluster Dask injoignable ou inutilisable ; 130 interrompue (Ctrl-C).
    Exemples : [bold]osq build params/capso.yml --jobs 2[/] ; [bold]osq build params/capso.yml --force[/] ;
    [bold]osq build params/national.yml --cluster tcp://10.0.0.5:8786[/] ; [bold]osq build params/capso.yml --imprimables[/]
    """
    from osq_utils.batch import temoin

    if moteur not in ("chaud", "frais"):
        console.print("[bold red]Erreur[/] : --moteur vaut « chaud » ou « frais ».")
        raise typer.Exit(2)
    # Nothing changed since the last clean build with these options: answered from its witness, by os.stat alone.
    options = {"base": str(base.resolve()) if base else "", "sortie": str(sortie.resolve()), "limite": limite,
               "imprimables": imprimables, "moteur": moteur}
    temoin_file = temoin.chemin(sortie, params, options)
    if not force and (deja := temoin.rien_a_faire(temoin_file)) is not None:
        _rien_a_faire(deja)
        return
    temoin.effacer(temoin_file)

    from osq_utils.batch.build import build
    from osq_utils.batch.execute import Interruption

    prog = _progress()

    def progress(kind: str, total: int):
        task = prog.add_task(kind, total=total)
        return lambda: prog.advance(task)

    try:
        with prog:
            report = build(params, store_file=base, sortie=sortie, n_jobs=jobs, force=force, engine=moteur,
                           cluster=cluster, limite=limite, progress=progress, imprimables=imprimables)
    except Occupee as exc:
        console.print(f"[bold red]Construction impossible pour l'instant[/] : {escape(str(exc))}")
        raise typer.Exit(5) from None
    except OsqError as exc:
        _fail(exc)
    except KeyboardInterrupt as exc:
        if isinstance(exc, Interruption):
            n = len([r for r in exc.terminees if r.statut == "ok"])
            detail = (f"{n} note(s) terminée(s) gardée(s), {exc.arretees} arrêtée(s) en cours d'exécution, "
                      f"{exc.annulees} annulée(s) avant de commencer. ")
        else:
            detail = "les notes terminées sont gardées. "
        console.print(f"[bold yellow]Construction interrompue (Ctrl-C)[/] : {detail}Le site n'est pas à jour ; "
                      f"relancez « osq build {escape(str(params))} » : seules les notes manquantes seront exécutées.")
        raise typer.Exit(130) from None
    console.print(f"[bold]{report.plan.titre}[/] : publication avec {report.renderer} en {report.secondes:.1f} s.")
    failed, leaks = False, False
    for rep in [report, *report.autres]:
        console.print(f"Profil [bold]{rep.profil}[/] ({', '.join(f'{k} {v:.1f} s' for k, v in rep.phases.items())})")
        _summary(rep)
        console.print(f"Site {rep.profil} : {(rep.site / 'index.html').resolve()}")
        if rep.fuites:
            from osq_utils.batch import audit

            audit.print_fuites(rep.fuites, console)
        failed |= bool(rep.failed)
        leaks |= bool(rep.fuites)
    if report.version is not None and report.relecture is not None:
        v = report.version
        etat = "nouvelle version" if v.nouvelle else "aucun changement depuis la version"
        console.print(f"Version de travail : {etat} [bold]{v.ident}[/] ; site de relecture : "
                      f"{(report.relecture / report.site.name / 'index.html').resolve() if report.site else report.relecture}"
                      f"\nPour la publier après relecture : « osq publier {v.ident} --observatoire {report.plan.id}"
                      + (f" --sortie {escape(str(sortie))}" if sortie != Path("rapports") else "") + " ».")
    if leaks:
        console.print("[bold red]Audit du secret statistique en échec[/] : ne publiez pas ces sites.")
        raise typer.Exit(4)
    if failed:
        raise typer.Exit(1)
    _ecrire_temoin(temoin_file, report, base)


def _ecrire_temoin(temoin_file: Path, report, base: Path | None) -> None:
    """The witness of a clean build: what it read and wrote, and the summary a rebuild without change prints."""
    import datetime

    from osq_utils import store, verrou
    from osq_utils.batch import temoin
    from osq_utils.batch.versions import fichiers_analyste
    from osq_utils.present.fr import date

    store_file = Path(base).resolve() if base else store.store_path().resolve()
    resume = {
        "titre": report.plan.titre, "racine": str(report.root),
        "quand": date(datetime.datetime.now(), heure=True),
        "verrou_observatoire": str(verrou.chemin_observatoire(report.root)),
        "verrou_base": str(verrou.chemin_base(store_file)),
        "profils": [{"profil": r.profil, "notes": len(r.results), "site": str((r.site / "index.html").resolve())}
                    for r in [report, *report.autres]],
        "version": report.version.ident if report.version is not None else None,
        "relecture": (str((report.relecture / report.site.name / "index.html").resolve())
                      if report.relecture is not None and report.site is not None else None),
    }
    temoin.ecrire(temoin_file, temoin.entrees(report.root, store_file, fichiers_analyste(report.plan).values()), resume)


def _rien_a_faire(resume: dict) -> None:
    """A rebuild with nothing changed: the last build's sites are up to date."""
    console.print(f"[bold]{escape(resume['titre'])}[/] : rien n'a changé depuis la construction du {resume['quand']} "
                  "(code, modèles, données, paramètres et sites identiques) : aucune note à exécuter ni page à publier.")
    for p in resume["profils"]:
        console.print(f"Profil [bold]{p['profil']}[/]")
        _table_bilan(0, p["notes"], 0)
        console.print(f"Site {p['profil']} : {p['site']}")
    if resume.get("version"):
        console.print(f"Version de travail : aucun changement depuis la version [bold]{resume['version']}[/] ; "
                      f"site de relecture : {resume['relecture']}")


@app.command("livraison")
def cmd_livraison(
    convention: Path = typer.Argument(..., help="Convention du fournisseur, par exemple data/conventions/caf-pas-de-calais.yml."),
    fichier: Path = typer.Argument(..., help="Fichier livré (Excel .xlsx ou CSV)."),
    base: Path | None = typer.Option(None, help="Base DuckDB (sinon $OSQ_STORE, sinon data/osq.duckdb)."),
):
    """Charge une livraison de partenaire (Excel ou CSV) telle que sa convention la décrit, en une transaction,
    puis recalcule les chiffres dérivés (IRIS → communes). Aucun code à écrire : la convention dit quelles colonnes
    deviennent quels indicateurs du glossaire.

    Pas de livraison pendant une construction ou un aperçu qui lit la même base (verrou [bold]<base>.verrou[/],
    par exemple data/osq.duckdb.verrou) : arrêt immédiat, base inchangée, code de sortie 5.
    Codes de sortie : 0 succès ; 2 erreur de données ; 5 base utilisée par une construction en cours.
    Exemple : [bold]osq livraison data/conventions/caf-pas-de-calais.yml caf_pas-de-calais_iris_2023.xlsx[/]
    """
    from osq_utils import store, verrou
    from osq_utils.catalogues.conventions import load_convention
    from osq_utils.ingest.derive import derive
    from osq_utils.ingest.livraisons import ingest_delivery

    try:
        conv = load_convention(convention)
        store_file = base or store.store_path()
        with verrou.base(store_file, ecriture=True):  # no build reads the store meanwhile
            con = store.connect(store_file)
            try:
                report = ingest_delivery(con, conv, fichier)
                n = derive(con)
            finally:
                con.close()
    except Occupee as exc:
        console.print(f"[bold red]Livraison impossible pour l'instant[/] : {escape(str(exc))}")
        raise typer.Exit(5) from None
    except OsqError as exc:
        _fail(exc)
    table = Table(title=f"Livraison {conv.fournisseur} ({conv.source})")
    for col in ("Tableau", "Lues", "Gardées", "Écartées", "Valeurs", "Raisons et remarques"):
        table.add_column(col, justify="right" if col in ("Lues", "Gardées", "Écartées", "Valeurs") else "left")
    for row in report:
        notes = "; ".join(f"{k} : {v}" for k, v in {**row.get("raisons", {}), **row.get("remarques", {})}.items())
        table.add_row(str(row["fichier"]), str(row["lignes_lues"]), str(row["lignes_gardees"]),
                      str(row["lignes_rejetees"]), str(row["observations"]), notes or "-")
    console.print(table)
    console.print(f"{n:,} valeurs dérivées recalculées. Relancez « osq build » : les notes qui lisent ces chiffres "
                  "seront ré-exécutées.".replace(",", "\u202f"))


@app.command("preview")
def cmd_preview(
    modele: str = typer.Argument(..., help="Modèle de note : note_communale, note_quartier, note_epci, abs_ccas, evaluation_cdv."),
    territoire: str = typer.Argument(..., help="Code du territoire : commune (62040, 2A004), arrondissement municipal (75112), "
                                               "QPV (QP062036) ou EPCI (200069037)."),
    theme: str | None = typer.Option(None, help="Thème (pour abs_ccas), par exemple sante."),
    base: Path | None = typer.Option(None, help="Base DuckDB (sinon $OSQ_STORE, sinon data/osq.duckdb)."),
    sortie: Path = typer.Option(Path("rapports") / "apercu", help="Dossier de l'aperçu."),
):
    """Exécute et met en page une seule note, en quelques secondes, et affiche le chemin de sa page.

    Codes de sortie : 0 succès ; 1 note en échec ; 2 erreur de paramètres ; 5 base en cours de modification (livraison).
    Exemples : [bold]osq preview note_communale 62040[/] ; [bold]osq preview abs_ccas 62765 --theme sante[/]
    """
    from contextlib import ExitStack

    from osq_utils import store, territoires, verrou
    from osq_utils.batch import execute as ex
    from osq_utils.batch import plan as pl
    from osq_utils.batch import site
    from osq_utils.batch.render_pandoc import install_assets
    from osq_utils.indicateurs import zones
    from osq_utils.notes import territoires_montres, type_note
    from osq_utils.secret import registre, vue

    try:
        kind = type_note(modele)
    except OsqError as exc:
        _fail(exc)
    store_file = (base or store.store_path()).resolve()
    out = sortie.resolve()
    verrous = ExitStack()  # held until the note has run: no delivery while it reads the store
    try:
        verrous.enter_context(verrou.base(store_file, ecriture=False))
        base_ = vue.base(store_file)
    except Occupee as exc:
        verrous.close()
        console.print(f"[bold red]Aperçu impossible pour l'instant[/] : {escape(str(exc))}")
        raise typer.Exit(5) from None
    try:
        if kind.niveau == "commune":  # same messages as the plan: merged commune, lost leading zero…
            try:
                territoires.code_commune(base_.con, territoire)
            except territoires.CodeCommuneInvalide as exc:
                raise OsqError(exc.message, colonne="TERRITOIRE", correction=exc.correction) from None
        elif kind.niveau == "zone":
            zones.zone(base_.con, territoire)  # an unknown zone: the French error lists the declared ones
        elif territoires.libelle(base_.con, kind.niveau, territoire) is None:
            raise OsqError(f"{kind.niveau} « {territoire} » inconnu", colonne="TERRITOIRE",
                           correction="donnez le code officiel entre guillemets si besoin, par exemple 62040, "
                                      "QP062036 ou 200069037.")
        if theme and not kind.par_theme:
            raise OsqError(f"le modèle « {modele} » ne se décline pas par thème", colonne="--theme",
                           correction="retirez --theme (il sert aux analyses des besoins sociaux, abs_ccas).")
        job = pl.job(base_.con, modele, territoire, theme)
        # The note reads the store through the public profile's masks, as in a build.
        masques = registre.ecrire(registre.calculer(base_, territoires_montres(base_.con, [job]), "public"),
                                  out / "masques-public.csv")
    except OsqError as exc:
        verrous.close()
        _fail(exc)
    job = pl.Job(job.modele, job.niveau, job.code, job.libelle, job.slug,
                 {**job.parametres, "profil": "public", "masques": str(masques)}, job.theme, job.theme_libelle)
    the_plan = pl.Plan("apercu", "Aperçu", "", Path("-"), [job])
    start = time.perf_counter()
    with verrous, console.status(f"Exécution de {job.slug}…"):
        res = ex.execute([job], out / "notebooks", out / "journaux", store_file, 1)[0]
    if res.statut != "ok":
        console.print(f"[bold red]Échec[/] : {escape(res.erreur or '')}\nJournal : {res.log}")
        raise typer.Exit(1)
    install_assets(out / "site")
    page = site.render_note(the_plan, res, out / "site")
    console.print(f"Note prête en {time.perf_counter() - start:.1f} s : {page}")


@app.command("check")
def cmd_check(
    params: list[Path] = typer.Argument(None, help="Fichiers de paramètres à vérifier (par défaut params/*.yml)."),
    base: Path | None = typer.Option(None, help="Base DuckDB (sinon $OSQ_STORE, sinon data/osq.duckdb)."),
):
    """Vérifie sans rien construire : fichiers de paramètres, glossaire, règles de secret, conventions des
    partenaires, territoires propres, verbatims et catalogue des sources. Chaque problème est signalé en français
    avec son fichier, sa ligne, sa colonne et la correction. Les fichiers de paramètres passent par la même
    validation que le plan de « osq build » : ce qui arrêterait une construction est signalé ici.
    Codes de sortie : 0 tout est en ordre, 2 au moins un problème.

    Exemple : [bold]osq check[/]  ou  [bold]osq check params/capso.yml[/]
    """
    from osq_utils import store, territoires
    from osq_utils.batch import plan as pl
    from osq_utils.catalogues.conventions import load_conventions
    from osq_utils.catalogues.glossaire import load_glossaire
    from osq_utils.catalogues.groupements import fichiers as fichiers_groupements
    from osq_utils.catalogues.groupements import load_groupements
    from osq_utils.catalogues.racine import PROJECT_ROOT, affichable
    from osq_utils.catalogues.secret import load_rules
    from osq_utils.catalogues.sources import load_catalogue
    from osq_utils.catalogues.themes import load_themes
    from osq_utils.catalogues.verbatims import fichiers_verbatims, load_verbatims
    from osq_utils.catalogues.zones import fichiers as fichiers_zones
    from osq_utils.catalogues.zones import load_zones

    problems: list[tuple[str, str]] = []
    checked: list[str] = []

    def run(what: str, fn) -> None:
        try:
            fn()
            checked.append(what)
        except OsqError as exc:
            problems.append((what, str(exc)))

    run("catalogue des sources (data/sources.yml)", load_catalogue)
    run("glossaire (data/glossaire.yml)", load_glossaire)
    run("règles de secret (data/secret/)", load_rules)
    run("conventions des partenaires (data/conventions/)", load_conventions)
    run("thèmes des analyses des besoins sociaux (data/abs/themes.yml)", load_themes)
    try:
        con = store.connect(base or store.store_path(), read_only=True)
    except OsqError as exc:
        problems.append(("base de données", str(exc)))
        con = None
    if con is not None:
        try:
            known = territoires.communes_connues(con)
            for path in fichiers_groupements():
                run(f"territoires ({affichable(path)})", lambda p=path: load_groupements(p, known))
            # The declarations of every zones file; their IRIS are resolved (polygons, a fetched grands quartiers
            # table) when a params file uses them.
            for path in (p for p in fichiers_zones() if p.suffix == ".yml"):
                run(f"zones ({affichable(path)})", lambda p=path: load_zones(p))
            for path in fichiers_verbatims():
                run(f"verbatims ({affichable(path)})",
                    lambda p=path: load_verbatims(p, lambda n, c: territoires.existe(con, n, c)))
            # Exactly the plan-time validation of `osq build`: what would stop a build is reported here.
            for path in params or sorted((PROJECT_ROOT / "params").glob("*.yml")):
                run(f"paramètres ({path})", lambda p=path: pl.plan(con, p))
        finally:
            con.close()
    # Escaped: « themes: [sante] » in a correction is text, not a rich style.
    for what in checked:
        console.print(f"[green]✓[/] {escape(what)}")
    for what, message in problems:
        console.print(f"[bold red]✗ {escape(what)}[/]\n  {escape(message)}")
    if problems:
        raise typer.Exit(2)
    console.print("Tout est en ordre.")


@app.command("lab")
def cmd_lab():
    """Ouvre JupyterLab sur les modèles de notes (dossier notebooks/), avec la base du projet.

    Exemple : [bold]osq lab[/] (ou [bold]make lab[/])
    """
    import subprocess

    from osq_utils import store
    from osq_utils.catalogues.racine import dossier_modeles

    env = {**os.environ, "OSQ_STORE": str(store.store_path())}
    raise typer.Exit(subprocess.call([sys.executable, "-m", "jupyterlab", str(dossier_modeles())], env=env))


@app.command("audit")
def cmd_audit(
    site: Path = typer.Argument(..., help="Dossier d'un site publié, par exemple rapports/capso/site."),
    masques: Path | None = typer.Option(None, help="Registre des valeurs masquées (sinon masques-<profil>.csv à côté du site)."),
):
    """Vérifie qu'aucune valeur masquée (secret statistique) n'apparaît dans un site publié : pages, exports,
    index de recherche et carnets livrés. Lancé aussi à la fin de chaque « osq build ».

    Exemple : [bold]osq audit rapports/capso/site[/]  ou  [bold]osq audit rapports/capso/site-partenaires[/]
    """
    from osq_utils.batch import audit

    try:
        code = audit.main(site, masques)
    except OsqError as exc:
        _fail(exc)
    raise typer.Exit(4 if code == 1 else code)


def _observatoire(sortie: Path, observatoire: str | None) -> Path:
    """rapports/<observatoire>/: the one given, else the only one with versions in `sortie`."""
    from osq_utils.batch import versions

    if observatoire:
        root = sortie / observatoire
        if not (root / versions.VERSIONS).is_dir():
            raise OsqError(f"aucune version de l'observatoire « {observatoire} » dans {sortie}",
                           correction=f"construisez d'abord son site : « osq build params/{observatoire}.yml » "
                                      "(ou donnez --sortie si les rapports sont ailleurs).")
        return root
    found = sorted(p for p in sortie.iterdir() if (p / versions.VERSIONS).is_dir()) if sortie.is_dir() else []
    if len(found) == 1:
        return found[0]
    if not found:
        raise OsqError(f"aucune version de site dans {sortie}",
                       correction="construisez d'abord le site : « osq build params/<observatoire>.yml ».")
    raise OsqError(f"plusieurs observatoires dans {sortie} : {', '.join(p.name for p in found)}",
                   correction=f"précisez lequel, par exemple « --observatoire {found[0].name} ».")


@app.command("publier")
def cmd_publier(
    version: str | None = typer.Argument(None, help="Version à publier (dossier de rapports/<observatoire>/versions/, "
                                                    "par exemple 2026-03-03T14-05-12), ou « derniere »."),
    precedente: bool = typer.Option(False, "--precedente", help="Revenir à la version publiée avant celle en ligne."),
    observatoire: str | None = typer.Option(None, help="Identifiant de l'observatoire (sinon le seul de --sortie)."),
    sortie: Path = typer.Option(Path("rapports"), help="Dossier des rapports."),
):
    """Publie une version relue : [bold]rapports/<observatoire>/en-ligne/[/] (site/ et site-partenaires/) désigne
    désormais cette version, d'un seul coup (aucun lecteur ne voit un site à moitié copié). Les versions précédentes
    sont gardées ; [bold]--precedente[/] revient à celle d'avant, à l'octet près. L'historique des publications
    ([bold]publications.json[/]) alimente la page « État des données » des constructions suivantes.
    Codes de sortie : 0 publiée (ou déjà en ligne) ; 2 version inconnue, rien à publier ou aucune version précédente ;
    5 construction en cours pour cet observatoire.
    Exemples : [bold]osq publier 2026-03-03T14-05-12[/] ; [bold]osq publier derniere --observatoire capso[/] ;
    [bold]osq publier --precedente[/]
    """
    from osq_utils.batch import versions

    if bool(version) == precedente:
        console.print("[bold red]Erreur[/] : donnez une version à publier, ou --precedente (pas les deux). "
                      "« osq versions » liste les versions.")
        raise typer.Exit(2)
    try:
        root = _observatoire(sortie, observatoire)
        entree = versions.publier(root, version, precedente=precedente)
    except Occupee as exc:
        console.print(f"[bold red]Publication impossible pour l'instant[/] : {escape(str(exc))}")
        raise typer.Exit(5) from None
    except OsqError as exc:
        _fail(exc)
    en_ligne = root / versions.EN_LIGNE
    if entree is None:
        console.print(f"La version {versions.en_ligne(root)} est déjà en ligne : rien à faire ({en_ligne}).")
        return
    quoi = "Retour à la version" if entree["retour"] else "Version"
    console.print(f"{quoi} [bold]{entree['version']}[/] publiée dans {en_ligne} "
                  f"(remplace {entree['remplacee'] or 'rien : première publication'}).\n"
                  f"Ce qui a changé : {escape(entree['resume']['texte'])}.")


@app.command("versions")
def cmd_versions(
    observatoire: str | None = typer.Option(None, help="Identifiant de l'observatoire (sinon le seul de --sortie)."),
    sortie: Path = typer.Option(Path("rapports"), help="Dossier des rapports."),
):
    """Liste les versions de travail d'un observatoire : date, notes, celle qui est en ligne et celles déjà publiées.

    Exemple : [bold]osq versions[/]  ou  [bold]osq versions --observatoire capso[/]
    """
    from osq_utils.batch import versions

    try:
        root = _observatoire(sortie, observatoire)
    except OsqError as exc:
        _fail(exc)
    courante = versions.en_ligne(root)
    publiees = {e["version"] for e in versions.historique(root)}
    table = Table(title=f"Versions de l'observatoire « {root.name} »")
    for col in ("Version", "Construite le", "Notes", "État"):
        table.add_column(col)
    for ident in reversed(versions.lister(root)):
        data = versions.manifeste(root, ident)
        etat = "[bold green]en ligne[/]" if ident == courante else "déjà publiée" if ident in publiees else "-"
        table.add_row(ident, versions.date_longue(versions.date_version(ident)), str(len(data["notes"])), etat)
    console.print(table)


def _table_bilan(executees: int, a_jour: int, echecs: int, reprises: int = 0) -> None:
    table = Table(title="Bilan")
    table.add_column("Statut")
    table.add_column("Notes", justify="right")
    for n, label in ((executees, "exécutées"), (a_jour, "à jour (sautées)"), (echecs, "en échec (non publiées)")):
        table.add_row(label, str(n))
    if reprises:
        table.add_row("reprises après la perte d'un worker", str(reprises))
    console.print(table)


def _summary(report) -> None:
    _table_bilan(report.count("ok"), report.count("à jour"), report.count("échec"), len(report.reprises))
    if report.reprises:
        perdus = sorted({r.reprise for r in report.reprises})
        ok = sum(r.statut != "échec" for r in report.reprises)
        console.print(f"Worker(s) perdu(s) pendant la construction : {', '.join(perdus)}. "
                      f"Les {len(report.reprises)} note(s) qu'il(s) exécutai(en)t ont été reprises par les autres "
                      f"workers : {ok} terminée(s), {len(report.reprises) - ok} en échec.")
    if report.failed:

        detail = Table(title="Notes en échec (non publiées)")
        for col in ("Note", "Erreur et correction", "Journal"):
            detail.add_column(col)
        for r in report.failed:  # escaped: « [PDF] » in an error is text, not a rich style
            detail.add_row(r.job.slug, escape(r.erreur or ""), str(r.log))
        console.print(detail)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()

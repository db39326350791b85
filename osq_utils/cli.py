"""The `osq` command.

Codes de sortie : 0 succès ; 1 au moins une note en échec ; 2 erreur de données ou de
paramètres (message en français avec fichier, ligne, colonne et correction) ; 3 source manquante.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from osq_utils.errors import OsqError, SourceManquante

app = typer.Typer(
    help="OSQ : classeur d'analyse des observatoires sociaux. Codes de sortie : 0 succès, 1 note en échec, "
    "2 erreur de données ou de paramètres, 3 source manquante.",
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
    console.print(f"[bold red]Erreur[/] : {exc}")
    raise typer.Exit(3 if isinstance(exc, SourceManquante) else 2)


@app.command("sources")
def cmd_sources(
    telecharger: bool = typer.Option(False, "--telecharger", help="Télécharger depuis l'adresse officielle ce qui manque au miroir."),
    miroir: Optional[Path] = typer.Option(None, help="Dossier miroir (sinon $OSQ_MIRROR, sinon ../shared/sources)."),
    source: list[str] = typer.Option([], "--source", "-s", help="Ne récupérer que cette source (répétable)."),
):
    """Récupère les fichiers des sources publiques (miroir local ou téléchargement) et vérifie leurs empreintes.

    Exemple : [bold]osq sources[/]  ou  [bold]OSQ_MIRROR=/donnees/miroir osq sources --telecharger[/]
    """
    from osq_utils.sources import fetch_file, load_catalogue, mirror_dir

    catalogue = load_catalogue()
    mirror = miroir or mirror_dir()
    chosen = [catalogue[s] for s in source] if source else list(catalogue.values())
    counts: dict[str, int] = {}
    try:
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
    base: Optional[Path] = typer.Option(None, help="Base DuckDB (sinon $OSQ_STORE, sinon data/osq.duckdb)."),
):
    """Charge les sources récupérées dans la base DuckDB, une transaction par source, et écrit le rapport de chargement.

    Exemple : [bold]osq ingest[/]  ou  [bold]osq ingest -s insee-filosofi-2014-2019-disp[/]
    """
    from osq_utils import store
    from osq_utils.indicateurs import derive
    from osq_utils.ingest import ingest_source, ordered_sources
    from osq_utils.sources import load_catalogue

    catalogue = load_catalogue()
    con = store.connect(base)
    start = time.perf_counter()
    table = Table(title="Rapport de chargement")
    for col in ("Source", "Fichiers", "Lignes lues", "Gardées", "Écartées", "Observations"):
        table.add_column(col, justify="right" if col != "Source" else "left", no_wrap=col == "Source")
    try:
        with _progress() as prog:
            sources = ordered_sources(catalogue, source or None)
            task = prog.add_task("Chargement", total=len(sources) + 1)
            for src in sources:
                prog.update(task, description=f"Chargement {src.id}")
                report = ingest_source(con, src)
                table.add_row(src.id, str(len(report)), *(f"{sum(r[k] for r in report):,}".replace(",", "\u202f")
                              for k in ("lignes_lues", "lignes_gardees", "lignes_rejetees", "observations")))
                prog.advance(task)
            prog.update(task, description="Calculs dérivés (IRIS → communes, densités)")
            n = derive(con)
            prog.advance(task)
    except OsqError as exc:
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
    base: Optional[Path] = typer.Option(None, help="Base DuckDB (sinon $OSQ_STORE, sinon data/osq.duckdb)."),
    sortie: Path = typer.Option(Path("rapports"), help="Dossier des rapports."),
    limite: int = typer.Option(0, help="Ne construire que les N premières notes (0 = toutes)."),
):
    """Exécute chaque note de l'observatoire avec papermill puis publie le site HTML (Quarto si présent, sinon pandoc).

    Exemple : [bold]osq build params/capso.yml --jobs 2[/]
    """
    from osq_utils import store
    from osq_utils.batch import execute as ex
    from osq_utils.batch import plan as pl
    from osq_utils.batch import site
    from osq_utils.indicateurs import load_glossaire
    from osq_utils.sources import load_catalogue

    store_file = Path(base) if base else store.store_path()
    try:
        con = store.connect(store_file, read_only=True)
        try:
            the_plan = pl.plan(con, params)
            chargements = con.execute("SELECT * FROM chargements ORDER BY source, fichier").df()
        finally:
            con.close()
    except OsqError as exc:
        _fail(exc)
    jobs_list = the_plan.jobs[:limite] if limite else the_plan.jobs
    root = sortie / the_plan.id
    console.print(f"[bold]{the_plan.titre}[/] : {len(jobs_list)} notes, {jobs} en parallèle.")
    with _progress() as prog:
        task = prog.add_task("Exécution des notes", total=len(jobs_list))
        results = ex.execute(jobs_list, root / "notebooks", root / "journaux", store_file.resolve(), jobs,
                             progress=lambda r: prog.advance(task))
    glossaire, catalogue = load_glossaire(), load_catalogue()
    quarto = site.quarto_executable()
    try:
        if quarto:
            console.print(f"Publication avec Quarto ({quarto}).")
            staging = site.quarto_project(the_plan, results, root / "_quarto", root / "site", glossaire, catalogue, chargements)
            site.render_quarto_site(quarto, staging, root / "journaux" / "quarto.log")
        else:
            console.print("Quarto absent : publication avec pandoc et le gabarit du projet.")
            site.render_pandoc_site(the_plan, results, root / "site", glossaire, catalogue, chargements, n_jobs=jobs)
    except OsqError as exc:
        _fail(exc)
    _summary(results)
    console.print(f"Site : {(root / 'site' / 'index.html').resolve()}")
    if any(r.statut != "ok" for r in results):
        raise typer.Exit(1)


def _summary(results) -> None:
    table = Table(title="Bilan")
    for col in ("Statut", "Notes"):
        table.add_column(col)
    ok = sum(r.statut == "ok" for r in results)
    table.add_row("ok", str(ok))
    table.add_row("échec", str(len(results) - ok))
    console.print(table)
    failed = [r for r in results if r.statut != "ok"]
    if failed:
        detail = Table(title="Notes en échec (non publiées)")
        for col in ("Note", "Erreur", "Journal"):
            detail.add_column(col)
        for r in failed:
            detail.add_row(r.job.slug, r.erreur or "", str(r.log))
        console.print(detail)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

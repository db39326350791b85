"""Publish the executed notes as an HTML site: with Quarto when found, else with pandoc.

Both renderers share the site map: index (listing of the notes with a filter),
one page per note, the glossary and the sources page.
"""

from __future__ import annotations

import datetime
import hashlib
import html
import io
import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import yaml

from osq_utils import atomic
from osq_utils.batch.execute import JobResult
from osq_utils.batch.notebook_md import executed_notebook_to_markdown
from osq_utils.batch.plan import PROJECT_ROOT, TEMPLATES, Plan
from osq_utils.batch.render_pandoc import install_assets, render_page
from osq_utils.indicateurs import Glossaire, load_glossaire
from osq_utils.present import fr
from osq_utils.sources import Source, load_catalogue

NAV = [("Accueil", "index.html"), ("Glossaire", "glossaire.html"), ("Sources", "sources.html"),
       ("État des données", "etat-des-donnees.html"), ("Guides", "guides.html")]
GUIDES = PROJECT_ROOT / "docs" / "guides"


def guides_pages() -> dict[str, tuple[str, str]]:
    """The French guides (docs/guides/*.md) as site pages: file name -> (markdown, title)."""
    pages, items = {}, []
    for path in sorted(GUIDES.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        title = text.splitlines()[0].lstrip("# ").strip()
        body = text.split("\n", 1)[1].replace("`exemples/", "`docs/guides/exemples/")
        pages[f"guide-{path.stem}.html"] = (body, title)
        items.append(f"- [{title}](guide-{path.stem}.html)")
    if items:
        pages["guides.html"] = ("Les guides de l'analyste, avec des exemples que les tests du projet exécutent "
                                "(`tests/test_parcours.py`, `tests/test_cli_outils.py`).\n\n" + "\n".join(items) + "\n",
                                "Guides")
    return pages
# A public statistical source older than this many years has probably been followed by a newer vintage.
PUBLICATION_LAG = 3
PARTENAIRES_BANNER = (
    '::: {.callout-warning title="Site réservé aux partenaires"}\n'
    "Ce site contient des données diffusées sous convention (seuils de secret statistique des partenaires, "
    "verbatims réservés). Ne le transmettez pas en dehors des signataires des conventions.\n:::\n\n"
)
QUARTO_BASE = PROJECT_ROOT / "_quarto.yml"


def quarto_executable() -> str | None:
    """The quarto executable on PATH ($OSQ_QUARTO overrides; 'non' disables it)."""
    env = os.environ.get("OSQ_QUARTO")
    if env:
        return None if env.lower() in ("non", "no", "0", "false") else env
    return shutil.which("quarto")


# --- Shared page contents (Quarto markdown) -----------------------------------------


def glossary_markdown(glossaire: Glossaire, catalogue: dict[str, Source]) -> str:
    lines = ["Chaque indicateur des notes est défini une seule fois ici : sa définition, son calcul, ses sources "
             "et la règle de secret statistique appliquée avant publication.", ""]
    rules_by_indicator = _rules_by_indicator()
    for theme, label in glossaire.themes.items():
        inds = glossaire.par_theme(theme)
        if not inds:
            continue
        lines += [f"## {label} {{#theme-{theme}}}", ""]
        for ind in inds:
            calc = {
                "compte": "effectif additif : les totaux sont des sommes",
                "taux": "taux = numérateur / dénominateur × 100, recalculé à chaque agrégation",
                "moyenne": "rapport numérateur / dénominateur, recalculé à chaque agrégation",
                "densite": "numérateur / dénominateur × 10 000, recalculé à chaque agrégation",
                "non_additif": "non additif : jamais agrégé ni moyenné, seule la valeur publiée par le producteur est montrée",
            }[ind.type]
            sources = ", ".join(catalogue[s].citation or s if s in catalogue else s for s in ind.sources)
            lines += [
                f"### {ind.libelle} {{#{ind.code}}}", "",
                ind.definition, "",
                f"- **Unité** : {ind.unite or 'sans unité'} ; **calcul** : {calc}",
            ]
            if ind.type != "non_additif" and ind.numerateur:
                lines.append(f"- **Numérateur** : {ind.numerateur}" + (f" ; **dénominateur** : {ind.denominateur}" if ind.denominateur else ""))
            lines += [
                f"- **Sources** : {sources} ; **années** : {', '.join(map(str, ind.annees))}",
                f"- **Niveaux** : {', '.join(ind.niveaux)} ; **sens** : une hausse est {_sens(ind.sens)}",
                f"- **Secret statistique** : {rules_by_indicator.get(ind.code) or _NO_RULE}",
                f"- Code : `{ind.code}`", "",
            ]
    return "\n".join(lines)


_NO_RULE = ("pas de règle propre à OSQ : les cellules laissées vides par le producteur restent secrètes "
            "(voir [Secret statistique](#secret-statistique))")


def _rules_by_indicator() -> dict[str, str]:
    from osq_utils import secret

    out: dict[str, list[str]] = {}
    for regles in secret.load_rules().values():
        for regle in regles.regles:
            if regle.nature == "secret":
                for code in regle.indicateurs:
                    out.setdefault(code, []).append(regle.description.rstrip("."))
    return {k: " ; ".join(dict.fromkeys(v)) + " (voir [Secret statistique](#secret-statistique))" for k, v in out.items()}


def secret_markdown() -> str:
    """The secret statistique rules of every source (data/secret/), for the glossary page."""
    from osq_utils import secret

    table = secret.glossaire_secret(secret.load_rules())
    lines = ["## Secret statistique {#secret-statistique}", "",
             "Avant toute publication, OSQ applique les règles de secret de chaque producteur (dossier `data/secret/`), "
             "puis un secret secondaire : quand un tableau montre des parties et leur total (communes et intercommunalité, "
             "IRIS et commune), la plus petite cellule publiée est masquée en plus, jusqu'à ce qu'aucune valeur masquée ne "
             "puisse être retrouvée par soustraction. Une valeur masquée est marquée « s », jamais 0 ; les exports "
             "n'en donnent que le statut.", ""]
    if table.empty:
        return "\n".join(lines)
    cols = list(table.columns)
    headers = {"source": "Source", "regle": "Règle", "nature": "Nature", "indicateurs": "Indicateurs",
               "description": "Description", "seuil_public": "Seuil public", "seuil_partenaires": "Seuil partenaires"}
    lines += ["| " + " | ".join(headers.get(c, str(c)) for c in cols) + " |", "|" + "---|" * len(cols)]
    from osq_utils.present import fr

    for row in table.itertuples(index=False):
        cells = [fr.nombre(v) if isinstance(v, float) else ("" if v is None else str(v)) for v in row]
        lines.append("| " + " | ".join(c.replace("|", "/").replace("\n", " ") for c in cells) + " |")
    lines += ["", ": Règles de secret statistique par source et profil de diffusion {#tbl-secret}", ""]
    return "\n".join(lines)


def _sens(sens: str) -> str:
    return {"favorable": "favorable aux habitants", "defavorable": "défavorable aux habitants"}.get(sens, "neutre")


def sources_markdown(catalogue: dict[str, Source], chargements=None) -> str:
    lines = ["Toutes les données viennent de fichiers publics, lus tels que leurs producteurs les publient. "
             "Une cellule vide d'un fichier Insee est un secret statistique, jamais un zéro.", "",
             "| Source | Producteur | Millésime | Licence | Lien |", "|---|---|---|---|---|"]
    for s in catalogue.values():
        link = f"[page officielle]({s.page_officielle})" if s.page_officielle else "nd"
        lic = f"[{s.licence}]({s.licence_url})" if s.licence_url else s.licence
        lines.append(f"| {s.titre} | {s.producteur} | {s.millesimes} | {lic} | {link} |")
    lines += ["", ": Sources publiques du projet {#tbl-sources}", ""]
    if chargements is not None and len(chargements):
        lines += ["## Rapport de chargement", "",
                  "Lignes lues, gardées et écartées (avec la raison) lors du dernier chargement de chaque source.", "",
                  "| Source | Fichier | Lues | Gardées | Écartées | Raisons |", "|---|---|--:|--:|--:|---|"]
        for r in chargements.itertuples():
            raisons = "; ".join(f"{k} : {v}" for k, v in json.loads(r.raisons or "{}").items()) or "-"
            lines.append(f"| {r.source} | {r.fichier} | {r.lignes_lues:,} | {r.lignes_gardees:,} | {r.lignes_rejetees:,} | {raisons} |".replace(",", "\u202f"))
    return "\n".join(lines) + "\n"


def freshness_markdown(glossaire: Glossaire, catalogue: dict[str, Source], millesimes=None, today=None) -> str:
    """« État des données »: per indicator and source, the latest vintage in the store, what is expected,
    and what is late or missing; then the partner deliveries against their conventions."""
    from osq_utils.ingest.livraisons import fraicheur, load_conventions

    today = today or datetime.date.today()
    conventions = load_conventions()
    latest: dict[tuple[str, str], int] = {}
    if millesimes is not None:
        latest = {(r.indicateur, r.source): int(r.annee) for r in millesimes.itertuples()}
    lines = [f"État au {today.day} {_MOIS[today.month - 1]} {today.year}. Pour chaque indicateur et chaque source : le "
             "dernier millésime chargé dans la base, les années que le glossaire annonce, et ce qui manque ou est "
             "probablement dépassé. Les sources publiques sont annuelles ; les livraisons des partenaires suivent "
             "la périodicité de leur convention (`data/conventions/`).", "",
             "| Indicateur | Source | Périodicité | Dernier millésime | Années attendues | État |",
             "|---|---|---|--:|---|---|"]
    for ind in glossaire:
        for src in ind.sources:
            if src in conventions:
                label, period = conventions[src].fournisseur, conventions[src].periodicite
            elif src in catalogue:
                label, period = catalogue[src].citation or src, "annuelle"
            else:  # a partner delivery whose convention lives elsewhere
                label, period = src, "selon la convention"
            year = latest.get((ind.code, src))
            declared = [a for a in ind.annees]
            if year is None:
                state = "**manquant** : aucune valeur chargée" + (" (aucune livraison reçue)" if src in conventions else "")
            elif declared and year < max(declared):
                state = f"**incomplet** : {max(declared)} annoncé, {year} chargé"
            elif src in catalogue and year <= today.year - PUBLICATION_LAG - 1:
                state = "à vérifier : un millésime plus récent est probablement publié"
            else:
                state = "à jour"
            lines.append(f"| [{ind.libelle}](glossaire.html#{ind.code}) | {label} | {period} | "
                         f"{year if year is not None else 'nd'} | {fr.annees(declared) if declared else '-'} | {state} |")
    lines += ["", ": Dernier millésime chargé par indicateur et par source {#tbl-fraicheur}", ""]
    table = fraicheur(conventions, today)
    if len(table):
        lines += ["## Livraisons des partenaires", "",
                  "| Fournisseur | Périodicité | Dernière livraison | Prochaine attendue | État |", "|---|---|---|---|---|"]
        for r in table.itertuples():
            state = ("**en retard**" if r.en_retard else "attendue") if r.derniere_livraison else "**jamais livrée**"
            lines.append(f"| {r.fournisseur} | {r.periodicite} | {r.derniere_livraison or 'nd'} | "
                         f"{r.prochaine_livraison or 'nd'} | {state} |")
        lines += ["", ": Livraisons prévues par les conventions {#tbl-livraisons}", ""]
    return "\n".join(lines) + "\n"


_MOIS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
         "novembre", "décembre"]


def index_markdown(plan: Plan, results: list[JobResult], note_href, imprimables: bool = False) -> str:
    ok = [r for r in results if r.statut != "échec"]
    lines = [plan.description or "", "",
             f"{len(ok)} notes publiées. Tapez un nom ou un code pour filtrer la liste. Les chiffres publiés "
             "sont téléchargeables en [CSV](donnees/chiffres.csv) et en [Excel](donnees/chiffres.xlsx) "
             "(les valeurs secrètes n'y figurent pas : seul leur statut est indiqué).", ""]
    lines += ["```{=html}",
              '<label for="filtre-notes" class="filtre-label">Filtrer les notes</label>',
              '<input id="filtre-notes" class="filtre" type="search" placeholder="Nom ou code, par exemple Arques ou 62040" '
              'oninput="osqFiltre(this.value)" autocomplete="off" aria-describedby="filtre-compte">',
              '<p id="filtre-compte" class="filtre-compte" role="status" aria-live="polite"></p>',
              "```", ""]
    by_template: dict[str, list[JobResult]] = {}
    for r in ok:
        by_template.setdefault(r.job.modele, []).append(r)
    for modele, items in by_template.items():
        lines += [f"## {TEMPLATES[modele].pluriel} {{#{modele}}}", ""]
        by_theme: dict[str | None, list[JobResult]] = {}
        for r in items:
            by_theme.setdefault(r.job.theme_libelle, []).append(r)
        for theme, group in by_theme.items():
            if theme:
                lines += [f"### {theme}", ""]
            lines.append("::: {.liste-notes}")
            for r in sorted(group, key=lambda r: r.job.libelle):
                key = html.escape(f"{r.job.titre.lower()} {r.job.code}")
                extra = ""
                if imprimables:
                    base = note_href(r).removesuffix(".html")
                    extra = f" — [PDF]({base}.pdf) · [Word]({base}.docx)"
                lines.append(f"- [{r.job.libelle} ({r.job.code})]({note_href(r)}){{data-cle=\"{key}\"}}{extra}")
            lines += [":::", ""]
    lines += ["```{=html}",
              "<script>function osqFiltre(q){q=q.toLowerCase().normalize('NFD').replace(/[\\u0300-\\u036f]/g,'');var n=0;"
              "document.querySelectorAll('.liste-notes li').forEach(function(li){var a=li.querySelector('[data-cle]');"
              "var t=((a&&a.getAttribute('data-cle'))+' '+li.textContent).toLowerCase()"
              ".normalize('NFD').replace(/[\\u0300-\\u036f]/g,'');li.hidden=q!==''&&t.indexOf(q)<0;if(!li.hidden)n++;});"
              "document.getElementById('filtre-compte').textContent=q===''?'':n+(n>1?' notes affichées':' note affichée');}"
              "</script>",
              "```", ""]
    return "\n".join(lines)


# --- pandoc renderer -------------------------------------------------------------


def note_subtitle(job) -> str:
    from osq_utils.territoires import LIBELLES_NIVEAUX

    return f"{TEMPLATES[job.modele].libelle} · {LIBELLES_NIVEAUX.get(job.niveau, job.niveau)} {job.code}"


def note_page(site_root: Path, job) -> Path:
    return site_root / "notes" / f"{job.slug}.html"


def render_note(plan: Plan, r: JobResult, site: Path, noindex: bool = False, imprimables: bool = False) -> Path:
    """One note's page and its own media folder (parallel renders never collide).

    With imprimables, the note's PDF and Word versions are written beside its page, from the
    same markdown, and the page links to them.
    """
    notes_dir = site / "notes"
    nb = nbformat.read(r.notebook, as_version=4)
    media = notes_dir / f"{r.job.slug}_files"
    md = executed_notebook_to_markdown(nb, media, f"{r.job.slug}_files")
    if imprimables:
        from osq_utils.batch import imprimables as imp

        meta = dict(title=r.job.titre, subtitle=note_subtitle(r.job), site_title=plan.titre, date=datetime.date.today())
        try:
            imp.render_pdf(md, media, notes_dir / f"{r.job.slug}.pdf", **meta)
            imp.render_docx(md, media, notes_dir / f"{r.job.slug}.docx", **meta)
            md = (f"[Version imprimable : [PDF]({r.job.slug}.pdf) · [Word]({r.job.slug}.docx)]{{.telechargements}}"
                  "\n\n" + md)
        except Exception as exc:  # the HTML page is still published; the reader is told why there is no PDF
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            md = ('::: {.callout-warning title="Version imprimable indisponible"}\n'
                  f"La version PDF ou Word de cette note n'a pas pu être produite : {first}\n:::\n\n" + md)
    return render_page(md, note_page(site, r.job), title=r.job.titre, subtitle=note_subtitle(r.job),
                       site_title=plan.titre, nav=NAV, root_href="..", noindex=noindex)


def unpublish_failed(results: list[JobResult], site: Path) -> None:
    """A failed note is never published: remove any older page of it."""
    for r in results:
        if r.statut == "échec":
            note_page(site, r.job).unlink(missing_ok=True)


def render_fixed_pages(plan: Plan, results: list[JobResult], site: Path, chargements=None,
                       page_state: dict | None = None, noindex: bool = False, imprimables: bool = False,
                       millesimes=None) -> list[Path]:
    """Index, glossary and sources pages, re-rendered only when their content changed."""
    glossaire, catalogue = load_glossaire(), load_catalogue()
    page_state = {} if page_state is None else page_state
    install_assets(site)
    fixed = {
        "index.html": ((PARTENAIRES_BANNER if noindex else "") + index_markdown(plan, results, lambda r: f"notes/{r.job.slug}.html", imprimables),
                       plan.titre, False),
        "glossaire.html": (glossary_markdown(glossaire, catalogue) + "\n\n" + secret_markdown(),
                           "Glossaire des indicateurs", True),
        "sources.html": (sources_markdown(catalogue, chargements), "Sources des données", True),
        "etat-des-donnees.html": (freshness_markdown(glossaire, catalogue, millesimes), "État des données", True),
        **{name: (md, title, True) for name, (md, title) in guides_pages().items()},
    }
    todo = {}
    for name, (md, title, toc) in fixed.items():
        digest = hashlib.sha256(f"{plan.titre}\0{noindex}\0{md}".encode()).hexdigest()
        if page_state.get(name) != digest or not (site / name).exists():
            todo[name] = (md, title, toc, digest)

    def render(name: str) -> Path:
        md, title, toc, _ = todo[name]
        return render_page(md, site / name, title=title, site_title=plan.titre, nav=NAV, root_href=".", toc=toc,
                           noindex=noindex)

    # One pandoc process per page, side by side: the notes are done, every core is free.
    with ThreadPoolExecutor(max_workers=max(1, min(len(todo), os.cpu_count() or 2))) as pool:
        pages = list(pool.map(render, todo))
    for name, (*_, digest) in todo.items():
        page_state[name] = digest
    return pages


def render_pandoc_site(plan: Plan, results: list[JobResult], site: Path, chargements=None, n_jobs: int = 2) -> list[Path]:
    """Every page of the site at once (the batch build renders notes as they finish instead)."""
    install_assets(site)
    unpublish_failed(results, site)
    ok = [r for r in results if r.statut != "échec"]
    with ThreadPoolExecutor(max_workers=max(1, n_jobs)) as pool:
        pages = list(pool.map(lambda r: render_note(plan, r, site), ok))
    return pages + render_fixed_pages(plan, results, site, chargements)


# --- Exports -------------------------------------------------------------------------


def write_exports(plan: Plan, results: list[JobResult], site: Path, store_file: Path, state: dict, data_fp: str) -> None:
    """The published figures as CSV and Excel: the notes' territories and their references.

    A secret or missing figure has an empty value and its status: never the value.
    """
    from osq_utils import indicateurs, store, territoires

    published = sorted({(r.job.niveau, r.job.code) for r in results if r.statut != "échec"})
    digest = hashlib.sha256(json.dumps([data_fp, published, plan.titre]).encode()).hexdigest()
    out_dir = site / "donnees"
    if state.get("empreinte") == digest and (out_dir / "chiffres.csv").exists() and (out_dir / "chiffres.xlsx").exists():
        return
    glossaire, catalogue = load_glossaire(), load_catalogue()
    con = store.connect(store_file, read_only=True)
    try:
        refs: dict[tuple[str, str], str] = {}
        for niveau, code in published:
            if niveau == "commune":
                for t in indicateurs.references_of_commune(con, code):
                    refs[(t.niveau, t.code)] = t.libelle
            else:
                refs[(niveau, code)] = territoires.libelle(con, niveau, code) or code
        frames = []
        for niveau in sorted({n for n, _ in refs}):
            codes = [c for n, c in refs if n == niveau]
            obs = indicateurs.observations_of(con, niveau, codes, list(glossaire.indicateurs), glossaire)
            frames.append(obs)
    finally:
        con.close()
    import pandas as pd

    df = pd.concat(frames, ignore_index=True)
    df["territoire"] = [refs.get((n, c), c) for n, c in zip(df["niveau"], df["code"])]
    df["indicateur_libelle"] = df["indicateur"].map({i.code: i.libelle for i in glossaire})
    df["unite"] = df["indicateur"].map({i.code: i.unite for i in glossaire})
    df["source_libelle"] = df["source"].map({k: v.citation for k, v in catalogue.items()}).fillna("calculs OSQ")
    df.loc[df["statut"] != "ok", ["valeur", "numerateur", "denominateur"]] = None
    cols = ["niveau", "code", "territoire", "indicateur", "indicateur_libelle", "unite", "annee", "valeur",
            "numerateur", "denominateur", "statut", "estime", "source", "source_libelle"]
    df = df[cols].sort_values(["niveau", "code", "indicateur", "annee"])
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(out_dir / "chiffres.csv", df.to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig"))
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter") as xl:  # several times faster than openpyxl
        df.to_excel(xl, sheet_name="chiffres", index=False)
        pd.DataFrame({"statut": ["ok", "secret", "absent"],
                      "signification": ["valeur publiée", "secret statistique : valeur non diffusable",
                                        "non disponible (année ou source manquante)"]}).to_excel(xl, sheet_name="légende", index=False)
    atomic.write_bytes(out_dir / "chiffres.xlsx", buf.getvalue())
    state["empreinte"] = digest


# --- Quarto renderer ------------------------------------------------------------------


def front_matter_cell(r: JobResult, plan: Plan) -> nbformat.NotebookNode:
    meta = {
        "title": r.job.titre,
        "subtitle": note_subtitle(r.job),
        "categories": [TEMPLATES[r.job.modele].libelle, *([r.job.theme_libelle] if r.job.theme_libelle else [])],
        "description": f"{TEMPLATES[r.job.modele].libelle} : {r.job.titre} ({r.job.code})",
    }
    return nbformat.v4.new_raw_cell("---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---")


def quarto_project(plan: Plan, results: list[JobResult], staging: Path, site: Path, chargements=None,
                   profil: str = "public", imprimables: bool = False, millesimes=None) -> Path:
    """Write a Quarto website project that renders the executed notebooks without executing them.

    A restricted profile is a Quarto project profile (`_quarto-partenaires.yml`, merged over
    `_quarto.yml` by `quarto render --profile partenaires`): it adds the noindex meta tag.
    """
    glossaire, catalogue = load_glossaire(), load_catalogue()
    if staging.exists():
        shutil.rmtree(staging)
    (staging / "notes").mkdir(parents=True)
    base = yaml.safe_load(QUARTO_BASE.read_text(encoding="utf-8")) if QUARTO_BASE.exists() else {}
    config = dict(base)
    config["project"] = {**base.get("project", {}), "type": "website", "output-dir": os.path.relpath(site, staging),
                         "render": ["index.qmd", "glossaire.qmd", "sources.qmd", "etat-des-donnees.qmd", "guides.qmd",
                                    "guide-*.qmd", "notes/*.ipynb"]}
    config["website"] = {**base.get("website", {}), "title": plan.titre}
    if imprimables:  # Quarto links each page's other formats ("Autres formats") by itself
        config["format"] = {**(base.get("format") or {"html": "default"}),
                            "typst": {"papersize": "a4", "margin": {"x": "2cm", "y": "2cm"}, "section-numbering": None},
                            "docx": {"reference-doc": str(Path(__file__).parent / "templates" / "reference.docx")}}
    atomic.write_text(staging / "_quarto.yml", yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    if profil != "public":
        overlay = {"format": {"html": {"include-in-header": {
            "text": '<meta name="robots" content="noindex, nofollow">'}}}}
        atomic.write_text(staging / f"_quarto-{profil}.yml", yaml.safe_dump(overlay, allow_unicode=True, sort_keys=False))
    shutil.copy(Path(__file__).parent / "templates" / "osq.css", staging / "osq.css")
    for r in results:
        if r.statut == "échec":
            continue
        nb = nbformat.read(r.notebook, as_version=4)
        nb.cells.insert(0, front_matter_cell(r, plan))
        nbformat.write(nb, staging / "notes" / f"{r.job.slug}.ipynb")
    listing = {
        "title": plan.titre,
        "listing": {"id": "notes", "contents": "notes/*.ipynb", "type": "table", "fields": ["title", "subtitle", "categories"],
                    "filter-ui": True, "sort-ui": True, "categories": True, "page-size": 100},
    }
    atomic.write_text(staging / "index.qmd", "---\n" + yaml.safe_dump(listing, allow_unicode=True, sort_keys=False) + "---\n\n"
                      + (PARTENAIRES_BANNER if profil != "public" else "") + (plan.description or "") + "\n")
    atomic.write_text(staging / "glossaire.qmd", "---\ntitle: Glossaire des indicateurs\n---\n\n"
                      + glossary_markdown(glossaire, catalogue) + "\n\n" + secret_markdown())
    for name, (md, title) in guides_pages().items():
        atomic.write_text(staging / name.replace(".html", ".qmd"), f"---\ntitle: \"{title}\"\n---\n\n{md}")
    atomic.write_text(staging / "etat-des-donnees.qmd", "---\ntitle: État des données\n---\n\n"
                      + freshness_markdown(glossaire, catalogue, millesimes))
    atomic.write_text(staging / "sources.qmd", "---\ntitle: Sources des données\n---\n\n" + sources_markdown(catalogue, chargements))
    return staging


def render_quarto_site(quarto: str, staging: Path, log: Path, profil: str = "public") -> None:
    args = [quarto, "render", str(staging), "--no-execute"] + (["--profile", profil] if profil != "public" else [])
    with open(log, "w", encoding="utf-8") as fh:
        proc = subprocess.run(args, stdout=fh, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        from osq_utils.errors import OsqError

        raise OsqError(f"Quarto a échoué (code {proc.returncode})", fichier=log,
                       correction="lisez le journal de Quarto ; « OSQ_QUARTO=non osq build … » publie avec pandoc.")

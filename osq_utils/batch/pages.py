"""The fixed pages of every site, as Quarto markdown rendered by pandoc or Quarto alike: the index
(notes by kind and theme, with a filter), the glossary (with the secret statistique rules), the
sources and load report, the freshness of the data (« État des données ») and the guides.

`PAGES` is the one list of them: the navigation, the pandoc renderer and the Quarto project all
read it.
"""

from __future__ import annotations

import datetime
import html
import json
from collections.abc import Callable
from dataclasses import dataclass

from osq_utils.batch import comparaison, versions
from osq_utils.batch.execute import JobResult
from osq_utils.batch.plan import Plan
from osq_utils.catalogues.conventions import fraicheur, load_conventions
from osq_utils.catalogues.glossaire import Glossaire, load_glossaire
from osq_utils.catalogues.guides import guides_pages
from osq_utils.catalogues.secret import load_rules, tableau_regles
from osq_utils.catalogues.sources import Source, load_catalogue
from osq_utils.notes import TYPES
from osq_utils.present import commentaire, fr

# A public statistical source older than this many years has probably been followed by a newer vintage.
PUBLICATION_LAG = 3
PARTENAIRES_BANNER = (
    '::: {.callout-warning title="Site réservé aux partenaires"}\n'
    "Ce site contient des données diffusées sous convention (seuils de secret statistique des partenaires, "
    "verbatims réservés). Ne le transmettez pas en dehors des signataires des conventions.\n:::\n\n"
)


@dataclass(frozen=True)
class Page:
    """A fixed page: its file, its title, whether it has a table of contents, its menu label."""

    fichier: str
    titre: str
    toc: bool
    menu: str | None = None


@dataclass(frozen=True)
class Donnees:
    """What the fixed pages show: the plan, the notes built, the store's load report and vintages."""

    plan: Plan
    results: list[JobResult]
    chargements: object = None  # DataFrame of the table chargements
    millesimes: object = None  # DataFrame indicateur, source, annee (latest 'ok' year)
    noindex: bool = False
    imprimables: bool = False
    note_href: Callable[[JobResult], str] = lambda r: lien_note(r)
    accueil: str = ""  # the territory's key figures and map (batch.accueil), markdown
    publications: tuple = ()  # the publications known when this version is built (batch.versions.historique)


def lien_note(r: JobResult) -> str:
    """A note's page from the site's root."""
    return f"notes/{r.job.slug}.html"


INDEX = Page("index.html", "", False, "Accueil")
PAGES = [
    INDEX,
    Page("comparer.html", "Comparer des territoires", False, "Comparer"),
    Page("glossaire.html", "Glossaire des indicateurs", True, "Glossaire"),
    Page("sources.html", "Sources des données", True, "Sources"),
    Page("etat-des-donnees.html", "État des données", True, "État des données"),
    Page("guides.html", "Guides", True, "Guides"),
]
NAV = [(p.menu, p.fichier) for p in PAGES if p.menu]  # the navigation of both renderers


def pied_de_page(titre: str) -> str:
    """The footer line of every page, in both renderers."""
    return f"{titre} · Note produite avec OSQ, classeur ouvert des observatoires sociaux."


def contenus(d: Donnees) -> dict[str, tuple[str, str, bool]]:
    """Every fixed page of the site: file -> (markdown, title, toc), in PAGES order, then each guide."""
    glossaire, catalogue = load_glossaire(), load_catalogue()
    guides = guides_pages()
    deps = comparaison.parties(d.plan)  # a région: the comparison is cut by département
    markdown = {
        INDEX.fichier: (PARTENAIRES_BANNER if d.noindex else "") + index_markdown(d.plan, d.results, d.note_href,
                                                                                   d.imprimables, d.accueil),
        "glossaire.html": glossary_markdown(glossaire, catalogue) + "\n\n" + secret_markdown() + "\n\n"
                          + commentaire.regles(glossaire.seuils),
        "comparer.html": (comparaison.choix_departement_markdown(deps) if deps else comparaison.comparaison_markdown()),
        "sources.html": sources_markdown(catalogue, d.chargements),
        "etat-des-donnees.html": freshness_markdown(glossaire, catalogue, d.millesimes) + "\n"
                                 + versions.publications_markdown(list(d.publications)),
    }
    out = {}
    for page in PAGES:
        if page.fichier in markdown:
            out[page.fichier] = (markdown[page.fichier], page.titre or d.plan.titre, page.toc)
        elif page.fichier in guides:
            out[page.fichier] = (*guides[page.fichier], page.toc)
    out.update({name: (md, title, True) for name, (md, title) in guides.items() if name not in out})
    for dep, nom in deps.items():  # a région: one comparison page per département
        out[comparaison.page(dep)] = (comparaison.comparaison_markdown(dep, nom), f"Comparer des territoires : {nom}",
                                      False)
    return out


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
                "taux_pour_mille": "taux pour mille = numérateur / dénominateur × 1 000, recalculé à chaque agrégation",
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
                denominateur = f" ; **dénominateur** : {ind.denominateur}" if ind.denominateur else ""
                lines.append(f"- **Numérateur** : {ind.numerateur}{denominateur}")
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
    out: dict[str, list[str]] = {}
    for regles in load_rules().values():
        for regle in regles.regles:
            if regle.nature == "secret":
                for code in regle.indicateurs:
                    out.setdefault(code, []).append(regle.description.rstrip("."))
    return {k: " ; ".join(dict.fromkeys(v)) + " (voir [Secret statistique](#secret-statistique))" for k, v in out.items()}


def secret_markdown() -> str:
    """The secret statistique rules of every source (data/secret/), for the glossary page."""
    table = tableau_regles(load_rules())
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
            counts = f"{r.lignes_lues:,} | {r.lignes_gardees:,} | {r.lignes_rejetees:,}".replace(",", "\u202f")
            lines.append(f"| {r.source} | {r.fichier} | {counts} | {raisons} |")
    return "\n".join(lines) + "\n"


def freshness_markdown(glossaire: Glossaire, catalogue: dict[str, Source], millesimes=None, today=None) -> str:
    """« État des données »: per indicator and source, the latest vintage in the store, what is expected,
    and what is late or missing; then the partner deliveries against their conventions."""
    today = today or datetime.date.today()
    conventions = load_conventions()
    latest: dict[tuple[str, str], int] = {}
    if millesimes is not None:
        latest = {(r.indicateur, r.source): int(r.annee) for r in millesimes.itertuples()}
    lines = [f"État au {fr.date(today)}. Pour chaque indicateur et chaque source : le "
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


def index_markdown(plan: Plan, results: list[JobResult], note_href, imprimables: bool = False,
                   accueil: str = "") -> str:
    ok = [r for r in results if r.statut != "échec"]
    deps = comparaison.parties(plan)
    fichiers = ("en [CSV](donnees/chiffres.csv) et en [Excel](donnees/chiffres.xlsx)" if not deps else
                "par département (" + ", ".join(f"{nom} : [CSV](donnees/chiffres{comparaison.suffixe(dep)}.csv), "
                                                f"[Excel](donnees/chiffres{comparaison.suffixe(dep)}.xlsx)"
                                                for dep, nom in deps.items()) + ")")
    lines = [plan.description or "", "",
             f"[Comparer des territoires](comparer.html) côte à côte · chiffres publiés {fichiers} (les valeurs "
             "secrètes n'y figurent pas : seul leur statut est indiqué).", "", accueil, "",
             "## Les notes {#notes}", "",
             f"{len(ok)} notes publiées. Tapez un nom ou un code pour filtrer la liste : les accents et les "
             "majuscules ne comptent pas.", ""]
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
        lines += [f"### {TYPES[modele].pluriel} {{#{modele}}}", ""]
        by_theme: dict[str | None, list[JobResult]] = {}
        for r in items:
            by_theme.setdefault(r.job.theme_libelle, []).append(r)
        for theme, group in by_theme.items():
            if theme:
                lines += [f"#### {theme}", ""]
            if not theme and plan.rubriques and all(r.job.code in plan.rubriques for r in group):
                lines += _liste_par_rubrique(group, plan.rubriques, note_href, imprimables)
            else:
                lines += _liste(group, note_href, imprimables)
    lines += ["```{=html}",
              "<script>function osqFiltre(q){q=q.toLowerCase().normalize('NFD').replace(/[\\u0300-\\u036f]/g,'');var n=0;"
              "document.querySelectorAll('.liste-notes li').forEach(function(li){var a=li.querySelector('[data-cle]');"
              "var t=((a&&a.getAttribute('data-cle'))+' '+li.textContent).toLowerCase()"
              ".normalize('NFD').replace(/[\\u0300-\\u036f]/g,'');li.hidden=q!==''&&t.indexOf(q)<0;if(!li.hidden)n++;});"
              # Headings of a long list (département, intercommunality): opened on the matches, closed again
              # when the filter is emptied.
              "document.querySelectorAll('details.rubrique').forEach(function(d){var v=d.querySelector('li:not([hidden])');"
              "if(q===''){d.hidden=false;d.open=false;}else{d.hidden=!v;d.open=!!v;}});"
              "document.getElementById('filtre-compte').textContent=q===''?'':n+(n>1?' notes affichées':' note affichée');}"
              "</script>",
              "```", ""]
    return "\n".join(lines)


def _liste(group: list[JobResult], note_href, imprimables: bool) -> list[str]:
    """A list of notes in French order; each item carries its filter key (title and code)."""
    lines = ["::: {.liste-notes}"]
    for r in sorted(group, key=lambda r: fr.cle_tri(r.job.libelle)):
        key = html.escape(f"{r.job.titre.lower()} {r.job.code}")
        extra = ""
        if imprimables:
            base = note_href(r).removesuffix(".html")
            extra = f" — [PDF]({base}.pdf) · [Word]({base}.docx)"
        lines.append(f"- [{r.job.libelle} ({r.job.code})]({note_href(r)}){{data-cle=\"{key}\"}}{extra}")
    return [*lines, ":::", ""]


def _liste_par_rubrique(group: list[JobResult], rubriques: dict, note_href, imprimables: bool) -> list[str]:
    """Notes of communes of several intercommunalities: by département, then intercommunality, each a
    disclosure (a commune is three clicks away, or one search: the filter opens the headings it matches)."""
    arbre: dict[tuple[str, str], dict[tuple[str, str], list[JobResult]]] = {}
    for r in group:
        dep, dep_nom, epci, epci_nom = rubriques[r.job.code]
        arbre.setdefault((dep_nom or "Département inconnu", dep), {}).setdefault(
            (epci_nom or "Sans intercommunalité", epci), []).append(r)
    lines = []
    plusieurs = len(arbre) > 1
    for (dep_nom, dep), epcis in sorted(arbre.items(), key=lambda kv: kv[0][1]):
        n = sum(len(v) for v in epcis.values())
        if plusieurs:
            lines += ["```{=html}", f'<details class="rubrique"><summary>{html.escape(dep_nom)} ({dep}) — '
                                    f"{fr.nombre(n)} notes</summary>", "```", ""]
        for (epci_nom, _), items in sorted(epcis.items(), key=lambda kv: fr.cle_tri(kv[0][0])):
            lines += ["```{=html}", f'<details class="rubrique"><summary>{html.escape(epci_nom)} — '
                                    f"{fr.nombre(len(items))} {'notes' if len(items) > 1 else 'note'}</summary>",
                      "```", ""]
            lines += _liste(items, note_href, imprimables)
            lines += ["```{=html}", "</details>", "```", ""]
        if plusieurs:
            lines += ["```{=html}", "</details>", "```", ""]
    return lines

"""The comparison page (« Comparer des territoires », issue 17): a reader picks two to six territories of the
observatory and reads their indicators side by side.

Its data come from the frame of the exports (exports.chiffres_publies: the profile's masked view), each figure
already formatted in French with the precision its producer published (present.fr.valeur_observation, the
formatter of the notes' comparison tables), and are written as `donnees/comparaison.js`: a script loaded by
`<script src>`, since a fetch() of a JSON file fails from file://. A small vanilla script of the page builds the
table with DOM methods; nothing is requested outside the site's own files.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from osq_utils import atomic, territoires
from osq_utils.catalogues.glossaire import Glossaire
from osq_utils.present import fr

FICHIER = "comparaison.js"  # in the site's donnees/ folder
VARIABLE = "OSQ_COMPARAISON"
VERSION = 1  # of the data's layout: a change rewrites the file at the next build
MAX_TERRITOIRES = 6
# The notes' territories first, then their references.
ORDRE_NIVEAUX = ("commune", "arm", "qpv", "zone", "iris", "groupement", "epci", "ept", "strate", "departement", "region",
                 "france")
NIVEAUX_PLURIEL = {"commune": "Communes", "arm": "Arrondissements municipaux", "qpv": "Quartiers prioritaires",
                   "zone": "Zones", "iris": "IRIS", "groupement": "Territoires d'intervention", "epci": "Intercommunalités",
                   "ept": "Établissements publics territoriaux", "strate": "Communes de même taille",
                   "departement": "Départements", "region": "Régions", "france": "France"}
SANS_OBJET = "sans_objet"
MARQUES = {fr.MARQUE_SECRET: "secret statistique (valeur non diffusable)",
           fr.MARQUE_ABSENT: "non disponible (absent des sources de l'observatoire pour ce territoire ou cette année)",
           fr.MARQUE_NON_PUBLIE: fr.RAISONS[fr.MARQUE_NON_PUBLIE],
           "(e)": "valeur estimée",
           fr.MARQUE_SANS_OBJET: "sans objet (un effectif ne se compare pas pour une strate)"}


def parties(plan) -> dict[str, str]:
    """département code -> label when the observatory's communes span several départements (a région): its
    exports and its comparison page are then cut by département (`chiffres-<dep>.csv`, `comparer-<dep>.html`),
    each a few MB instead of one file of a million rows; else {} (one of each)."""
    deps = {d: nom for d, nom, *_ in plan.rubriques.values() if d}
    return dict(sorted(deps.items())) if len(deps) > 1 else {}


def suffixe(dep: str | None) -> str:
    """`-62` in the names of a département's files (`chiffres-62.csv`), nothing for an observatory not cut."""
    return f"-{dep}" if dep else ""


def _rang_niveau(niveau: str) -> int:
    return ORDRE_NIVEAUX.index(niveau) if niveau in ORDRE_NIVEAUX else len(ORDRE_NIVEAUX)


def _derniers(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (territory, indicator): its latest year with a figure or a secret, else its latest year."""
    df = df.assign(_present=df["statut"] != "absent")
    df = df.sort_values(["_present", "annee"], kind="stable")
    return df.drop_duplicates(["niveau", "code", "indicateur"], keep="last").drop(columns="_present")


def donnees_comparaison(df: pd.DataFrame, glossaire: Glossaire) -> dict:
    """The comparison page's data from the frame of the exports (exports.chiffres_publies): every territory
    (the notes' levels first, names in French order) and, for each indicator of the glossary that one of them
    has (grouped by theme, glossary order), its latest year as the notes print it: [text, year, status].

    A secret figure reads « s », a missing one « nd » (or « np »): no value, numerator nor denominator of a
    row that is not « ok » is ever read, so none can reach the file."""
    presents = set(df["indicateur"].unique())
    inds = [i for theme in glossaire.themes for i in glossaire.par_theme(theme) if i.code in presents]
    terr = (df[["niveau", "code", "territoire"]].drop_duplicates(["niveau", "code"])
            .assign(_n=lambda d: d["niveau"].map(_rang_niveau), _k=lambda d: d["territoire"].map(fr.cle_tri))
            .sort_values(["_n", "_k", "code"]))
    doublons = set(terr["code"][terr["code"].duplicated()])
    valeurs: dict[tuple[str, str], dict[str, list]] = {}
    for r in _derniers(df[df["indicateur"].isin([i.code for i in inds])]).to_dict("records"):
        ind, cle = glossaire[r["indicateur"]], (r["niveau"], r["code"])
        annee = None if pd.isna(r["annee"]) else int(r["annee"])
        if r["statut"] != "ok":  # only the mark: never a value, whatever the row holds
            r = {"valeur": None, "statut": r["statut"], "niveau": r["niveau"]}
        if r["niveau"] == "strate" and ind.type == "compte":
            cell = [fr.MARQUE_SANS_OBJET, annee, SANS_OBJET]
        else:
            cell = [fr.valeur_observation(r, ind), annee, r["statut"]]
        valeurs.setdefault(cle, {})[ind.code] = cell
    territoires_out = []
    for t in terr.itertuples():
        vals = valeurs.get((t.niveau, t.code), {})
        for ind in inds:  # an indicator without any row: why it is missing, as the notes say it
            vals.setdefault(ind.code, [fr.marque("absent", ind.publie_a(t.niveau)), None, "absent"])
        territoires_out.append({
            "cle": f"{t.niveau}:{t.code}" if t.code in doublons else str(t.code),
            "niveau": t.niveau, "code": str(t.code), "libelle": str(t.territoire),
            "valeurs": {ind.code: vals[ind.code] for ind in inds}})
    niveaux = list(dict.fromkeys(terr["niveau"]))
    themes = []
    for theme, label in glossaire.themes.items():
        items = [{"code": i.code, "libelle": i.libelle, "unite": i.unite} for i in inds if i.theme == theme]
        if items:
            themes.append({"code": theme, "libelle": label, "indicateurs": items})
    return {"version": VERSION,
            "niveaux": [{"code": n, "libelle": NIVEAUX_PLURIEL.get(n, territoires.LIBELLES_NIVEAUX.get(n, n)),
                         "nom": territoires.LIBELLES_NIVEAUX.get(n, n)} for n in niveaux],
            "themes": themes, "territoires": territoires_out, "marques": MARQUES}


def script_donnees(donnees: dict) -> str:
    """`window.OSQ_COMPARAISON = {...};`: JSON is valid JavaScript once U+2028 and U+2029 are escaped."""
    text = json.dumps(donnees, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("</", "<\\/")
    return f"window.{VARIABLE} = {text};\n"


def fichier(dep: str | None = None) -> str:
    """The comparison data of the observatory, or of one of its départements (`comparaison-62.js`)."""
    return FICHIER.replace(".js", f"{suffixe(dep)}.js")


def ecrire_comparaison(df: pd.DataFrame, glossaire: Glossaire, dossier: Path, dep: str | None = None) -> Path:
    """Write `<dossier>/comparaison.js` (or a département's `comparaison-<dep>.js`) atomically (untouched when
    unchanged)."""
    return atomic.write_text(Path(dossier) / fichier(dep), script_donnees(donnees_comparaison(df, glossaire)),
                             skip_unchanged=True)


# --- The page ---------------------------------------------------------------------------------------------

_STYLE = """<style>
.cmp-choix { display: flex; flex-wrap: wrap; gap: 0.75rem 1.5rem; margin: 0 0 0.75rem; padding: 0; }
.cmp-ligne { display: flex; flex-direction: column; min-width: 0; flex: 1 1 15rem; max-width: 22rem; }
.cmp-ligne label { font-weight: 600; margin: 0 0 0.3rem; }
.cmp-ligne .cmp-champ { display: flex; gap: 0.5rem; align-items: stretch; }
.cmp-ligne select { flex: 1 1 auto; min-width: 0; width: 100%; font: inherit; color: var(--osq-text, #1e1e1e);
  background: var(--osq-bg, #fff); padding: 0.4rem 0.5rem; border: 2px solid var(--osq-field-border, #6b6b6b);
  border-radius: 4px; }
.cmp-bouton { font: inherit; padding: 0.4rem 0.8rem; border: 2px solid var(--osq-accent, #000091); border-radius: 4px;
  background: var(--osq-bg, #fff); color: var(--osq-accent, #000091); cursor: pointer; }
.cmp-bouton:hover { background: var(--osq-accent-light, #f5f5fe); }
.cmp-bouton[disabled] { border-color: #6b6b6b; color: #4a4a4a; cursor: not-allowed; background: #eeeeee; }
.cmp-actions { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1rem; margin: 0 0 1rem; }
.cmp-actions p { margin: 0; color: var(--osq-muted, #4a4a4a); }
.cmp-statut { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; margin: -1px; padding: 0; border: 0; }
.cmp-legende { font-size: 0.9rem; color: var(--osq-muted, #4a4a4a); margin: 0 0 0.5rem; }
.cmp-defile { overflow-x: auto; max-width: 100%; margin: 0 0 1rem; }
.cmp-defile:focus-visible { outline: 3px solid var(--osq-focus, #0a76f6); outline-offset: 0; }
table.cmp { border-collapse: separate; border-spacing: 0; width: 100%; font-variant-numeric: tabular-nums; margin: 0; }
table.cmp caption { caption-side: top; text-align: left; font-weight: 600; padding: 0 0 0.5rem;
  color: var(--osq-text, #1e1e1e); }
table.cmp caption > span { display: inline-block; position: sticky; left: 0; max-width: min(100%, 85vw); }
table.cmp th, table.cmp td { padding: 0.35rem 0.6rem; border-bottom: 1px solid var(--osq-border, #cecece);
  vertical-align: top; background: var(--osq-bg, #fff); }
table.cmp thead th { text-align: right; border-bottom: 2px solid var(--osq-text, #1e1e1e); min-width: 7rem; }
table.cmp thead th:first-child { text-align: left; }
table.cmp thead th span, table.cmp th[scope="row"] span { display: block; font-weight: 400; font-size: 0.85rem;
  color: var(--osq-muted, #4a4a4a); }
table.cmp th[scope="row"], table.cmp thead th:first-child { position: sticky; left: 0; z-index: 1; text-align: left;
  font-weight: 400; min-width: 11rem; max-width: 18rem; box-shadow: 1px 0 0 var(--osq-border, #cecece); }
table.cmp thead th:first-child { font-weight: 700; z-index: 2; }
table.cmp th[scope="rowgroup"] { text-align: left; background: var(--osq-accent-light, #f5f5fe);
  color: var(--osq-accent, #000091); font-weight: 700; padding-top: 0.6rem; }
table.cmp th[scope="rowgroup"] > span { position: sticky; left: 0.6rem; }
table.cmp td { text-align: right; white-space: nowrap; }
table.cmp td.cmp-marque { font-style: italic; color: #3a3a3a; }
@media (max-width: 600px) {
  table.cmp th[scope="row"], table.cmp thead th:first-child { min-width: 8.5rem; max-width: 10rem; }
  table.cmp th, table.cmp td { padding: 0.3rem 0.4rem; }
}
@media print { .cmp-choix, .cmp-actions { display: none !important; } .cmp-defile { overflow: visible; } }
</style>"""

# The page's script: reads window.OSQ_COMPARAISON (donnees/comparaison.js) and builds the controls and the
# table with DOM methods only (textContent: no text of the data is ever parsed as HTML).
_SCRIPT = r"""<script>
(function () {
  'use strict';
  var D = window.OSQ_COMPARAISON, MAX = __MAX__;
  var choixZone = document.getElementById('cmp-choix'), ajout = document.getElementById('cmp-ajouter');
  var statut = document.getElementById('cmp-statut'), defile = document.getElementById('cmp-defile');
  var limite = document.getElementById('cmp-limite');
  if (!D || !D.territoires || D.territoires.length === 0) {
    document.getElementById('cmp-absent').hidden = false;
    ajout.hidden = true;
    return;
  }
  var parCle = {}, options = document.createDocumentFragment(), choix = [];
  D.territoires.forEach(function (t) { parCle[t.cle] = t; });
  D.niveaux.forEach(function (n) {
    var g = document.createElement('optgroup');
    g.label = n.libelle;
    D.territoires.forEach(function (t) {
      if (t.niveau !== n.code) return;
      var o = document.createElement('option');
      o.value = t.cle;
      o.textContent = t.niveau === 'france' ? t.libelle : t.libelle + ' (' + t.code + ')';
      g.appendChild(o);
    });
    options.appendChild(g);
  });
  function el(tag, text, attrs) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }
  function suivant() {  // the next territory after the last chosen one that is not chosen yet
    var cles = D.territoires.map(function (t) { return t.cle; });
    var i = choix.length ? cles.indexOf(choix[choix.length - 1]) : -1;
    for (var k = 1; k <= cles.length; k++) {
      var c = cles[(i + k) % cles.length];
      if (choix.indexOf(c) < 0) return c;
    }
    return cles[0];
  }
  function defauts() {
    var communes = D.territoires.filter(function (t) { return t.niveau === 'commune'; });
    var liste = (communes.length >= 2 ? communes : D.territoires).slice(0, 2);
    return liste.map(function (t) { return t.cle; });
  }
  function lireAdresse() {
    var h = window.location.hash.replace(/^#/, ''), lu = [];
    try { h = decodeURIComponent(h); } catch (e) { h = ''; }
    h.split(',').forEach(function (c) { if (parCle[c] && lu.length < MAX) lu.push(c); });
    if (lu.length === 0) return defauts();
    choix = lu.slice();
    while (choix.length < 2 && choix.length < D.territoires.length) choix.push(suivant());
    return choix;
  }
  function ecrireAdresse() {
    var h = '#' + choix.join(',');
    if (window.location.hash === h) return;
    try { window.history.replaceState(null, '', h); } catch (e) { window.location.hash = h; }
  }
  function controles(focus) {
    while (choixZone.firstChild) choixZone.removeChild(choixZone.firstChild);
    choix.forEach(function (cle, i) {
      var id = 'cmp-t' + (i + 1), ligne = el('div', null, {'class': 'cmp-ligne'});
      ligne.appendChild(el('label', 'Territoire ' + (i + 1), {'for': id}));
      var champ = el('div', null, {'class': 'cmp-champ'});
      var sel = el('select', null, {'id': id});
      sel.appendChild(options.cloneNode(true));
      sel.value = cle;
      sel.addEventListener('change', function () { choix[i] = sel.value; miseAJour(); });
      champ.appendChild(sel);
      if (i >= 2) {
        var retirer = el('button', 'Retirer', {'type': 'button', 'class': 'cmp-bouton',
                                                 'aria-label': 'Retirer le territoire ' + (i + 1)});
        retirer.addEventListener('click', function () {
          choix.splice(i, 1);
          controles(ajout);
          miseAJour();
        });
        champ.appendChild(retirer);
      }
      ligne.appendChild(champ);
      choixZone.appendChild(ligne);
    });
    ajout.disabled = choix.length >= MAX;
    limite.hidden = choix.length < MAX;
    if (focus === 'dernier') document.getElementById('cmp-t' + choix.length).focus();
    else if (focus) focus.focus();
  }
  function tableau() {
    var ts = choix.map(function (c) { return parCle[c]; });
    var table = el('table', null, {'class': 'cmp'});
    var noms = ts.map(function (t) { return t.libelle; });
    var titre = el('caption');
    titre.appendChild(el('span', 'Indicateurs comparés : ' + noms.slice(0, -1).join(', ') + ' et '
                                 + noms[noms.length - 1] + ' (dernière année disponible)'));
    table.appendChild(titre);
    var tr = el('tr');
    tr.appendChild(el('th', 'Indicateur', {'scope': 'col'}));
    ts.forEach(function (t) {
      var th = el('th', t.libelle, {'scope': 'col'});
      var niveau = D.niveaux.filter(function (n) { return n.code === t.niveau; })[0];
      if (t.niveau !== 'france') th.appendChild(el('span', (niveau ? niveau.nom + ' ' : '') + t.code));
      tr.appendChild(th);
    });
    table.appendChild(el('thead')).appendChild(tr);
    var vides = 0;
    D.themes.forEach(function (theme) {
      var corps = el('tbody'), lignes = 0;
      var tete = el('tr'), th = el('th', null, {'scope': 'rowgroup', 'colspan': String(ts.length + 1)});
      th.appendChild(el('span', theme.libelle));
      tete.appendChild(th);
      corps.appendChild(tete);
      theme.indicateurs.forEach(function (ind) {
        var cells = ts.map(function (t) { return t.valeurs[ind.code]; });
        if (cells.every(function (c) { return c[2] === 'absent'; })) { vides++; return; }
        var annees = {};
        cells.forEach(function (c) { if (c[1] !== null) annees[c[1]] = true; });
        var uniques = Object.keys(annees), uneAnnee = uniques.length <= 1;
        var ligne = el('tr'), tete = el('th', null, {'scope': 'row'});
        tete.appendChild(el('a', ind.libelle, {'href': 'glossaire.html#' + encodeURIComponent(ind.code)}));
        var precision = (uneAnnee && uniques.length ? [uniques[0]] : [])
          .concat(ind.unite && ['%', '€', '‰'].indexOf(ind.unite) < 0 ? [ind.unite] : []);
        if (precision.length) tete.appendChild(el('span', precision.join(' · ')));
        ligne.appendChild(tete);
        cells.forEach(function (c) {
          var texte = c[0] + (!uneAnnee && c[1] !== null ? ' (' + c[1] + ')' : '');
          ligne.appendChild(el('td', texte, c[2] === 'ok' ? {} : {'class': 'cmp-marque'}));
        });
        corps.appendChild(ligne);
        lignes++;
      });
      if (lignes) table.appendChild(corps);
    });
    while (defile.firstChild) defile.removeChild(defile.firstChild);
    defile.appendChild(table);
    var note = document.getElementById('cmp-vides');
    note.hidden = vides === 0;
    note.textContent = vides === 0 ? '' : (vides > 1 ? vides + ' indicateurs sans valeur pour ces territoires ne sont pas affichés.'
                                                     : '1 indicateur sans valeur pour ces territoires n\'est pas affiché.');
  }
  function miseAJour(silencieux) {
    ecrireAdresse();
    tableau();
    if (!silencieux) statut.textContent = 'Tableau mis à jour : ' + choix.length + ' territoires';
  }
  ajout.addEventListener('click', function () {
    if (choix.length >= MAX) return;
    choix.push(suivant());
    controles('dernier');
    miseAJour();
  });
  window.addEventListener('hashchange', function () {
    var avant = choix.join(',');
    choix = lireAdresse();
    if (choix.join(',') !== avant) { controles(); miseAJour(); }
  });
  choix = lireAdresse();
  controles();
  miseAJour(true);
})();
</script>"""


def comparaison_markdown(dep: str | None = None, nom: str | None = None) -> str:
    """The page « Comparer des territoires » as Quarto markdown (raw HTML blocks), for pandoc and Quarto alike;
    for a région, one such page per département (`dep`, `nom`: its territories and references).

    Its script tag loads `donnees/comparaison.js` (pages are at the site's root); the selection is kept in the
    address (`comparer.html#62040,62525`, `niveau:code` when two levels share a code) so that a link can be
    shared."""
    legende = " ; ".join(f"«{fr.NBSP}{html.escape(m)}{fr.NBSP}»{fr.NBSP}: {html.escape(t)}" for m, t in MARQUES.items())
    csv, xlsx = f"donnees/chiffres{suffixe(dep)}.csv", f"donnees/chiffres{suffixe(dep)}.xlsx"
    ou = f" de {nom} ({dep}), ses intercommunalités et ses références" if dep else " de l'observatoire"
    return "\n".join([
        f"Choisissez deux territoires{ou}, ou plus (jusqu'à "
        f"{MAX_TERRITOIRES}), pour lire leurs indicateurs côte à côte : pour chacun, la dernière année publiée, "
        "avec la précision de son producteur. Les chiffres sont ceux des notes et des fichiers "
        f"[CSV]({csv}) et [Excel]({xlsx}) ; l'adresse de la page garde votre choix, "
        "pour le partager." + (" [Autres départements](comparer.html)." if dep else ""), "",
        "```{=html}",
        _STYLE,
        '<form class="cmp-formulaire" aria-label="Territoires à comparer" onsubmit="return false">',
        '<div id="cmp-choix" class="cmp-choix"></div>',
        '<div class="cmp-actions">',
        '<button type="button" id="cmp-ajouter" class="cmp-bouton">Ajouter un territoire</button>',
        f'<p id="cmp-limite" hidden>{MAX_TERRITOIRES} territoires au plus.</p>',
        "</div>",
        "</form>",
        '<p id="cmp-statut" class="cmp-statut" role="status" aria-live="polite"></p>',
        f'<p class="cmp-legende">{legende}.</p>',
        '<div id="cmp-defile" class="cmp-defile" role="region" aria-label="Tableau de comparaison '
        '(défilement horizontal)" tabindex="0"></div>',
        '<p id="cmp-vides" class="cmp-legende" hidden></p>',
        '<p id="cmp-absent" hidden>Les données de comparaison sont absentes de ce site : reconstruisez-le '
        "avec « osq build ».</p>",
        "<noscript><p>Cette page a besoin de JavaScript pour composer le tableau. Les mêmes chiffres sont dans "
        f'les fichiers <a href="{csv}">CSV</a> et <a href="{xlsx}">Excel</a>.</p>'
        "</noscript>",
        f'<script src="donnees/{fichier(dep)}"></script>',
        _SCRIPT.replace("__MAX__", str(MAX_TERRITOIRES)),
        "```", ""])


def page(dep: str) -> str:
    """A département's comparison page (for a région)."""
    return f"comparer{suffixe(dep)}.html"


def choix_departement_markdown(deps: dict[str, str]) -> str:
    """The comparison page of a région: the territories compare within their département; one link each."""
    lignes = [f"- [{nom} ({dep})]({page(dep)}) · chiffres en [CSV](donnees/chiffres{suffixe(dep)}.csv) et en "
              f"[Excel](donnees/chiffres{suffixe(dep)}.xlsx)" for dep, nom in deps.items()]
    return "\n".join([
        "Les communes et les intercommunalités se comparent au sein de leur département, avec ses références "
        "(le département, la région, la France) : choisissez-le.", "", *lignes, ""])

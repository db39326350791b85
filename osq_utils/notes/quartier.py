"""The QPV note: a quartier prioritaire against its commune(s), its EPCI and France.

A QPV may straddle several communes. Medians, deciles and shares published by
INSEE are compared with each commune separately (they cannot be combined); only
additive figures (rates with their numerator and denominator, counts) are also
recomputed for the communes taken together. The current EPCI is the parent of
the QPV's communes, not the 2015 EPCI recorded with the QPV.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import pandas as pd

from osq_utils import indicateurs, territoires
from osq_utils.agregation import aggregate
from osq_utils.catalogues.glossaire import FACTEURS, Glossaire, Indicateur
from osq_utils.errors import OsqError
from osq_utils.indicateurs import Lecture, Territoire
from osq_utils.indicateurs.ecarts import EvolutionEcart, ecarts_annuels, evolution_ecart
from osq_utils.notes.base import Territoires, TypeNote
from osq_utils.present import blocs, fr
from osq_utils.present.ecarts import phrase_evolution

NOTEBOOK = "notebooks/note_quartier.ipynb"
QPV_COG = 2015
QPV_2024_COG = 2024
QPV_2024_SOURCE = "anct-qpv-2024-communes"
# Figures published for the QPV and for its reference territories.
COMPARABLES = ["revenu_median", "taux_pauvrete", "decile_1", "decile_9", "gini", "part_prestations_sociales",
               "part_menages_imposes", "part_allocataires_dependants_50"]
# Figures published only for the QPV (ANCT tables; population of the 2013 and 2018 censuses).
QPV_SEULEMENT = ["population", "taux_bas_revenus_declares", "taux_emploi", "demandeurs_emploi_abc"]
CHIFFRES_CLES = ["revenu_median", "taux_pauvrete", "taux_bas_revenus_declares", "part_menages_imposes",
                 "part_prestations_sociales", "taux_emploi", "demandeurs_emploi_abc"]
# A table and sentences each, over every year the QPV is published (Filosofi 2013 to 2019).
ECARTS = ["taux_pauvrete", "revenu_median", "part_prestations_sociales", "part_menages_imposes"]
ECARTS_GRAPHIQUE = ["taux_pauvrete", "revenu_median"]
_QPV_2015 = re.compile(r"^QP\d{3}\d{3}$|^QP97\d\d{3}$")


@dataclass(frozen=True)
class Quartier:
    """A QPV of the 2015 geography and its reference territories."""

    qpv: Territoire
    communes: tuple[Territoire, ...]
    epcis: tuple[Territoire, ...]  # current EPCI(s) of its communes
    ensemble_communes: Territoire | None  # the communes taken together, when there are several
    france: Territoire | None  # None outside France métropolitaine

    @property
    def references(self) -> list[Territoire]:
        """The QPV first, then its communes, their aggregate, its EPCI(s) and France."""
        refs = [self.qpv, *self.communes]
        if self.ensemble_communes is not None:
            refs.append(self.ensemble_communes)
        refs += list(self.epcis)
        if self.france is not None:
            refs.append(self.france)
        return refs

    @property
    def epci(self) -> Territoire | None:
        return self.epcis[0] if self.epcis else None


def quartier(vue: Lecture, code_qpv: str) -> Quartier:
    """The QPV `code_qpv` (2015 geography) with its communes, its current EPCI and France.

    An unknown code raises an OsqError in French that names the parameter and the fix.
    """
    code = str(code_qpv).strip()
    if code.upper().startswith("QN"):
        raise OsqError(f"le quartier « {code} » appartient à la géographie prioritaire 2024 : la base n'a "
                       "ni chiffres ni contours pour elle", fichier=NOTEBOOK, colonne="paramètre code_qpv",
                       correction="donnez le code d'un quartier de la géographie 2015 (« QP » suivi de 6 chiffres, "
                                  "par exemple « QP062036 »).")
    row = vue.execute("SELECT libelle FROM territoires WHERE niveau = 'qpv' AND code = ? AND cog = ? LIMIT 1",
                      [code, QPV_COG]).fetchone()
    if row is None:
        hint = "" if _QPV_2015.match(code) else " Le code doit s'écrire « QP » suivi de 6 chiffres, entre guillemets."
        raise OsqError(f"quartier prioritaire « {code} » inconnu de la base (géographie 2015)", fichier=NOTEBOOK,
                       colonne="paramètre code_qpv",
                       correction="donnez le code d'un quartier de la géographie 2015, par exemple « QP062036 » "
                                  "(liste officielle : fichier des contours ANCT des QPV 2015, colonne CODE_QP), "
                                  "ou chargez la source avec « osq ingest -s anct-qpv-2015-contours »." + hint)
    codes = list(territoires.communes_of_qpv(vue, code, QPV_COG))
    labels = territoires.libelles(vue, "commune", codes)
    communes = tuple(Territoire("commune", c, labels.get(c, c)) for c in codes)
    epci_codes = list(dict.fromkeys(e for e in (territoires.parent(vue, "commune", c, "epci") for c in codes) if e))
    epci_labels = territoires.libelles(vue, "epci", epci_codes)
    epcis = tuple(Territoire("epci", e, epci_labels.get(e, e)) for e in epci_codes)
    ensemble = None
    if len(communes) > 1:
        ensemble = Territoire("groupement", f"communes-{code}", f"Ensemble des {len(communes)} communes")
    metropole = bool(codes) and not any(c.startswith(territoires.DOM_PREFIXES) for c in codes)
    france = Territoire("france", territoires.FRANCE, "France métropolitaine") if metropole else None
    return Quartier(Territoire("qpv", code, row[0]), communes, epcis, ensemble, france)


# --- Observations ------------------------------------------------------------


def communes_aggregate(vue: Lecture, quartier_: Quartier, codes: list[str]) -> pd.DataFrame:
    """Additive figures of the QPV's communes taken together (current geography).

    Rates are recomputed from summed numerators and denominators; medians, deciles and
    rates without numerator are left out; one commune missing makes the year absent.
    """
    glossaire = vue.glossaire
    codes = [c for c in codes if glossaire[c].type == "compte" or glossaire[c].type in FACTEURS]
    communes = [t.code for t in quartier_.communes]
    ensemble = quartier_.ensemble_communes  # set whenever there are several communes
    if not codes or len(communes) < 2 or ensemble is None:
        return pd.DataFrame(columns=["code", "indicateur", "annee", "valeur", "numerateur", "denominateur",
                                     "statut", "estime", "source"])
    obs = pd.concat([indicateurs.commune_series(vue, c, codes) for c in communes], ignore_index=True)
    if obs.empty:
        return obs.assign(source=None)
    # A rate published without its numerator cannot be summed: that commune counts as missing.
    summable = obs["indicateur"].map(glossaire.types()).eq("compte") | (obs["numerateur"].notna() & obs["denominateur"].notna())
    obs = obs[(obs["statut"] != "ok") | summable]
    code = ensemble.code
    out = aggregate(obs, pd.DataFrame({"code": communes, "code_parent": code}), glossaire.types())
    # Cite the communes' source (the same producer file for every commune of a year).
    sources = obs.groupby(["indicateur", "annee"])["source"].first()
    out["source"] = [sources.get((i, a)) for i, a in zip(out["indicateur"], out["annee"])]
    return out


def observations_qpv(vue: Lecture, quartier_: Quartier, codes: list[str]) -> pd.DataFrame:
    """Every year of `codes` for the QPV and each reference territory, in one long frame.

    Columns: _t (rank of the territory in quartier_.references), territoire, niveau, code,
    indicateur, annee, valeur, statut, source, estime.
    """
    cols = ["indicateur", "annee", "valeur", "statut", "source", "estime"]
    frames = []
    for i, t in enumerate(quartier_.references):
        if t.niveau == "commune":
            df = indicateurs.commune_series(vue, t.code, codes)
        elif t.niveau == "groupement":
            df = communes_aggregate(vue, quartier_, codes)
        else:
            df = vue.observations(t.niveau, [t.code], codes)
        df = df.reindex(columns=cols).copy()
        df["estime"] = df["estime"].fillna(False).astype(bool)
        frames.append(df.assign(_t=i, territoire=t.libelle, niveau=t.niveau, code=t.code))
    out = pd.concat(frames, ignore_index=True)
    out["annee"] = out["annee"].astype(int)
    out["valeur"] = out["valeur"].where(out["statut"] == "ok")
    return out[["_t", "territoire", "niveau", "code", *cols]]


# --- Comparison (pure) ---------------------------------------------------------------


def comparison_years(obs: pd.DataFrame, n_communes: int) -> dict[str, int]:
    """The year shown for each indicator in the comparison table.

    The latest year in which the QPV and every one of its communes are published;
    else the latest year in which the QPV and any reference are; else the QPV's
    latest year. (The QPV's poverty rate runs to 2019, the communes' stops in 2018.)
    """
    years: dict[str, int] = {}
    ok = obs[obs["statut"] == "ok"]
    for ind, part in obs.groupby("indicateur", sort=False):
        own = part[part["_t"] == 0]
        if own.empty:
            continue
        own_ok = set(ok[(ok["indicateur"] == ind) & (ok["_t"] == 0)]["annee"])
        by_year = ok[(ok["indicateur"] == ind) & (ok["_t"] > 0)].groupby("annee")
        communes_ok = {y for y, g in by_year if (g["niveau"] == "commune").sum() == n_communes and n_communes}
        any_ok = {y for y, _ in by_year}
        for candidates in (own_ok & communes_ok, own_ok & any_ok, own_ok, set(own["annee"])):
            if candidates:
                years[ind] = int(max(candidates))
                break
    return years


def comparison(obs: pd.DataFrame, refs: list[Territoire], codes: list[str], n_communes: int) -> pd.DataFrame:
    """One row per (indicator, territory), shaped like indicateurs.comparison (for tables.comparison_table).

    A territory without the figure that year gets statut 'absent' (shown 'nd'), never 0.
    """
    return indicateurs.comparison_at_years(obs, refs, codes, comparison_years(obs, n_communes))


# --- Gaps and their evolution (pure; computed by indicateurs.ecarts) ------------------------------


def ecarts_par_annee(obs: pd.DataFrame, ind: Indicateur) -> pd.DataFrame:
    """The QPV's gap to each reference territory, for every year the QPV is published.

    Columns: _t, territoire, niveau, then those of indicateurs.ecarts.ecarts_annuels (valeur is the
    QPV's, valeur_reference the territory's; statut_ecart 'ok' when both exist, else the mark of the
    missing side, and ecart stays empty, never 0).
    """
    part = obs[obs["indicateur"] == ind.code]
    own = part[part["_t"] == 0]
    columns = ["_t", "territoire", "niveau", *ecarts_annuels(own.iloc[0:0], None, ind).columns]
    frames = []
    for t, ref in part[part["_t"] > 0].groupby("_t"):
        gaps = ecarts_annuels(own, ref, ind)
        frames.append(gaps.assign(_t=int(t), territoire=ref["territoire"].iloc[0], niveau=ref["niveau"].iloc[0]))
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def evolution_ecarts(ecarts: pd.DataFrame, ind: Indicateur) -> list[tuple[pd.Series, EvolutionEcart]]:
    """For each reference (its first row, to name it): the evolution of the QPV's gap to it."""
    return [(part.iloc[0], evolution_ecart(part, ind)) for _, part in ecarts.groupby("_t", sort=True)]


def phrase_reference(reference: pd.Series, evo: EvolutionEcart, ind: Indicateur) -> str:
    """One plain-French sentence on the evolution of the gap to one reference territory."""
    nom = fr.nom_territoire(reference["territoire"], reference["niveau"])
    text = f"Face {fr.a_nom(nom)}, {phrase_evolution(evo, ind, de_reference=fr.de_nom(nom))}."
    if evo.annee_debut is not None and evo.annee_fin is not None:
        holes = [y for y in evo.annees_manquantes if evo.annee_debut < y < evo.annee_fin]
        if holes:
            text += f" Pas d'écart calculable en {fr.annees(holes)} (chiffre non publié)."
    return text


def ecarts_table_markdown(ecarts: pd.DataFrame, ind: Indicateur, source_note: str) -> str:
    """A markdown table of the gap by year (rows: reference territories), with its legend and source.

    A year where no gap can be computed (no reference has a figure, or the QPV has none) compares nothing: it is
    not a column, and the legend names it."""
    all_years = sorted(ecarts["annee"].unique())
    years = sorted(ecarts.loc[ecarts["statut_ecart"] == "ok", "annee"].unique()) or all_years
    sans = [int(y) for y in all_years if y not in years]
    header = "| Écart du quartier avec | " + " | ".join(str(y) for y in years) + " |"
    lines = [header, "|:--|" + "--:|" * len(years)]
    for _, part in ecarts.groupby("_t", sort=True):
        cells = []
        for y in years:
            r = part[part["annee"] == y]
            if r.empty:
                cells.append(fr.MARQUE_ABSENT)
                continue
            r = r.iloc[0]
            if r["statut_ecart"] == "ok":
                cells.append(fr.ecart(r["ecart"], ind.unite, ind.decimales))
            else:
                cells.append(fr.MARQUE_SECRET if r["statut_ecart"] == "secret" else fr.MARQUE_ABSENT)
        lines.append(f"| {part['territoire'].iloc[0]} | " + " | ".join(cells) + " |")
    unit = ("écart en points de pourcentage (taux du quartier moins taux du territoire)" if ind.unite == "%"
            else "rapport entre la valeur du quartier et celle du territoire (× 0,60 : le quartier est à 60 % "
                 "du territoire)")
    rien = (f" Aucun écart calculable en {fr.annees(sans)} (chiffre du quartier ou de ses territoires de référence "
            "non publié) : ces années ne sont pas montrées." if sans else "")
    lines += ["", f"{ind.libelle} : {unit}.{rien} {source_note} {fr.LEGENDE_MARQUES}"]
    return "\n".join(lines) + "\n"


def ecarts_for_chart(ecarts: pd.DataFrame, ind: Indicateur) -> tuple[Indicateur, pd.DataFrame]:
    """The gaps as a pseudo-indicator and an evolution frame, for charts.evolution_panels."""
    if ind.unite == "%":
        shown = replace(ind, libelle=f"Écart de {ind.libelle[0].lower() + ind.libelle[1:]}", unite="points")
        values = ecarts["ecart"]
    else:
        shown = replace(ind, libelle=f"{ind.libelle} du quartier rapporté au territoire", unite="%")
        values = ecarts["ecart"] * 100.0
    evo = pd.DataFrame({"territoire": ecarts["territoire"], "niveau": ecarts["niveau"], "annee": ecarts["annee"],
                        "valeur": values, "statut": ecarts["statut_ecart"]})
    return shown, evo


# --- QPV-only figures and the 2024 geography --------------------------------------------


def qpv_2024(vue: Lecture, communes: list[str]) -> dict[str, list[tuple[str, str]]]:
    """The 2024-geography QPV (code, name) of each commune, as the ANCT commune list gives them.

    The source lists several QPV of one commune in one cell (« QN06236M, QN06237M »):
    they are split here. The store has no figures and no contours for these codes.
    """
    rows = vue.execute(
        "SELECT a.code_parent, a.code, t.libelle FROM appartenances a LEFT JOIN territoires t "
        "ON t.niveau = 'qpv' AND t.code = a.code AND t.cog = a.cog "
        "WHERE a.niveau = 'qpv' AND a.niveau_parent = 'commune' AND a.cog = ? AND a.code_parent IN (SELECT unnest(?)) "
        "ORDER BY a.code_parent, a.code", [QPV_2024_COG, list(communes)]).fetchall()
    out: dict[str, list[tuple[str, str]]] = {c: [] for c in communes}
    for commune, codes, names in rows:
        code_list = [c.strip() for c in str(codes).split(",") if c.strip()]
        name_list = [n.strip() for n in str(names or "").split(",")]
        if len(name_list) != len(code_list):  # a name with a comma: keep the codes, drop the names
            name_list = [""] * len(code_list)
        for c, n in zip(code_list, name_list):
            if c not in {x for x, _ in out[commune]}:
                out[commune].append((c, n))
    return out


def callout_2024(quartier_: Quartier, codes_2024: dict[str, list[tuple[str, str]]]) -> str:
    """A callout saying which 2024 QPV the communes have, and that the mirror has no figures for them."""
    lines = ['::: {.callout-note title="La géographie prioritaire 2024"}',
             f"Les chiffres de cette note portent sur le quartier {quartier_.qpv.libelle} ({quartier_.qpv.code}) "
             "dans ses limites de 2015. Depuis le 1er janvier 2024, une nouvelle géographie prioritaire s'applique "
             "(codes « QN… »). Pour elle, les sources du projet ne donnent que la liste des quartiers de chaque "
             "commune : ni chiffres ni contours, et aucune correspondance officielle entre quartiers 2015 et 2024 "
             "n'y figure.", ""]
    for t in quartier_.communes:
        items = codes_2024.get(t.code, [])
        if items:
            listed = ", ".join(f"{c} {n}".strip() if n else c for c, n in items)
            lines.append(f"- {t.libelle} : {listed} ;")
        else:
            lines.append(f"- {t.libelle} : aucun quartier prioritaire dans la géographie 2024 ;")
    if lines[-1].endswith(";"):
        lines[-1] = lines[-1][:-2] + "."
    lines += ["", "Source : ANCT, liste des QPV 2024 par commune.", ":::"]
    return "\n".join(lines) + "\n"


def sources_of(obs: pd.DataFrame) -> list[str]:
    """The distinct sources of observation rows (for blocs.sources_utilisees)."""
    return [s for s in dict.fromkeys(obs["source"].dropna().tolist()) if s]


# --- Text blocks (markdown) -------------------------------------------------------------


_NOMBRES = {2: "deux", 3: "trois", 4: "quatre", 5: "cinq"}


def presentation(quartier_: Quartier, obs: pd.DataFrame) -> str:
    """Who the neighbourhood is: its communes, its EPCI, its population (censuses 2013 and 2018, as published)."""
    q = quartier_.qpv
    names = [t.libelle for t in quartier_.communes]
    if len(names) > 1:
        where = f"s'étend sur {_NOMBRES.get(len(names), len(names))} communes : {fr.liste(names)}"
    elif names:
        where = f"est situé {fr.a_nom(names[0])}"
    else:
        where = "n'est rattaché à aucune commune dans la base"
    text = f"Le quartier prioritaire **{q.libelle}** ({q.code}) {where}"
    if quartier_.epcis:
        text += ", dans " + fr.liste([fr.nom_territoire(t.libelle, "epci") for t in quartier_.epcis])
    text += "."
    pop = obs[(obs["_t"] == 0) & (obs["indicateur"] == "population") & (obs["statut"] == "ok")].sort_values("annee")
    if len(pop):
        row = pop.iloc[-1]
        text += f" Il comptait {fr.nombre(row['valeur'])} habitants en {int(row['annee'])}"
        if len(pop) > 1:
            first = pop.iloc[0]
            text += f", contre {fr.nombre(first['valeur'])} en {int(first['annee'])}"
        text += " (population municipale, Insee)."
    return text + "\n"


def notes_chiffres_cles(obs: pd.DataFrame, codes: list[str], glossaire: Glossaire) -> str:
    """Plain words under the key figures: a reference without the QPV's latest year, QPV-only figures."""
    lines = []
    own = obs[(obs["_t"] == 0) & (obs["statut"] == "ok")]
    reference = obs[obs["niveau"] == "epci"]
    for code in [c for c in codes if c in COMPARABLES]:
        mine = own[own["indicateur"] == code]
        if mine.empty or reference.empty:
            continue
        year = int(mine["annee"].max())
        theirs = reference[(reference["indicateur"] == code) & (reference["statut"] == "ok")]
        if year not in set(theirs["annee"]):
            last = f"dernière année publiée : {int(theirs['annee'].max())}" if len(theirs) else "jamais publié"
            lines.append(f"{glossaire[code].libelle} : pas de chiffre {year} pour "
                         f"{fr.nom_territoire(reference['territoire'].iloc[0], 'epci')} ({last}) ; "
                         "voir les écarts année par année plus bas.")
    seuls = [c for c in codes if c in QPV_SEULEMENT]
    if seuls:
        noms = fr.liste([fr.minuscule(glossaire[c].libelle) for c in seuls])
        lines.append(f"Publiés par l'Insee et l'ANCT pour les quartiers prioritaires seulement ({noms}), ces chiffres "
                     "n'ont pas de comparaison (« nd » pour l'intercommunalité).")
    lines.append("Chaque année est celle des données (revenus, recensement, inscriptions à France Travail), pas celle "
                 "de la publication des tableaux de l'ANCT, parue deux à quatre ans plus tard.")
    own = obs[obs["_t"] == 0]
    for code in seuls:
        part = own[own["indicateur"] == code]
        secret = sorted(part.loc[part["statut"] == "secret", "annee"].astype(int))
        absent = sorted(part.loc[part["statut"] == "absent", "annee"].astype(int))
        label = glossaire[code].libelle
        if part.empty:
            lines.append(f"{label} : non publié pour ce quartier.")
        if secret:
            shown = part.loc[part["statut"] == "ok", "annee"]
            last = f" ; le dernier chiffre publié ({int(shown.max())}) est montré" if len(shown) else ""
            lines.append(f"{label} : chiffre masqué par le producteur (secret, « s ») pour {fr.annees(secret)}{last}.")
        if absent:
            lines.append(f"{label} : pas de chiffre pour {fr.annees(absent)}.")
    return " ".join(lines) + "\n"


def manquants_comparaison(comp: pd.DataFrame, quartier_: Quartier, glossaire: Glossaire) -> str:
    """A callout listing, territory by territory, the figures of the comparison table marked s or nd."""
    lines = []
    for t in quartier_.references:
        part = comp[(comp["code"] == t.code) & (comp["statut"] != "ok")]
        if part.empty:
            continue
        names = [fr.minuscule(glossaire[i].libelle) for i in part["indicateur"]]
        if t.niveau == "groupement":
            lines.append(f"- {t.libelle} : les médianes, déciles, indices de Gini et parts du revenu ne "
                         "s'additionnent pas ; ils sont comparés commune par commune (« nd »). Seuls les taux "
                         "publiés avec leur numérateur et leur dénominateur sont recalculés pour l'ensemble (pas le taux "
                         "de pauvreté, publié sans le nombre de personnes pauvres).")
            continue
        secret = [n for n, s in zip(names, part["statut"]) if s == "secret"]
        absent = [n for n, s in zip(names, part["statut"]) if s != "secret"]
        bits = []
        if absent:
            bits.append(f"non publié pour l'année du tableau ({fr.liste(absent)})")
        if secret:
            bits.append(f"soumis au secret statistique ({fr.liste(secret)})")
        lines.append(f"- {t.libelle} : {' ; '.join(bits)}.")
    if not lines:
        return ""
    return ('::: {.callout-note title="Données manquantes"}\n' + "\n".join(lines) +
            "\n\nL'année du tableau est, pour chaque indicateur, la dernière où le quartier et ses communes sont "
            "publiés ; les autres années figurent dans la partie suivante.\n:::\n")


def bloc_ecarts(ctx, obs: pd.DataFrame, code: str) -> str:
    """One indicator's gaps: a heading, the table by year and one sentence per reference territory."""
    ind, glossaire_href = ctx.glossaire[code], ctx.glossaire_href
    source_note = blocs.source_note(ctx.catalogue, obs[obs["indicateur"] == code])
    ecarts = ecarts_par_annee(obs, ind)
    name = f"[{ind.libelle}]({glossaire_href}#{ind.code})" if glossaire_href else ind.libelle
    parts = [f"### {ind.libelle}\n"]
    if ecarts.empty:
        return parts[0] + f"\n{name} : pas de chiffre publié pour le quartier, pas d'écart calculable.\n"
    parts.append(ecarts_table_markdown(ecarts, ind, source_note).replace(f"\n{ind.libelle} :", f"\n{name} :", 1))
    parts.append("\n".join(f"- {phrase_reference(ref, evo, ind)}" for ref, evo in evolution_ecarts(ecarts, ind)) + "\n")
    return "\n".join(parts)


def communes_sans_contour(vue: Lecture, quartier_: Quartier) -> list[Territoire]:
    """The QPV's communes whose contours are not in the store (IGN 2018 covers a few départements)."""
    codes = [t.code for t in quartier_.communes]
    rows = vue.execute("SELECT DISTINCT code FROM geometries WHERE niveau = 'commune' AND code IN (SELECT unnest(?))",
                       [codes]).fetchall()
    have = {r[0] for r in rows}
    return [t for t in quartier_.communes if t.code not in have]


def callout_contours(missing: list[Territoire]) -> str:
    """Say in plain French that the map shows the QPV alone where commune contours are missing."""
    if not missing:
        return ""
    return ('::: {.callout-warning title="Contours communaux non disponibles"}\n'
            f"Les contours de {fr.liste([t.libelle for t in missing])} ne figurent pas dans les sources du projet "
            "(contours IGN 2018 rapportés au COG 2024 : une commune défusionnée depuis 2018 n'y a pas de contour "
            "propre) : la carte montre le quartier seul.\n:::\n")


# --- The kind ---------------------------------------------------------------------------------


def territoires_montres(con, code: str, parametres: dict) -> Territoires:
    """The QPV, its communes, their current EPCI(s) and France."""
    communes = set(territoires.communes_of_qpv(con, code, QPV_COG))
    epcis = {e for e in (territoires.parent(con, "commune", c, "epci") for c in communes) if e}
    out: Territoires = {"qpv": {code}, "commune": communes, "epci": epcis}
    if communes and not any(c.startswith(territoires.DOM_PREFIXES) for c in communes):
        out["france"] = {territoires.FRANCE}
    return out


TYPE = TypeNote(
    modele="note_quartier", niveau="qpv", parametre="code_qpv", libelle="Note de quartier",
    pluriel="Notes de quartier (QPV)", prefixe="quartier", territoires=territoires_montres,
    sections_commentaire=("synthese", "lecture"),
)

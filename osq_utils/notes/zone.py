"""The zone note: the portrait of a zone made of IRIS or of communes (data/zones/*.yml), which no producer
publishes, against its commune(s), its intercommunality(ies), its département(s) and France.

Every figure of the zone is a sum of its IRIS (and whole communes): counts added, rates recomputed from
their numerators and denominators (indicateurs.zone_observations). Medians, deciles and rates published
without their numerator (Filosofi) are never aggregated: the note says they are not published for the zone
and shows those of each IRIS, as INSEE publishes them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from osq_utils import territoires
from osq_utils.catalogues.glossaire import Glossaire
from osq_utils.indicateurs import Lecture, Territoire
from osq_utils.indicateurs import zones as zones_
from osq_utils.indicateurs.zones import Zone
from osq_utils.notes.base import Territoires, TypeNote
from osq_utils.present import fr

CHIFFRES_CLES = ["allocataires_caf", "personnes_couvertes_caf", "allocataires_rsa", "part_familles_monoparentales",
                 "part_logements_hlm", "part_0_14"]
EVOLUTION = ["allocataires_caf", "allocataires_rsa"]  # CAF counts of the zone, 2016-2020
# Published for each part (IRIS or commune), shown part by part (never summed): the producers' own figures.
PAR_PARTIE = ["revenu_median", "taux_pauvrete", "allocataires_caf", "allocataires_rsa", "part_familles_monoparentales"]
CARTE = "revenu_median"
RECENSEMENT = 2016  # the population covered: census 2016 by IRIS (sum of its age bands)


def zone_de(con, code: str, fichier: str | Path | None = None) -> Zone:
    """The note's zone, from the params file's `zones:` file (else from data/zones/)."""
    return zones_.zone(con, str(code), fichier or None)


def indicateurs_de_zone(glossaire: Glossaire, z: Zone) -> list[str]:
    """The indicators a zone has: summable (counts, recomputable rates) and published at the level of each of
    its parts (IRIS for its IRIS, commune for its whole communes), theme by theme."""
    niveaux = (["iris"] if z.iris else []) + (["commune"] if z.communes else [])
    return [i.code for theme in glossaire.themes for i in glossaire.par_theme(theme)
            if i.derivable and all(n in i.niveaux for n in niveaux)]


def non_agreges(glossaire: Glossaire, z: Zone) -> list[str]:
    """Labels of the figures published for its parts that OSQ never sums (medians, deciles, rates without
    their numerator)."""
    niveaux = (["iris"] if z.iris else []) + (["commune"] if z.communes else [])
    return [i.libelle for theme in glossaire.themes for i in glossaire.par_theme(theme)
            if not i.derivable and any(n in i.niveaux for n in niveaux)]


# --- Texts ---------------------------------------------------------------------------------------------


def population(vue: Lecture, z: Zone) -> pd.DataFrame:
    """Population of each part of the zone: an IRIS at the 2016 census (the sum of its age bands), a whole commune
    its population municipale at the latest year every whole commune has. Columns: niveau, code, population,
    annee, statut ('absent' for a part the producer's file does not list, never 0)."""
    frames = []
    for niveau, codes, indicateur in (("iris", z.iris, "part_0_14"), ("commune", z.communes, "population")):
        if not codes:
            continue
        obs = vue.observations(niveau, list(codes), [indicateur])
        ok = obs[obs["statut"] == "ok"]
        communes_years = ok.groupby("annee")["code"].nunique()
        complete = communes_years[communes_years == len(codes)]
        if niveau == "iris":
            annee = RECENSEMENT
        else:
            annee = int(complete.index.max()) if len(complete) else (int(ok["annee"].max()) if len(ok) else RECENSEMENT)
        row = obs[obs["annee"] == annee].set_index("code")
        values = (row["denominateur"] if niveau == "iris" else row["valeur"]).reindex(list(codes))
        frames.append(pd.DataFrame({"niveau": niveau, "code": list(codes), "population": values.to_numpy(),
                                    "annee": annee, "statut": ["ok" if pd.notna(p) else "absent" for p in values]}))
    return pd.concat(frames, ignore_index=True)


def texte_population(pop: pd.DataFrame) -> str:
    """The population covered, in French: a total only when every part is known."""
    missing = pop[pop["statut"] != "ok"]
    if not missing.empty:
        return (f"Population couverte : non calculée, car {fr.liste(list(missing['code']))} "
                f"{'est absent' if len(missing) == 1 else 'sont absents'} du fichier du producteur "
                "(un IRIS créé depuis le recensement de 2016, par exemple) ; un total partiel n'est jamais donné.")
    parts = []
    for niveau, part in pop.groupby("niveau", sort=False):
        quoi = (f"ses IRIS au recensement de {RECENSEMENT}" if niveau == "iris"
                else f"ses communes entières, population municipale {int(part['annee'].iloc[0])}")
        parts.append((float(part["population"].sum()), quoi))
    if len(parts) == 1:
        return f"Population couverte : {fr.nombre(parts[0][0])} habitants (somme de {parts[0][1]}, Insee)."
    return ("Population couverte : " + " et ".join(f"{fr.nombre(n)} habitants dans {q}" for n, q in parts)
            + " (Insee ; deux millésimes différents : ils ne sont pas additionnés).")


def texte_composition(vue: Lecture, z: Zone) -> str:
    """What the zone is made of and how it was built, with its IRIS named and the population covered."""
    lines = [z.regle, ""]
    if z.description:
        lines += [z.description, ""]
    if z.iris:
        iris = zones_.iris_de_la_zone(vue, z)
        for commune, part in iris.groupby("commune_libelle", sort=False):
            noms = [f"{lib} ({code})" for code, lib in zip(part["code"], part["libelle"])]
            lines.append(f"- {commune} : {len(noms)} IRIS — {', '.join(noms)}.")
    if z.communes:
        labels = territoires.libelles(vue, "commune", list(z.communes))
        lines.append(f"- Communes entières : {', '.join(f'{labels.get(c, c)} ({c})' for c in z.communes)}.")
    lines += ["", texte_population(population(vue, z))]
    return "\n".join(lines) + "\n"


def tableau_selection(vue: Lecture, z: Zone) -> str:
    """A polygon zone: every IRIS the polygon touches, its share inside, kept or not, its population (markdown)."""
    if z.selection is None or z.selection.empty:
        return ""
    sel = z.selection
    pop = population(vue, Zone(z.code, z.libelle, tuple(sel["code"]), (), z.fichier, z.regle)).set_index("code")
    rows = ["| IRIS | Part de sa surface dans le polygone | Retenu | Population " + str(RECENSEMENT) + " |",
            "|:--|--:|:--|--:|"]
    for _, r in sel.iterrows():
        p = pop.loc[r["code"]]
        shown = fr.nombre(p["population"]) if p["statut"] == "ok" else fr.MARQUE_ABSENT
        part = fr.pourcent(r["part"] * 100, 0) if r["part"] >= 0.005 else f"moins de 1{fr.NBSP}%"
        rows.append(f"| {r['libelle']} ({r['code']}) | {part} | "
                    f"{'oui' if r['retenu'] else 'non'} | {shown} |")
    seuil = round((z.seuil or 0) * 100)
    rows += ["", f"Règle : un IRIS est retenu quand au moins {seuil} % de sa surface est dans le polygone. "
                 f"« {fr.MARQUE_ABSENT} » : IRIS absent du recensement {RECENSEMENT} par IRIS."]
    return "\n".join(rows) + "\n"


def texte_non_agreges(glossaire: Glossaire, z: Zone) -> str:
    """Say once that medians and deciles are not published for the zone, and why."""
    labels = non_agreges(glossaire, z)
    if not labels:
        return ""
    return ('::: {.callout-note title="Chiffres non publiés pour la zone"}\n'
            f"{', '.join(labels)} : ces chiffres ne s'additionnent pas. Aucun producteur ne les publie pour cette "
            "zone et OSQ ne les calcule pas à partir de ses IRIS (une médiane de médianes n'est pas la médiane de la "
            "zone). Ceux de chaque IRIS, tels que l'Insee les publie, sont dans le tableau par IRIS ci-dessous.\n:::\n")


def tableau_parties(vue: Lecture, z: Zone, codes: list[str]) -> pd.DataFrame:
    """One row per (part of the zone: IRIS, then whole commune; indicator) at the indicator's latest year with a
    value for one of them.

    Columns: niveau, code, libelle, indicateur, annee, valeur, statut, source. A part the producer does not list
    is 'absent' (nd), a blank cell 'secret' (s): never 0. Medians here are each part's own, as published.
    """
    cols = ["niveau", "code", "libelle", "indicateur", "annee", "valeur", "statut", "source"]
    frames = []
    for niveau, members in (("iris", z.iris), ("commune", z.communes)):
        if not members:
            continue
        if niveau == "iris":
            parts = zones_.iris_de_la_zone(vue, z)[["code", "libelle"]]
        else:
            labels = territoires.libelles(vue, "commune", list(members))
            parts = pd.DataFrame({"code": list(members), "libelle": [labels.get(c, c) for c in members]})
        obs = vue.observations(niveau, list(members), codes)
        for code in codes:
            part = obs[obs["indicateur"] == code]
            years = part.loc[part["statut"] == "ok", "annee"]
            annee = int(years.max()) if len(years) else (int(part["annee"].max()) if len(part) else None)
            rows = parts.assign(niveau=niveau, indicateur=code, annee=annee)
            if annee is not None:
                rows = rows.merge(part[part["annee"] == annee][["code", "valeur", "statut", "source"]], on="code",
                                  how="left")
            else:
                rows = rows.assign(valeur=float("nan"), statut=None, source=None)
            rows["statut"] = rows["statut"].fillna("absent")
            rows["valeur"] = rows["valeur"].where(rows["statut"] == "ok")
            frames.append(rows)
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)
    out["annee"] = out["annee"].astype("Int64")
    return out[cols]


def titre_parties(z: Zone) -> tuple[str, str]:
    """The title of the table of the zone's parts, and the header of its first column."""
    if z.iris and z.communes:
        return f"Les IRIS et communes de {z.libelle}", "IRIS ou commune"
    return (f"Les IRIS de {z.libelle}", "IRIS") if z.iris else (f"Les communes de {z.libelle}", "Commune")


# --- The kind ------------------------------------------------------------------------------------------


def territoires_montres(con, code: str, parametres: dict) -> Territoires:
    """The zone, its IRIS, its communes (with their intercommunalities' communes for the secret's groups), its
    intercommunality(ies), département(s) and France."""
    z = zone_de(con, code, parametres.get("zones"))
    out: Territoires = {"zone": {z.code}}
    if z.iris:
        out["iris"] = set(z.iris)
    for t in zones_.references_of_zone(con, z)[1:]:
        out.setdefault(t.niveau, set()).add(t.code)
    return out


def references(vue: Lecture, z: Zone) -> list[Territoire]:
    return zones_.references_of_zone(vue, z)


TYPE = TypeNote(
    modele="note_zone", niveau="zone", parametre="code_zone", libelle="Note de zone", pluriel="Notes de zone",
    prefixe="zone", territoires=territoires_montres,
)

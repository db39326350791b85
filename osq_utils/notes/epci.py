"""The EPCI note: the communes of an intercommunality side by side, ranked, against the EPCI.

Reads the store, computes nothing new: every figure is a published or already derived
observation. Medians are never aggregated (an EPCI median is INSEE's EPCI figure) and a
secret or missing commune value is never ranked nor shown as 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from osq_utils import territoires
from osq_utils.errors import OsqError
from osq_utils.indicateurs import Lecture, Territoire
from osq_utils.notes.base import Territoires, TypeNote
from osq_utils.present import fr
from osq_utils.store import DERIVED_SOURCE

CHIFFRES_CLES = ["population", "revenu_median", "taux_pauvrete", "rapport_interdecile", "part_prestations_sociales",
                 "densite_medecins_generalistes"]
# The communes side by side: Filosofi and census figures (comparateur de territoires) published for every
# commune; the poverty rate, secret in most small communes, is there for its ranking and its map.
COTE_A_COTE = ["population", "revenu_median", "taux_pauvrete", "taux_chomage_15_64", "part_proprietaires"]
CLASSEMENTS = ["revenu_median", "taux_pauvrete"]
# Population weights used to choose an EPCI's département, best first: the census population
# (four départements in the mirror), else Filosofi's persons of fiscal households (all France).
POIDS = ("population", "nb_personnes_menages_fiscaux")


def communes_of_epci(con, code_epci: str) -> list[str]:
    """Member communes of the EPCI (latest COG on record), or a French error for an unknown code."""
    code_epci = str(code_epci)
    codes = list(territoires.communes_of(con, "epci", code_epci))
    if not codes:
        raise OsqError(f"intercommunalité « {code_epci} » inconnue ou sans commune dans la base",
                       colonne="code_epci",
                       correction='indiquez le numéro SIREN à 9 chiffres de l\'EPCI, entre guillemets, '
                                  'par exemple "200069037" (CA du Pays de Saint-Omer).')
    return codes


def latest_ok(obs: pd.DataFrame, indicateur: str) -> pd.DataFrame:
    """Rows of the latest year with at least one 'ok' value of `indicateur` (all its rows of that year)."""
    part = obs[obs["indicateur"] == indicateur]
    ok = part[part["statut"] == "ok"]
    if ok.empty:
        return part.iloc[0:0]
    return part[part["annee"] == ok["annee"].max()]


@dataclass(frozen=True)
class PartDepartement:
    code: str
    libelle: str
    part: float  # share of the EPCI's weight (0-1)
    poids: str   # indicator used as weight, or 'communes'


def departements_of_epci(vue: Lecture, code_epci: str) -> list[PartDepartement]:
    """Départements of the EPCI's communes with their share of its population, largest first.

    The weight is the latest year where every commune has a population (census), else
    persons of fiscal households (Filosofi), else the number of communes.
    """
    codes = communes_of_epci(vue, code_epci)
    deps = pd.Series({c: territoires.parent(vue, "commune", c, "departement") for c in codes}, dtype=object)
    weights, used = pd.Series(1.0, index=codes), "communes"
    obs = vue.observations("commune", codes, list(POIDS))
    for code in POIDS:
        part = obs[(obs["indicateur"] == code) & (obs["statut"] == "ok")]
        complete = part.groupby("annee")["code"].nunique()
        complete = complete[complete == len(codes)]
        if len(complete):
            year = part[part["annee"] == complete.index.max()]
            weights, used = year.set_index("code")["valeur"].reindex(codes).astype(float), code
            break
    shares = weights.groupby(deps).sum()
    shares = (shares / shares.sum()).sort_values(ascending=False, kind="stable")
    labels = territoires.libelles(vue, "departement", list(shares.index))
    return [PartDepartement(d, labels.get(d, d), float(s), used) for d, s in shares.items()]


def references_of_epci(vue: Lecture, code_epci: str) -> list[Territoire]:
    """The EPCI and its reference territories: its main département (by population), France métropolitaine."""
    code_epci = str(code_epci)
    communes_of_epci(vue, code_epci)  # French error for an unknown EPCI
    out = [Territoire("epci", code_epci, territoires.libelle(vue, "epci", code_epci) or code_epci)]
    deps = departements_of_epci(vue, code_epci)
    if deps:
        out.append(Territoire("departement", deps[0].code, deps[0].libelle,
                              article=territoires.article(vue, "departement", deps[0].code)))
    if not any(d.code.startswith(territoires.DOM_PREFIXES) for d in deps[:1]):
        out.append(Territoire("france", territoires.FRANCE, "France métropolitaine"))
    return out


# --- Communes side by side -------------------------------------------------------


def annee_commune(com: pd.DataFrame, ref: pd.DataFrame) -> int | None:
    """The year shown for an indicator: the latest year with both a commune value and the EPCI value,
    else the latest year with a commune value, else the latest year on record.

    Communes and their EPCI are compared in the same year: Filosofi 2018 gives commune poverty
    rates but no EPCI rate, so the ranking of poverty rates is that of 2016, next to the EPCI's 2016.
    """
    ok_com = set(com.loc[com["statut"] == "ok", "annee"].astype(int))
    ok_ref = set(ref.loc[ref["statut"] == "ok", "annee"].astype(int))
    for years in (ok_com & ok_ref, ok_com, set(com["annee"].astype(int)) | set(ref["annee"].astype(int))):
        if years:
            return max(years)
    return None


def rang(values: pd.Series, statuts: pd.Series) -> pd.Series:
    """Rank 1 = highest value, among the 'ok' values only (ties share the best rank).

    A secret or missing value gets no rank (<NA>): it is neither first nor last.
    """
    ok = (statuts == "ok") & values.notna()
    out = pd.Series(pd.NA, index=values.index, dtype="Int64")
    out[ok] = values[ok].rank(method="min", ascending=False).astype(int)
    return out


COTE_COLUMNS = ["niveau", "code", "territoire", "indicateur", "annee", "valeur", "statut", "source", "estime",
                "rang", "classees", "communes"]


def communes_cote_a_cote(vue: Lecture, epci: Territoire, codes_indicateurs: list[str]) -> pd.DataFrame:
    """Every commune of the EPCI for each indicator, in one year per indicator, ranked, with the EPCI row.

    Long table, columns COTE_COLUMNS: one row per (indicator, commune) plus one 'epci' row per
    indicator (its own published value of that year; rang <NA>). A commune without an observation
    is 'absent'; `classees` is the number of ranked communes, `communes` the EPCI's count.
    """
    codes = communes_of_epci(vue, epci.code)
    labels = territoires.libelles(vue, "commune", codes)
    com = vue.observations("commune", codes, codes_indicateurs)
    ref = vue.observations("epci", [epci.code], codes_indicateurs)
    frames = []
    for ind in codes_indicateurs:
        c, r = com[com["indicateur"] == ind], ref[ref["indicateur"] == ind]
        year = annee_commune(c, r)
        grid = pd.DataFrame({"code": codes})
        part = grid.merge(c[c["annee"] == year], on="code", how="left")
        part = part.assign(niveau="commune", territoire=[labels.get(x, x) for x in codes])
        own = r[r["annee"] == year]
        head = pd.DataFrame([{
            "niveau": "epci", "code": epci.code, "territoire": epci.libelle,
            **({k: own.iloc[0][k] for k in ("valeur", "statut", "source", "estime")} if len(own) else {"statut": "absent"}),
        }])
        part = pd.concat([head, part], ignore_index=True)
        part["indicateur"], part["annee"] = ind, year
        frames.append(part)
    out = pd.concat(frames, ignore_index=True)
    out["statut"] = out["statut"].fillna("absent")
    out["valeur"] = out["valeur"].where(out["statut"] == "ok")  # never a number behind 's' or 'nd'
    out["estime"] = out["estime"].astype("boolean").fillna(False).astype(bool)
    out["source"] = out["source"].astype(object).where(out["source"].notna(), None)
    out["annee"] = out["annee"].astype("Int64")
    out["rang"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
    is_com = out["niveau"] == "commune"
    for _, part in out[is_com].groupby("indicateur", sort=False):
        out.loc[part.index, "rang"] = rang(part["valeur"], part["statut"])
    out["classees"] = out.groupby("indicateur")["rang"].transform(lambda s: int(s.notna().sum())).astype(int)
    out["communes"] = len(codes)
    return out[COTE_COLUMNS]


def ordre_population(cote: pd.DataFrame) -> list[str]:
    """Commune codes from the most to the least populated (population, else fiscal persons); unknown last."""
    com = cote[cote["niveau"] == "commune"]
    for ind in POIDS:
        part = com[com["indicateur"] == ind]
        if len(part) and (part["statut"] == "ok").any():
            return part.sort_values(["valeur", "territoire"], ascending=[False, True], na_position="last")["code"].tolist()
    return com.drop_duplicates("code").sort_values("territoire")["code"].tolist()


def plus_peuplees(vue: Lecture, codes: list[str], n: int = 24) -> list[str]:
    """The n most populated communes (latest census year, else fiscal persons), largest first."""
    obs = vue.observations("commune", list(codes), list(POIDS))
    for ind in POIDS:
        latest = latest_ok(obs, ind)
        if len(latest):
            size = latest.set_index("code")["valeur"].reindex(codes)
            order = size.sort_values(ascending=False, na_position="last", kind="stable").index.tolist()
            return order[:n]
    return list(codes)[:n]


# --- Evolutions, one series per commune ----------------------------------------------


def evolutions_communes(vue: Lecture, codes: list[str], indicateur: str) -> pd.DataFrame:
    """Every glossary year of one indicator for each commune: code, territoire, annee, valeur, statut.

    A year the source does not give is 'absent' with no value (never 0, never interpolated).
    Values are those published under the commune's current code: a median of a commune
    that merged later is not rebuilt from its former communes (medians are not aggregated).
    """
    years = list(vue.glossaire[indicateur].annees)
    obs = vue.observations("commune", list(codes), [indicateur])
    labels = territoires.libelles(vue, "commune", list(codes))
    grid = pd.MultiIndex.from_product([list(codes), years], names=["code", "annee"]).to_frame(index=False)
    out = grid.merge(obs[["code", "annee", "valeur", "statut", "source"]], on=["code", "annee"], how="left")
    out["statut"] = out["statut"].fillna("absent")
    out["valeur"] = out["valeur"].where(out["statut"] == "ok")
    out["territoire"] = out["code"].map(lambda c: labels.get(c, c))
    return out[["code", "territoire", "annee", "valeur", "statut", "source"]]


def resume_classement(cote: pd.DataFrame, indicateur: str) -> dict:
    """Plain facts for the narrative of one ranking: highest and lowest communes, EPCI value, counts."""
    part = cote[cote["indicateur"] == indicateur]
    com = part[part["niveau"] == "commune"]
    ok = com[com["rang"].notna()].sort_values(["rang", "territoire"])
    ref = part[part["niveau"] == "epci"].iloc[0]
    low = ok.sort_values(["valeur", "territoire"]).iloc[0] if len(ok) else None
    return {
        "annee": None if pd.isna(part["annee"].iloc[0]) else int(part["annee"].iloc[0]),
        "haut": ok.iloc[0] if len(ok) else None,
        "bas": low,
        "epci": ref,
        "classees": len(ok),
        "secret": int((com["statut"] == "secret").sum()),
        "absent": int((com["statut"] == "absent").sum()),
        "au_dessus": int((ok["valeur"] > ref["valeur"]).sum()) if ref["statut"] == "ok" else None,
    }


# --- Texts of the note ---------------------------------------------------------------


def texte_departements(deps: list, epci) -> str:
    """A French sentence on the EPCI's département(s) (agglomeration.departements_of_epci)."""
    if not deps:
        return f"Le département de {epci.libelle} n'est pas connu de la base : la note le compare à la France seule."
    if len(deps) == 1:
        return (f"Toutes les communes de l'intercommunalité sont dans le même département, {deps[0].libelle} "
                f"({deps[0].code}), qui sert de référence avec la France métropolitaine.")
    poids = {"population": "de la population municipale", "nb_personnes_menages_fiscaux":
             "des personnes des ménages fiscaux", "communes": "des communes"}[deps[0].poids]
    detail = " ; ".join(f"{d.libelle} ({d.code}) : {fr.pourcent(d.part * 100, 0)}" for d in deps)
    return (f"{epci.libelle} s'étend sur {len(deps)} départements (part {poids} : {detail}). "
            f"Le département de référence de cette note est {deps[0].libelle}, qui en regroupe la plus grande part.")


def _communes(n: int, pluriel: str = "sont", singulier: str = "est") -> str:
    return f"{n} commune {singulier}" if n <= 1 else f"{n} communes {pluriel}"


def texte_classement(resume: dict, ind, glossaire_href: str | None = None) -> str:
    """Plain-French sentences on a ranking (agglomeration.resume_classement)."""
    label = f"[{ind.libelle}]({glossaire_href}#{ind.code})" if glossaire_href else ind.libelle
    annee = resume["annee"]
    if not resume["classees"]:
        return f"{label} : aucune valeur communale publiée, donc pas de classement.\n"
    haut, bas, ref = resume["haut"], resume["bas"], resume["epci"]

    def v(r):
        return fr.valeur_observation(r, ind)

    text = (f"{label} en {annee} : de {v(bas)} ({bas['territoire']}) à {v(haut)} ({haut['territoire']}), "
            f"{resume['classees']} communes classées.")
    if ref["statut"] == "ok":
        how = ("somme de ses communes" if ref["source"] == DERIVED_SOURCE
               else "valeur publiée pour l'intercommunalité elle-même, jamais une moyenne de communes")
        text += (f" Ensemble de l'intercommunalité : {v(ref)} ({how}). "
                 f"{_communes(resume['au_dessus'])} au-dessus de cette valeur.")
    else:
        text += " Cette valeur n'est pas disponible pour l'intercommunalité elle-même cette année-là."
    hidden = resume["secret"] + resume["absent"]
    if hidden:
        text += (f" {_communes(hidden, 'ne sont pas classées', 'n’est pas classée')} (valeur au secret statistique "
                 "ou non disponible, jamais comptée comme nulle).")
    return text + "\n"


# --- The kind ---------------------------------------------------------------------------------


def territoires_montres(con, code: str, parametres: dict) -> Territoires:
    """The EPCI, every commune of it, its département(s) and France."""
    communes = set(territoires.communes_of(con, "epci", code))
    deps = {d for d in (territoires.parent(con, "commune", c, "departement") for c in communes) if d}
    out: Territoires = {"epci": {code}, "commune": communes, "departement": deps}
    if not any(d.startswith(territoires.DOM_PREFIXES) for d in deps):
        out["france"] = {territoires.FRANCE}
    return out


TYPE = TypeNote(
    modele="note_epci", niveau="epci", parametre="code_epci", libelle="Note d'agglomération",
    pluriel="Notes d'agglomération", prefixe="epci", territoires=territoires_montres,
    sections_commentaire=("synthese", "lecture", "communes"),
)

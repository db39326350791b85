"""great-tables tables in French, with secret / missing marks and their legend."""

from __future__ import annotations

import hashlib

import pandas as pd
from great_tables import GT, html

from osq_utils.indicateurs import Glossaire
from osq_utils.present import fr


def _stable_id(text: str) -> str:
    """A deterministic table id (great-tables draws a random one): identical reruns give identical HTML."""
    return "osq-" + hashlib.sha1(text.encode()).hexdigest()[:10]


def comparison_table(comp: pd.DataFrame, glossaire: Glossaire, *, titre: str, source_note: str,
                     glossaire_href: str | None = None) -> GT:
    """Indicators in rows, territories in columns, values formatted in French.

    comp is the output of indicateurs.comparison().
    """
    territories = list(dict.fromkeys(comp["territoire"]))
    rows = []
    for ind_code, part in comp.groupby("indicateur", sort=False):
        ind = glossaire[ind_code]
        label = ind.libelle
        if glossaire_href:
            label = f"[{label}]({glossaire_href}#{ind.code})"
        row = {"Indicateur": label, "Année": str(int(part["annee"].iloc[0])) if pd.notna(part["annee"].iloc[0]) else fr.MARQUE_ABSENT}
        for _, r in part.iterrows():
            text = fr.valeur(r["valeur"], ind.unite, ind.decimales, r["statut"])
            if r.get("estime") and r["statut"] == "ok":
                text += "\u00a0(e)"
            row[r["territoire"]] = text
        rows.append(row)
    df = pd.DataFrame(rows, columns=["Indicateur", "Année", *territories])
    notes = [source_note, fr.LEGENDE_MARQUES]
    if comp.get("estime", pd.Series(dtype=bool)).fillna(False).any():
        notes.append("« (e) » : valeur estimée (IRIS peu peuplés absents de la source, ou commune issue d'une défusion).")
    gt = (
        GT(df, id=_stable_id(titre))
        .tab_header(title=titre)
        .fmt_markdown(columns="Indicateur")
        .cols_align(align="right", columns=[c for c in df.columns if c != "Indicateur"])
        .cols_align(align="left", columns="Indicateur")
        .opt_table_font(font=["system-ui", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"])
    )
    for note in notes:
        gt = gt.tab_source_note(html(note) if note.startswith("<") else note)
    return gt


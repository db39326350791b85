"""Verbatims ("paroles d'acteurs") as Quarto markdown that also renders under the pandoc fallback.

Each quote is a fenced div with class `verbatim` holding a blockquote and an attribution:

    ::: verbatim
    > Un parc privé avec des loyers élevés et des problèmes de vétusté.

    [— un partenaire, atelier …, 2022 (source : « … », AUD, 2023)]{.verbatim-source}
    :::

The guillemets « » come from the CSS, not from the text. The HTML is
`<div class="verbatim"><blockquote>…</blockquote><p><span class="verbatim-source">…</span></p></div>`,
so the style needs `div.verbatim > blockquote` and `div.verbatim .verbatim-source`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from osq_utils.catalogues.verbatims import Verbatim, choisir, load_all
from osq_utils.indicateurs import Territoire
from osq_utils.present.fr import MOIS, NBSP

LOCUTEURS_FR = {
    "partenaire": "un partenaire",
    "habitant": "un habitant",
    "élu": "un élu",
    "technicien": "un technicien",
    "conseil citoyen": "un membre du conseil citoyen",
}
VIDE = {
    "public": "Aucun verbatim public pour ce thème et ce territoire.",
    "partenaires": "Aucun verbatim pour ce thème et ce territoire.",
}

# Pandoc markdown punctuation that would turn text into markup (emphasis, links, math, citations…).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~^$@&])")


def markdown_text(text: str) -> str:
    """Plain text as one line of pandoc markdown, printed as written."""
    text = _MD_SPECIAL.sub(r"\\\1", re.sub(r"[ \t\r\n]+", " ", str(text)).strip())
    text = re.sub(r"^(\d+)([.)])(?=\s|$)", r"\1\\\2", text)  # not an ordered list
    return re.sub(r"^([-+:])(?=\s|$)", r"\\\1", text)  # not a bullet or definition


def date_fr(date: str | None) -> str:
    """'2022' -> '2022', '2022-03' -> 'mars 2022', '2025-10-13' -> '13 octobre 2025'."""
    if not date:
        return ""
    parts = str(date).split("-")
    if len(parts) == 1:
        return parts[0]
    month = MOIS[int(parts[1]) - 1]
    if len(parts) == 2:
        return f"{month} {parts[0]}"
    day = int(parts[2])
    return f"{'1er' if day == 1 else day} {month} {parts[0]}"


def citation_source(v: Verbatim) -> str:
    """« Titre », éditeur, année — as much as the source gives."""
    if v.source is None:
        return ""
    bits = [f"«{NBSP}{v.source.titre}{NBSP}»"]
    if v.source.editeur:
        bits.append(v.source.editeur)
    if v.source.annee:
        bits.append(str(v.source.annee))
    return ", ".join(bits)


def attribution(v: Verbatim) -> str:
    """'— une habitante de Roche-la-Molière, atelier …, 2019 (source : « … », …)'."""
    who = v.attribution or LOCUTEURS_FR.get(v.locuteur or "", "")
    if who and v.structure:
        who = f"{who} ({v.structure})"
    elif v.structure:
        who = v.structure
    bits = [b for b in (who, v.atelier, date_fr(v.date)) if b]
    text = "— " + ", ".join(bits) if bits else "—"
    source = citation_source(v)
    if source:
        text += f" (source{NBSP}: {source})"
    return text


def verbatim_markdown(v: Verbatim) -> str:
    return (f"::: verbatim\n> {markdown_text(v.texte)}\n\n"
            f"[{markdown_text(attribution(v))}]{{.verbatim-source}}\n:::\n")


def bloc_verbatims(selected: Iterable[Verbatim], titre: str | None = "Paroles d'acteurs", profil: str = "public",
                   niveau_titre: int = 2) -> str:
    """A titled block of quotes (already chosen with `osq_utils.catalogues.verbatims.choisir`), or a sentence when there is none."""
    selected = list(selected)
    parts = [f"{'#' * niveau_titre} {titre}\n"] if titre else []
    if selected:
        parts += [verbatim_markdown(v) for v in selected]
    else:
        parts.append(VIDE.get(profil, VIDE["partenaires"]) + "\n")
    return "\n".join(parts)


def paroles_acteurs(ctx, refs: list[Territoire], themes: Iterable[str | None] | None = None, max_n: int = 4,
                    vide: str | None = None) -> str:
    """The one verbatims block of every note: the partner verbatims of these territories (most
    specific first) and themes, pseudonymised, at most max_n, for the note's diffusion profile.

    `vide`: the sentence shown when there is none (default: the profile's).
    """
    chosen = choisir(load_all(), list(themes) if themes else None, [(t.niveau, t.code) for t in refs],
                     profil=ctx.profil, max_n=max_n)
    if not chosen and vide is not None:
        return vide + "\n"
    return bloc_verbatims(chosen, titre=None, profil=ctx.profil)

"""Themes of the notes: the ABS themes (data/abs/themes.yml), then the glossary's themes.

An ABS note covers one commune and one theme. An ABS theme lists its key figures, compared
indicators, evolutions, IRIS map and table and verbatim themes; any glossary theme is also
accepted, with all its indicators.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from osq_utils.catalogues.glossaire import Glossaire, load_glossaire
from osq_utils.catalogues.lecture_yaml import lire_yaml
from osq_utils.catalogues.racine import chemin_donnees
from osq_utils.errors import OsqError


@dataclass(frozen=True)
class ThemeAbs:
    code: str
    libelle: str
    themes_glossaire: tuple[str, ...]
    chiffres_cles: tuple[str, ...]
    comparaison: tuple[str, ...]
    evolution: tuple[str, ...]
    iris_carte: str | None
    iris_tableau: tuple[str, ...]
    verbatims: tuple[str, ...]
    donnees_absentes: str | None = None


def chemin_themes() -> Path:
    return chemin_donnees("abs", "themes.yml")


def fichiers() -> list[Path]:
    """The files this loader reads (for the build fingerprint)."""
    return [chemin_themes()]


def load_themes(path: Path | str | None = None, glossaire: Glossaire | None = None) -> dict[str, ThemeAbs]:
    """The ABS themes of data/abs/themes.yml, every indicator code checked against the glossary."""
    path = Path(path or chemin_themes())
    glossaire = glossaire or load_glossaire()
    if not path.exists():
        raise OsqError("fichier des thèmes de l'ABS introuvable", fichier=path,
                       correction="restaurez data/abs/themes.yml depuis le dépôt.")
    doc = lire_yaml(path, quoi="fichier des thèmes de l'ABS")
    raw = doc.get("themes") or {}
    if not isinstance(raw, dict):
        raise doc.erreur("« themes » doit associer un code à chaque thème", "themes",
                         correction="écrivez « themes: » puis un bloc « code_du_theme: » par thème.")
    out = {}
    for code, spec in raw.items():
        if not isinstance(spec, dict):
            raise doc.erreur(f"thème « {code} » mal formé", "themes", code,
                             correction="décrivez le thème avec ses champs (voir l'en-tête du fichier).")
        for key in ("libelle", "chiffres_cles", "comparaison"):
            if not spec.get(key):
                raise doc.erreur(f"thème « {code} » sans champ « {key} »", "themes", code,
                                 correction="complétez la fiche du thème (voir l'en-tête du fichier).")
        for key in ("chiffres_cles", "comparaison", "evolution", "iris_tableau", "iris_carte"):
            values = spec.get(key) or []
            for j, c in enumerate(values if isinstance(values, list) else [values]):
                if c not in glossaire:
                    where = ("themes", code, key, j) if isinstance(values, list) else ("themes", code, key)
                    raise doc.erreur(f"thème « {code} » : indicateur « {c} » absent du glossaire", *where,
                                     correction="utilisez un code de data/glossaire.yml.")
        out[str(code)] = ThemeAbs(
            code=str(code), libelle=spec["libelle"], themes_glossaire=tuple(spec.get("themes_glossaire") or ()),
            chiffres_cles=tuple(spec["chiffres_cles"]), comparaison=tuple(spec["comparaison"]),
            evolution=tuple(spec.get("evolution") or ()), iris_carte=spec.get("iris_carte"),
            iris_tableau=tuple(spec.get("iris_tableau") or ()), verbatims=tuple(spec.get("verbatims") or ()),
            donnees_absentes=(spec.get("donnees_absentes") or None),
        )
    return out


def theme_abs(code: str, glossaire: Glossaire | None = None, path: Path | str | None = None) -> ThemeAbs:
    """An ABS theme, or a glossary theme with all its indicators; a French error for an unknown theme."""
    glossaire = glossaire or load_glossaire()
    themes = load_themes(path, glossaire)
    if code in themes:
        return themes[code]
    if code in glossaire.themes:
        inds = glossaire.par_theme(code)
        # Rates lead the key figures: they compare across territories of any size.
        ordered = sorted(inds, key=lambda i: i.type == "compte")
        carte = next((i.code for i in ordered if i.type in ("taux", "non_additif") and "iris" in i.niveaux
                      and i.unite == "%"), None)
        return ThemeAbs(
            code=code, libelle=glossaire.themes[code], themes_glossaire=(code,),
            chiffres_cles=tuple(i.code for i in ordered[:6]), comparaison=tuple(i.code for i in inds),
            evolution=tuple(i.code for i in inds if len(i.annees) > 1)[:3], iris_carte=carte,
            iris_tableau=tuple(i.code for i in inds if "iris" in i.niveaux)[:4], verbatims=(code,),
        )
    raise OsqError(
        f"thème « {code} » inconnu", fichier=path or chemin_themes(),
        correction=f"thèmes de l'ABS : {', '.join(themes)} ; thèmes du glossaire : {', '.join(glossaire.themes)}.",
    )


def theme_labels(glossaire: Glossaire | None = None) -> dict[str, str]:
    """Every theme a note may be run for, with its label: the ABS themes, then the glossary's."""
    glossaire = glossaire or load_glossaire()
    out = {code: t.libelle for code, t in load_themes(glossaire=glossaire).items()} if chemin_themes().exists() else {}
    for key, label in glossaire.themes.items():
        out.setdefault(key, label)
    return out

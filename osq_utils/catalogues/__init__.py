"""Reference files the observatory edits, each read by one loader: the bottom of the package.

| loader | files |
|---|---|
| `glossaire` | data/glossaire.yml (or $OSQ_GLOSSAIRE) |
| `sources` | data/sources.yml (or $OSQ_CATALOGUE) |
| `secret` | data/secret/*.yml, plus the conventions' secrecy clauses |
| `conventions` | data/conventions/*.yml |
| `themes` | data/abs/themes.yml |
| `groupements` | data/territoires/*.yml |
| `zones` | data/zones/*.yml (zones made of IRIS or communes) and their polygons |
| `profils` | (declared in code: public, partenaires) |
| `verbatims` | data/verbatims/*.yml, themes.yml, prenoms.txt |
| `guides` | docs/guides/ |

Every YAML file goes through `lecture_yaml` (errors name file, line, column and fix). Every
loader declares the files it reads (`fichiers()`), and the build fingerprint asks
`fichiers_references()` instead of keeping its own list.
"""

from __future__ import annotations

from pathlib import Path

from osq_utils.catalogues import conventions, glossaire, groupements, guides, secret, sources, themes, verbatims, zones

LOADERS = (glossaire, sources, secret, conventions, themes, groupements, zones, verbatims, guides)


def fichiers_references() -> list[Path]:
    """Every reference file a loader reads, existing ones only, without duplicates (sorted)."""
    files = {Path(f).resolve() for loader in LOADERS for f in loader.fichiers()}
    return sorted(f for f in files if f.is_file())

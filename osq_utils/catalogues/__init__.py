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
`references.fichiers_references()` instead of keeping its own list. This package file imports nothing:
the stdlib-only modules below it (`racine`) are read without loading pandas.
"""


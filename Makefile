# OSQ — commandes du projet. « make site » construit le site de démonstration, « make test » lance les tests.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.osq-installe
PARAMS ?= params/capso.yml
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
export OSQ_STORE ?= data/osq.duckdb

.PHONY: site installer sources donnees navigateur quarto verifier test test-rapide instantanes bench bench-site bench-commentaire lab nettoyer aide

aide:  ## Liste les commandes
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

installer: $(STAMP)  ## Crée l'environnement Python (.venv) et installe OSQ

sources: $(STAMP)  ## Récupère les sources publiques (miroir ../shared/sources ou téléchargement)
	$(BIN)/osq sources

donnees: sources  ## Charge les sources dans la base DuckDB (data/osq.duckdb)
	$(BIN)/osq ingest

site: donnees  ## Construit le site de l'observatoire de démonstration (CAPSO), versions PDF et Word comprises, dans rapports/
	$(BIN)/osq build $(PARAMS) --jobs $(JOBS) --imprimables

AXE = tests/node_modules/axe-core/axe.min.js
# Installs a Debian package when run as root, else stops with a French message saying what is missing.
define paquet_debian
	@command -v $(1) >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installation de $(2) (paquet Debian « $(2) »)…"; \
	    apt-get update -qq && apt-get install -y -qq $(2) >/dev/null; \
	  else \
	    echo "Erreur : $(3) a besoin de « $(1) ». Installez le paquet Debian : sudo apt-get install $(2)" >&2; exit 1; \
	  fi; }
endef

navigateur:  ## Installe Chromium (tests navigateur et d'accessibilité) s'il manque
	$(call paquet_debian,chromium,chromium,make test (navigateur headless))

$(AXE): tests/package-lock.json
	$(call paquet_debian,npm,npm,make test (axe-core, test d'accessibilité))
	npm ci --prefix tests --silent --no-audit --no-fund

# Quarto: the one on the PATH is used as it is; else make test installs it into .outils/quarto (ignored by
# git) from ../shared/tools/quarto (quarto-cli's runtime, completed from the npm registry and PyPI).
QUARTO_SOURCE ?= ../shared/tools/quarto
QUARTO_DEST    = .outils/quarto
quarto:  ## Installe Quarto dans .outils/quarto depuis ../shared/tools/quarto, s'il n'est pas déjà sur le PATH
	@if command -v quarto >/dev/null 2>&1; then \
	  echo "Quarto : $$(command -v quarto) ($$(quarto --version))"; \
	elif [ -f "$(QUARTO_SOURCE)/install.sh" ]; then \
	  bash "$(QUARTO_SOURCE)/install.sh" $(QUARTO_DEST) >/dev/null && \
	  echo "Quarto : $(QUARTO_DEST)/bin/quarto ($$($(QUARTO_DEST)/bin/quarto --version))"; \
	else \
	  echo "Quarto absent (ni sur le PATH, ni $(QUARTO_SOURCE)) : les tests du rendu Quarto ne seront pas exécutés."; \
	fi

verifier: $(STAMP)  ## Vérifie le code : ruff, mypy et le contrat des couches (import-linter)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: $(STAMP) navigateur $(AXE) quarto verifier  ## Lance toute la suite (3 niveaux, rendus pandoc et Quarto), aucun test ne peut être sauté
	OSQ_AUCUN_SAUT=1 $(BIN)/python -m pytest -q -n 2 --dist loadgroup

test-rapide: $(STAMP)  ## Les tests unitaires seuls (sans miroir ni base), en moins d'une minute
	$(BIN)/python -m pytest -q tests/unitaires

instantanes: $(STAMP)  ## Met à jour les instantanés des pages (à relire dans le diff avant de valider)
	$(BIN)/python -m pytest -q tests/capso/test_instantanes.py --snapshot-update

bench: donnees  ## Mesure le temps de chargement de tout le miroir
	$(BIN)/python bench/bench_ingest.py

bench-site: donnees quarto  ## Mesure la construction du site CAPSO avec pandoc et avec Quarto (complète, une note modifiée, sans changement)
	PATH="$(CURDIR)/$(QUARTO_DEST)/bin:$$PATH" $(BIN)/python bench/bench_site.py

bench-commentaire: donnees  ## Mesure le surcoût du commentaire automatique sur le site CAPSO (rendu pandoc ; objectif ≤ 15 %)
	$(BIN)/python bench/bench_commentaire.py

lab: donnees  ## Ouvre JupyterLab sur les modèles de notes (appariés à leur version texte par jupytext)
	$(BIN)/osq lab

nettoyer:  ## Supprime les produits de construction (rapports, base, sources récupérées)
	rm -rf rapports/*/ data/osq.duckdb data/sources

# OSQ — commandes du projet. « make site » construit le site de démonstration, « make test » lance les tests.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.osq-installe
PARAMS ?= params/capso.yml
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
export OSQ_STORE ?= data/osq.duckdb

.PHONY: site installer sources donnees test test-rapide bench lab nettoyer aide

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

$(AXE): tests/package-lock.json
	-command -v npm >/dev/null 2>&1 && npm ci --prefix tests --silent --no-audit --no-fund

test: $(STAMP) $(AXE)  ## Lance toute la suite de tests (axe-core installé par npm pour le test d'accessibilité)
	$(BIN)/python -m pytest -q

bench: donnees  ## Mesure le temps de chargement de tout le miroir
	$(BIN)/python bench/bench_ingest.py

lab: donnees  ## Ouvre JupyterLab sur les modèles de notes (appariés à leur version texte par jupytext)
	$(BIN)/osq lab

nettoyer:  ## Supprime les produits de construction (rapports, base, sources récupérées)
	rm -rf rapports/*/ data/osq.duckdb data/sources

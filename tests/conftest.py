"""Shared fixtures and the rules of the three test tiers.

- tests/unitaires/: the fast tier, pure unit tests (no mirror, no store): `make test-rapide`;
- tests/capso/: a small store cut at run time from the mirror, CAPSO only (tests/capso/conftest.py);
- tests/complet/: the whole mirror ingested (tests/complet/conftest.py).

Each tier defines its own `store_file`; `con` and `vue` read it. With OSQ_AUCUN_SAUT=1 (set by
`make test` and the CI), a skipped test fails the run: nothing is skipped silently. The one exception:
without any Quarto (none on the PATH and no ../shared/tools/quarto for `make test` to install), the
Quarto tests are skipped and the run says so in one line.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from outils import quarto_pour_tests

from osq_utils import store
from osq_utils.catalogues.glossaire import load_glossaire
from osq_utils.catalogues.racine import PROJECT_ROOT
from osq_utils.catalogues.sources import load_catalogue
from osq_utils.secret.vue import Vue
from osq_utils.sources import mirror_dir

QUARTO_ABSENT = "Quarto absent"

TIERS = {"unitaires": "rapide", "capso": "capso", "complet": "complet"}


# `make test` runs the suite on two processes (pytest-xdist, --dist loadgroup). The tests of one group share
# the session fixtures of one process: the whole-mirror store (complet), the CAPSO store and its five-note
# builds with both renderers (capso-rendus), the CAPSO store alone (capso). The unit tests go to either.
CAPSO_RENDUS = {"test_accessibilite.py", "test_audit.py", "test_comparaison_page.py", "test_explorer.py",
                "test_instantanes.py", "test_parite.py", "test_quarto.py",
                "test_rendus_navigateur.py"}
# Long tests of bad input and interrupted builds: a group of their own (its own CAPSO store), so that the
# scheduler can balance four groups over two processes.
CAPSO_ROBUSTESSE = {"test_builds_robustes.py", "test_sources_hostiles.py"}


def _xdist_group(parts: tuple[str, ...]) -> str | None:
    if parts[0] == "complet":
        return "complet"
    if parts[0] == "capso":
        if parts[-1] in CAPSO_RENDUS:
            return "capso-rendus"
        return "capso-robustesse" if parts[-1] in CAPSO_ROBUSTESSE else "capso"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark each test with its tier, from its folder, and with its process group (see CAPSO_RENDUS)."""
    for item in items:
        parts = Path(str(item.fspath)).relative_to(PROJECT_ROOT / "tests").parts
        tier = TIERS.get(parts[0]) if len(parts) > 1 else None
        if tier:
            item.add_marker(getattr(pytest.mark, tier))
        group = _xdist_group(parts) if len(parts) > 1 else None
        if group:
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    """Under `--dist loadgroup`, pytest-xdist suffixes each grouped test's id with its group: without it (pytest 9
    with pytest-xdist 3.8), the groups are silently ignored and each process rebuilds every shared fixture."""
    if not getattr(session.config.option, "loadgroup", False) or not session.items:
        return
    grouped = [i for i in session.items if any(True for _ in i.iter_markers("xdist_group"))]
    if grouped and not any("@" in i.nodeid for i in grouped):
        raise pytest.UsageError("--dist loadgroup : les groupes de tests (xdist_group) sont ignorés par cette version "
                                "de pytest ; installez pytest < 9 (pyproject.toml).")


def _all_skipped(config) -> list:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    return reporter.stats.get("skipped", []) if reporter else []


def _quarto_absent(report) -> bool:
    return QUARTO_ABSENT in str(report.longrepr) and quarto_pour_tests() is None


def _skipped(config) -> list:
    """Skipped tests that fail the run with OSQ_AUCUN_SAUT=1: all but the Quarto tests when no Quarto exists."""
    return [r for r in _all_skipped(config) if not _quarto_absent(r)]


def pytest_sessionfinish(session, exitstatus):
    """No silent skip: with OSQ_AUCUN_SAUT=1, any skipped test fails the run."""
    if os.environ.get("OSQ_AUCUN_SAUT") == "1" and _skipped(session.config):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    sans_quarto = [r for r in _all_skipped(config) if _quarto_absent(r)]
    if sans_quarto:
        terminalreporter.write_line(f"{QUARTO_ABSENT} : {len(sans_quarto)} test(s) du rendu Quarto non exécuté(s) "
                                    "(ni « quarto » sur le PATH, ni ../shared/tools/quarto pour « make test »).", yellow=True)
    skipped = _skipped(config)
    if os.environ.get("OSQ_AUCUN_SAUT") == "1" and skipped:
        terminalreporter.write_line(f"ÉCHEC : {len(skipped)} test(s) sauté(s) alors que OSQ_AUCUN_SAUT=1 ; la suite doit "
                                    "tout exécuter (raisons dans le résumé ci-dessous ; « make test » installe ce qui manque).", red=True)


@pytest.fixture(scope="session")
def mirror() -> Path:
    path = mirror_dir()
    if path is None or not path.is_dir():
        pytest.skip("miroir des sources absent (OSQ_MIRROR ou ../shared/sources)")
    return path


@pytest.fixture(scope="session")
def quarto_exe() -> str:
    """The Quarto of the tests (PATH, else .outils/quarto installed by make test)."""
    exe = quarto_pour_tests()
    if exe is None:
        pytest.skip(f"{QUARTO_ABSENT} (ni sur le PATH, ni dans .outils/quarto : « make test » l'installe depuis "
                    "../shared/tools/quarto)")
    return exe


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="session")
def glossaire():
    return load_glossaire()


@pytest.fixture(scope="session")
def mirror_path_of(mirror):
    return lambda source_id, chemin: mirror / source_id / chemin


@pytest.fixture
def con(store_file):
    connection = store.connect(store_file, read_only=True)
    yield connection
    connection.close()


@pytest.fixture
def vue(store_file):
    """The store as a note of the public profile reads it, without masks (no ledger)."""
    return Vue.ouvrir(store_file)

"""Work a page's first visitor would otherwise wait for, started in the background once per app process, at its
first run: importing the libraries of the heavier pages (networkx, pyvis and matplotlib: about 1.5 s, paid by
whichever page first needs them)."""

from __future__ import annotations

import importlib
import logging
import threading

log = logging.getLogger(__name__)

# the chain, explore and ecosystem pictures (networkx, pyvis, its templates); the report's charts (matplotlib) after
LIBRARIES = ("networkx", "pyvis.network", "jinja2")


def start() -> threading.Thread:
    """Import the libraries in a daemon thread (a page that needs one meanwhile waits for that import alone)."""
    thread = threading.Thread(target=_import_libraries, name="clusterkg-warm-up", daemon=True)
    thread.start()
    return thread


def _import_libraries() -> None:
    try:
        for name in LIBRARIES:
            importlib.import_module(name)
        import matplotlib

        matplotlib.use("Agg")  # as reports/charts.py: no display
        importlib.import_module("matplotlib.pyplot")
    except Exception:  # a page that needs one reports the failure in its own words
        log.warning("warm-up: could not import a library", exc_info=True)

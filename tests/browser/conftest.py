"""Session fixtures for the browser tests: one JupyterLab server and one headless Chromium for all notebooks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from _browser_lab import CHROMIUM_FLAGS, LabServer, block_off_host, find_chromium, run_notebook

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium; the only reason the browser tests ever skip is its absence."""
    path = find_chromium()
    if path is None:
        pytest.skip(
            "Chromium is not installed and could not be installed here "
            "(`make browser-deps` runs .ci/browser-deps.sh, which needs root and apt-get): browser tests skipped"
        )
    return path


@pytest.fixture(scope="session")
def lab_server(chromium_path, tmp_path_factory):
    """JupyterLab from this interpreter's environment, with ``WORKBENCH_FAST=1`` for every kernel."""
    server = LabServer(REPO, tmp_path_factory.mktemp("jupyterlab"), env={"WORKBENCH_FAST": "1"}).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser_context(chromium_path):
    """A headless Chromium page context that sees no host but localhost (requests elsewhere are recorded)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=list(CHROMIUM_FLAGS))
        context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
        block_off_host(context)
        yield context
        context.close()
        browser.close()


@pytest.fixture(scope="session")
def screenshot_dirs() -> tuple[Path, Path | None]:
    """``artifacts/browser[-<run>]`` (git-ignored) and, under ``make screenshots``, ``$WORKBENCH_SCREENSHOTS``.

    ``WORKBENCH_BROWSER_RUN`` names a second run of the same notebooks (``make test`` runs them again with an
    empty real-data folder, as on Binder offline): its screenshots go to their own folder.
    """
    docs = os.environ.get("WORKBENCH_SCREENSHOTS")
    run = os.environ.get("WORKBENCH_BROWSER_RUN", "").strip()
    return REPO / "artifacts" / (f"browser-{run}" if run else "browser"), (REPO / docs if docs else None)


@pytest.fixture(scope="session")
def lab_runs(lab_server, browser_context, screenshot_dirs):
    """Run a notebook in the browser once per session and hand back its :class:`NotebookRun`.

    Each notebook is run the first time a test asks for it; the other tests about
    the same notebook read the cached facts. A notebook whose run crashed the
    harness fails every test that asks for it, with the same error.
    """
    cache: dict[Path, object] = {}
    artifacts, docs = screenshot_dirs

    def get(notebook: Path, *, docs_screenshot: bool = True, **kwargs):
        notebook = Path(notebook).resolve()
        if notebook not in cache:
            try:
                cache[notebook] = run_notebook(
                    browser_context, lab_server, notebook, artifacts=artifacts,
                    docs_dir=docs if docs_screenshot else None, **kwargs,
                )
            except Exception as exc:  # noqa: BLE001  (re-raised below, for every test of this notebook)
                cache[notebook] = RuntimeError(
                    f"browser run of {notebook.name} failed: {exc!r}\nJupyterLab log:\n{lab_server.log_tail()}"
                )
        result = cache[notebook]
        if isinstance(result, Exception):
            raise result
        return result

    return get

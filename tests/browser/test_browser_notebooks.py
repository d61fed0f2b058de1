"""Every notebook, run in JupyterLab in headless Chromium with no internet, shows what it claims to show.

nbval proves that cells execute; these tests look at the page: error outputs,
blank plots (BokehJS requested from a CDN), widgets that fail to render, controls
that drive nothing, files left behind. Each study notebook under ``notebooks/``
(found at run time, so new studies are covered without editing this file) and a
fixture notebook with one plot of each kind are run once per session; a second
fixture breaks the offline set-up on purpose and must be caught.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from _browser_lab import (
    KERNEL_NAME,
    check_errors,
    check_execution,
    check_plots,
    check_resources,
    check_stray_files,
    check_widgets,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
STUDIES = sorted((REPO / "notebooks").glob("*.ipynb"))
WIDGET_FIXTURE = FIXTURES / "widget_demo.ipynb"
BROKEN_FIXTURE = FIXTURES / "broken_inline.ipynb"
NOTEBOOKS = [*STUDIES, WIDGET_FIXTURE]
IDS = [p.stem if p.parent.name == "notebooks" else f"fixture-{p.stem}" for p in NOTEBOOKS]
DOCS_SCREENSHOT_LIMIT = 400_000  # bytes, per PNG in docs/screenshots


def _run(lab_runs, notebook: Path):
    # Fixture notebooks never go to docs/screenshots.
    return lab_runs(notebook, docs_screenshot=notebook.parent.name == "notebooks")


def _report(problems: list[str], run) -> str:
    return f"{run.summary()}\n  " + "\n  ".join(problems)


# What a user would notice, one check per test id: ``test_notebook_in_browser[<notebook>-<check>]``.
CHECKS = {
    "runs-on-project-kernel": check_execution,  # Run All completes, every code cell has a count
    "no-error-outputs": check_errors,
    "plots-drawn": check_plots,  # a painted Bokeh canvas for every HoloViews/hvplot/Panel plot
    "offline-no-failed-loads": check_resources,
    "widgets-render-and-drive-plot": check_widgets,
    "no-stray-files": check_stray_files,  # nothing written next to the notebook except runs/
}


@pytest.mark.parametrize("check", list(CHECKS))
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=IDS)
def test_notebook_in_browser(notebook, check, lab_runs):
    run = _run(lab_runs, notebook)
    problems = CHECKS[check](run)
    assert problems == [], _report(problems, run)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=IDS)
def test_full_page_screenshot(notebook, lab_runs, screenshot_dirs):
    from PIL import Image

    run = _run(lab_runs, notebook)
    artifacts, docs = screenshot_dirs
    assert run.screenshot == artifacts / f"{notebook.stem}.png"
    with Image.open(run.screenshot) as image:
        width, height = image.size
        # Not blank: a page of text and plots has many colours.
        assert len(image.convert("RGB").resize((width // 4, height // 4)).getcolors(1 << 20) or []) > 50
    assert width == 1280 and height >= 600
    if docs is not None and notebook.parent.name == "notebooks":
        shot = docs / f"{notebook.stem}.png"
        assert 0 < shot.stat().st_size < DOCS_SCREENSHOT_LIMIT


def test_widget_fixture_exercises_every_check(lab_runs):
    """The harness really inspects something: the fixture's plots, widgets and marked slider are all found."""
    run = _run(lab_runs, WIDGET_FIXTURE)
    hv_outputs = [o for c in run.cells for o in c.get("outputs", []) if o["bokeh_view"]]
    assert len(hv_outputs) >= 2  # the hvplot cell and the Panel row
    assert len([c for c in run.dom["canvases"] if 0 not in c["size"] and c["painted"]]) >= 3
    assert run.dom["widget_views"] >= 5  # decoy dropdown, VBox, unused slider, frequency slider, output
    # The control with class demo-control, not the decoy dropdown above it nor the slider before it.
    assert run.widget_interaction["marked_by"] == "class"
    assert run.widget_interaction["kind"] == "slider"
    assert run.widget_interaction["detail"] == "slider 1 -> 2"
    assert run.widget_interaction["changed"] is True
    assert run.dialogs == []  # the kernelspec in the metadata preselects the kernel


def test_broken_inline_setup_is_caught(lab_runs):
    """``wb.setup(inline=False)`` offline, a failing cell, a control that drives nothing: each check says so.

    The fixture also has no kernelspec in its metadata, so JupyterLab asks for a
    kernel: the harness answers the dialog with the project kernel.
    """
    run = lab_runs(BROKEN_FIXTURE, docs_screenshot=False, render_timeout=8, widget_timeout=4)
    assert run.kernel_name == KERNEL_NAME
    assert any("Select Kernel" in text for text in run.dialogs), run.dialogs
    assert any("did not complete" in p for p in check_execution(run))
    assert "cell 4: ZeroDivisionError: division by zero" in check_errors(run)
    plots = check_plots(run)
    assert any(p.startswith("cell 2 (':Curve") and "no rendered Bokeh view" in p for p in plots), plots
    resources = check_resources(run)
    assert any("https://cdn.bokeh.org/bokeh/release/bokeh-3" in p for p in resources), resources
    assert any(p.startswith("failed request:") for p in resources), resources
    # Its marked slider drives nothing (and nothing is drawn): the widget check says so.
    assert run.widget_interaction["marked_by"] == "class"
    assert check_widgets(run) == [
        "changing the control with class 'demo-control' (mark the control that drives a plot: "
        "widget.add_class('demo-control')) (slider 0 -> 1) did not change any Bokeh canvas"
    ]

"""wb.setup() makes every plotting resource inline: no output of a notebook may point at a CDN.

The browser tests (tests/browser) show the rendered result; this test reads the
executed notebook's outputs directly, so it also runs where no browser can.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from nbclient import NotebookClient

# The loader scripts list what the browser must fetch before a plot can render.
# (The inlined libraries mention CDN URLs too, e.g. MathJax, fetched only on demand.)
LOADER_LISTS = re.compile(r"(?:const|var) (js_urls|css_urls|js_modules|js_exports)\s*=\s*(\[[^\]]*\]|\{[^}]*\})")


def _run(cells: list[str], tmp_path, env_inline: str | None = None):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "land-ai-workbench", "display_name": "Land-AI Workbench", "language": "python"}
    if env_inline is not None:
        nb.cells.insert(0, nbformat.v4.new_code_cell(f"import os; os.environ['WORKBENCH_INLINE'] = {env_inline!r}"))
    try:
        NotebookClient(nb, timeout=300, kernel_name="land-ai-workbench", resources={"metadata": {"path": str(tmp_path)}}).execute()
    except Exception as err:  # the kernel is registered by `make venv`
        if "No such kernel" in str(err):
            pytest.skip(f"the land-ai-workbench kernel is not installed: {err}")
        raise
    return nb


def _javascript(cell) -> str:
    return "".join(str(o.get("data", {}).get("application/javascript", "")) + str(o.get("data", {}).get("text/html", "")) for o in cell.outputs)


def _remote_resources(cell) -> list[str]:
    """URLs the cell's loader scripts ask the browser to fetch."""
    found = []
    for _, listed in LOADER_LISTS.findall(_javascript(cell)):
        found += re.findall(r"https?://[^\"']+", listed)
    return found


PLOT_CELLS = [
    "import workbench as wb\nwb.setup()",
    "import numpy as np, xarray as xr\nda = xr.DataArray(np.arange(12.0).reshape(3, 4), dims=('lat', 'lon'), coords={'lat': [1, 2, 3], 'lon': [1, 2, 3, 4]}, name='x', attrs={'units': '1'})\nwb.viz.plot_map(da)",
    "import hvplot.xarray\nda.hvplot.line(x='lon', by='lat')",
]


def test_setup_inlines_bokehjs_and_no_output_references_a_cdn(tmp_path):
    nb = _run(PLOT_CELLS, tmp_path)
    setup_js = _javascript(nb.cells[0])
    assert LOADER_LISTS.search(setup_js), "the set-up cell emits no resource loader at all"
    assert len(setup_js) > 1_000_000, "BokehJS itself (megabytes) must be embedded by the set-up cell"
    for i, cell in enumerate(nb.cells):
        found = _remote_resources(cell)
        assert not found, f"cell {i} points the browser at a CDN: {found[:3]}"
    # Stylesheets referenced by the plots' Bokeh documents are inlined too.
    for i, cell in enumerate(nb.cells[1:], start=1):
        assert "https://cdn.holoviz.org" not in _javascript(cell), f"cell {i} links a stylesheet on cdn.holoviz.org"
    # Later plotting cells do not re-embed the libraries (notebooks stay small).
    assert len(_javascript(nb.cells[1])) < 200_000


def test_without_inlining_the_page_would_need_the_cdn(tmp_path):
    # The control experiment: the same cells with inlining switched off do reference the CDN,
    # so the test above would catch a regression of the inline setting.
    nb = _run(PLOT_CELLS, tmp_path, env_inline="0")
    assert any("cdn.bokeh.org" in url for cell in nb.cells for url in _remote_resources(cell))


def test_strict_outputs_name_empty_tables_and_plots_but_not_live_streams():
    import holoviews as hv
    import pandas as pd
    from holoviews.streams import Pipe

    from workbench._guard import empty_output_reason

    assert empty_output_reason(pd.DataFrame({"rmse": [float("nan")] * 2, "site": ["a", "b"]})) == (
        "DataFrame: every numeric value is missing (2 rows)")
    assert empty_output_reason(pd.DataFrame({"rmse": [0.5, float("nan")]})) is None
    assert empty_output_reason(hv.Curve([]).relabel("empty")) == "Curve 'empty' has no data points"
    assert "only missing values" in empty_output_reason(hv.Curve([(0, float("nan")), (1, float("nan"))]))
    assert empty_output_reason(hv.Curve([(0, 1.0)]) + hv.Scatter([])) == "Scatter 'Scatter' has no data points"
    assert empty_output_reason(hv.DynamicMap(hv.Curve, streams=[Pipe(data=[])])) is None
    assert empty_output_reason(hv.Curve([(0, 1.0), (1, 2.0)])) is None

"""Drive JupyterLab in headless Chromium: start a server, run a notebook, record what a user would see.

The harness is split in two: :class:`LabServer` and :func:`run_notebook` collect facts
(cell outputs, rendered Bokeh canvases, widget views, console messages, off-host
requests, files written) into a :class:`NotebookRun`; the ``check_*`` functions turn
those facts into a list of problems, empty when the notebook is fine. The tests assert
the lists are empty for every study notebook, and that they are *not* empty for a
fixture notebook that breaks the offline set-up on purpose.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

KERNEL_NAME = "land-ai-workbench"
KERNEL_DISPLAY_NAME = "Land-AI Workbench"

#: Flags the issue asks for; ``--headless`` is passed explicitly rather than via playwright's default.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)

HOLOVIEWS_MIME = "application/vnd.holoviews_exec.v0+json"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
ERROR_MIME = "application/vnd.jupyter.error"

#: User settings that make JupyterLab's first run deterministic and the page fully rendered.
LAB_SETTINGS = {
    # No "Would you like to get notified about official Jupyter news?" toast, no update check.
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    # Attach every cell to the DOM, so off-screen plots are rendered and can be inspected.
    # (and no blank "scroll past end" space under the last cell in the screenshots).
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none", "scrollPastEnd": False},
    # Never write the executed notebook back into the repository.
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    # The extension manager queries PyPI; keep the page offline.
    "@jupyterlab/extensionmanager-extension/plugin": {"enabled": False},
}

#: Marks the control the tests move, which must redraw a plot: a CSS class on the widget
#: (``slider.add_class("demo-control")``), or a tag on the code cell whose first slider/dropdown it is.
DEMO_CONTROL_TAG = "demo-control"

#: Folders a notebook may write into: the (git-ignored) run folders where studies keep their results.
ALLOWED_RUN_DIRS = ("runs",)

_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def find_chromium() -> str | None:
    """Path of Debian's Chromium, or None when it is not installed."""
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_local_url(url: str) -> bool:
    """Whether ``url`` stays on this machine (localhost, data:, blob:, about:).

    >>> is_local_url("http://127.0.0.1:8888/lab"), is_local_url("https://cdn.bokeh.org/bokeh.js")
    (True, False)
    """
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about", "chrome", "chrome-extension", "devtools"}:
        return True
    return parts.hostname in _LOCAL_HOSTS


def write_lab_settings(settings_dir: Path) -> None:
    """Write :data:`LAB_SETTINGS` as JupyterLab user settings under ``settings_dir``."""
    for plugin, values in LAB_SETTINGS.items():
        path = settings_dir / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=2))


class LabServer:
    """A JupyterLab server on a free localhost port with a random token.

    It is started from the running interpreter (the project's ``.venv`` under
    ``make test``) so the ``land-ai-workbench`` kernel, installed with
    ``--sys-prefix``, is found. User settings, workspaces, configuration and
    runtime files live in ``workdir``; extra environment variables (``WORKBENCH_FAST=1``)
    reach every kernel, which inherits the server's environment.
    """

    def __init__(self, root_dir: Path, workdir: Path, env: dict[str, str] | None = None):
        self.root_dir = Path(root_dir).resolve()
        self.workdir = Path(workdir)
        self.extra_env = dict(env or {})
        self.token = secrets.token_hex(16)
        self.port: int | None = None
        self.process: subprocess.Popen | None = None
        self.log_path = self.workdir / "jupyterlab.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url_for(self, notebook: Path) -> str:
        """Lab URL that opens ``notebook`` (a path below ``root_dir``) alone, in a fresh workspace."""
        rel = Path(notebook).resolve().relative_to(self.root_dir).as_posix()
        workspace = "wb-" + "".join(c if c.isalnum() else "-" for c in rel)
        # ?reset: do not restore tabs (and kernels) of notebooks opened earlier in this session.
        return f"{self.base_url}/lab/workspaces/{workspace}/tree/{rel}?reset&token={self.token}"

    def _command(self) -> list[str]:
        return [
            sys.executable, "-m", "jupyter", "lab",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            "--ServerApp.open_browser=False",
            f"--ServerApp.root_dir={self.root_dir}",
            f"--LabApp.user_settings_dir={self.workdir / 'user-settings'}",
            f"--LabApp.workspaces_dir={self.workdir / 'workspaces'}",
            # window.jupyterapp: run cells and read the notebook model as JupyterLab sees it.
            "--LabApp.expose_app_in_browser=True",
            # JupyterLab checkpoints a notebook when opening it: keep those files out of the repository.
            f"--FileCheckpoints.checkpoint_dir={self.workdir / 'checkpoints'}",
            *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        ]

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        # The notebooks must get inline resources from wb.setup(), not from the caller's shell.
        env.pop("BOKEH_RESOURCES", None)
        env.update(
            JUPYTER_CONFIG_DIR=str(self.workdir / "config"),
            JUPYTER_RUNTIME_DIR=str(self.workdir / "runtime"),
            JUPYTER_DATA_DIR=str(self.workdir / "data"),
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 90.0) -> LabServer:
        """Start the server and wait until its REST API answers."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        write_lab_settings(self.workdir / "user-settings")
        (self.workdir / "workspaces").mkdir(exist_ok=True)
        for attempt in range(3):
            self.port = _free_port()
            log = open(self.log_path, "ab")
            self.process = subprocess.Popen(
                self._command(), cwd=self.root_dir, env=self._environment(),
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
            log.close()
            if self._wait_ready(timeout):
                return self
            self.stop()
        raise RuntimeError(f"JupyterLab did not start; last log lines:\n{self.log_tail()}")

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        url = f"{self.base_url}/api/status?token={self.token}"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.3)
        return False

    def kernelspecs(self) -> dict:
        """The kernel specs the server offers (``/api/kernelspecs``)."""
        url = f"{self.base_url}/api/kernelspecs?token={self.token}"
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.load(response)

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the server (and its kernels) started by :meth:`start`."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@dataclass
class NotebookRun:
    """Everything the harness saw while running one notebook in the browser."""

    notebook: Path
    kernel_name: str | None = None
    run_completed: bool = False
    run_error: str | None = None
    cells: list[dict] = field(default_factory=list)
    dom: dict = field(default_factory=dict)
    iopub_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    offline_requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    widget_interaction: dict | None = None
    stray_files: list[str] = field(default_factory=list)
    screenshot: Path | None = None
    seconds: float = 0.0
    phases: dict = field(default_factory=dict)

    def summary(self) -> str:
        return (
            f"{self.notebook.name}: kernel={self.kernel_name} completed={self.run_completed} "
            f"cells={len(self.cells)} canvases={len(self.dom.get('canvases', []))} "
            f"widget views={self.dom.get('widget_views', 0)} {self.seconds:.1f}s"
        )


# --------------------------------------------------------------------------------------
# Files a notebook leaves behind
# --------------------------------------------------------------------------------------


def snapshot_files(folder: Path) -> dict[str, tuple[int, int]]:
    """Map of ``relative path -> (size, mtime_ns)`` for files below ``folder``.

    Files inside the documented run folders (:data:`ALLOWED_RUN_DIRS`) are left out.
    """
    folder = Path(folder)
    found = {}
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if any(part in ALLOWED_RUN_DIRS for part in rel.parts) or not path.is_file():
            continue
        stat = path.stat()
        found[rel.as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return found


def changed_files(before: dict, after: dict) -> list[str]:
    """Files created, modified or deleted between two :func:`snapshot_files` calls.

    >>> changed_files({"a.ipynb": (1, 1)}, {"a.ipynb": (1, 2), "model.pt": (5, 3)})
    ['a.ipynb (modified)', 'model.pt (created)']
    """
    out = []
    for name in sorted(set(before) | set(after)):
        if name not in before:
            out.append(f"{name} (created)")
        elif name not in after:
            out.append(f"{name} (deleted)")
        elif before[name] != after[name]:
            out.append(f"{name} (modified)")
    return out


# --------------------------------------------------------------------------------------
# JavaScript run in the page (window.jupyterapp is exposed by --LabApp.expose_app_in_browser)
# --------------------------------------------------------------------------------------

_JS_FIND_PANEL = """
async (path) => {
  const app = window.jupyterapp;
  if (!app) { return {state: 'no-app'}; }
  await app.started; await app.restored;
  const panel = app.shell.currentWidget;
  if (!panel || !panel.context || panel.context.path !== path) { return {state: 'opening'}; }
  window.__wb = window.__wb || {panel, iopubErrors: []};
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return {state: kernel ? 'kernel' : 'waiting', kernel: kernel ? kernel.name : null,
          status: kernel ? kernel.status : null};
}
"""

_JS_START_RUN = """
() => {
  const {panel} = window.__wb;
  panel.sessionContext.iopubMessage.connect((_, msg) => {
    const c = msg.content || {};
    if (msg.header.msg_type === 'error') {
      window.__wb.iopubErrors.push(`${c.ename}: ${c.evalue}`);
    } else if (msg.header.msg_type === 'stream' && c.name === 'stderr' &&
               String(c.text).includes('Traceback (most recent call last)')) {
      window.__wb.iopubErrors.push(String(c.text).slice(0, 2000));
    }
  });
  window.__wb.done = undefined;
  window.jupyterapp.commands.execute('notebook:run-all-cells').then(
    (ok) => { window.__wb.done = {ok: ok !== false}; },
    (err) => { window.__wb.done = {ok: false, error: String(err)}; });
}
"""

_JS_KERNEL_IDLE = """
() => { const k = window.__wb.panel.sessionContext.session.kernel;
        return k && k.status === 'idle'; }
"""

# Helpers shared by the inspection snippets: Bokeh 3 renders into (open) shadow roots.
_JS_DEEP = """
const deepAll = (root, test, acc = []) => {
  for (const el of root.querySelectorAll('*')) {
    if (test(el)) { acc.push(el); }
    if (el.shadowRoot) { deepAll(el.shadowRoot, test, acc); }
  }
  return acc;
};
const size = (el) => { const r = el.getBoundingClientRect(); return [Math.round(r.width), Math.round(r.height)]; };
const isBokeh = (el) => el.tagName.toLowerCase().startsWith('bk-') ||
  [...el.classList].some((c) => c.startsWith('bk-'));
const painted = (canvas) => {
  // Count colours on a coarse grid: a blank canvas has one.
  try {
    const ctx = canvas.getContext('2d');
    if (!ctx || !canvas.width || !canvas.height) { return null; }
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    const seen = new Set();
    const step = Math.max(1, Math.floor(data.length / 4 / 4000));
    for (let i = 0; i < data.length / 4; i += step) {
      seen.add(`${data[4*i]},${data[4*i+1]},${data[4*i+2]},${data[4*i+3]}`);
      if (seen.size > 1) { return true; }
    }
    return false;
  } catch (e) { return null; }
};
const canvasInfo = (root) => deepAll(root, (el) => el.tagName === 'CANVAS')
  .map((c) => ({size: size(c), painted: painted(c)}));
const hasBokehView = (root) => deepAll(root, isBokeh).some((el) => { const [w, h] = size(el); return w > 0 && h > 0; });
// What must be drawn: each displayed HoloViews/Panel object (its bundle has text/plain; the
// extension's own state outputs have none), and every Bokeh document nested in a widget.
const plotTargets = () => {
  const targets = [];
  for (const cell of window.__wb.panel.content.widgets) {
    if (cell.model.type !== 'code') { continue; }
    const area = cell.outputArea;
    for (let j = 0; j < area.model.length; j++) {
      const data = area.model.get(j).toJSON().data || {};
      if (data['%s'] !== undefined && data['text/plain'] !== undefined && area.widgets[j]) {
        targets.push(area.widgets[j].node);
      }
    }
  }
  for (const el of document.querySelectorAll('.jupyter-widgets [data-root-id]')) { targets.push(el); }
  return targets;
};
""" % HOLOVIEWS_MIME

_JS_PLOTS_RENDERED = (
    "() => {"
    + _JS_DEEP
    + """
  return plotTargets().every((el) => hasBokehView(el));
}"""
)

_JS_COLLECT = (
    "() => {"
    + _JS_DEEP
    + """
  const {panel} = window.__wb;
  const controlsIn = (el) => [...el.querySelectorAll(
      '.widget-slider, .widget-dropdown, .widget-text, .widget-checkbox, .widget-toggle-buttons, .widget-button, .widget-select')]
    .map((c) => ({cls: c.className, size: size(c), visible: c.checkVisibility()}));
  const cells = panel.content.widgets.map((cell, index) => {
    const m = cell.model;
    const info = {index, type: m.type, source: m.sharedModel.getSource().slice(0, 300)};
    if (m.type !== 'code') { return info; }
    info.execution_count = m.executionCount;
    info.outputs = [];
    const area = cell.outputArea;
    for (let j = 0; j < area.model.length; j++) {
      const out = area.model.get(j).toJSON();
      const node = area.widgets[j] ? area.widgets[j].node : null;
      const rendered = node ? node.querySelector('.jp-OutputArea-output') : null;
      const data = out.data || {};
      info.outputs.push({
        output_type: out.output_type,
        mimes: Object.keys(data),
        text_plain: String(data['text/plain'] || '').slice(0, 300),
        ename: out.ename || null, evalue: out.evalue || null,
        stream: out.output_type === 'stream' ? `${out.name}: ${String(out.text).slice(0, 500)}` : null,
        // Custom renderers (PyViz, ipywidgets) leave data-mime-type unset; built-in ones set it.
        fallback_mime: rendered ? rendered.dataset.mimeType || null : null,
        has_output_node: !!rendered,
        canvases: node ? canvasInfo(node) : [],
        bokeh_view: node ? hasBokehView(node) : false,
        widget_view: node ? !!node.querySelector('.jupyter-widgets') : false,
        controls: node ? controlsIn(node) : [],
        size: rendered ? size(rendered) : [0, 0],
        text: node ? node.innerText.slice(0, 300) : '',
      });
    }
    return info;
  });
  const roots = [...document.querySelectorAll('.jupyter-widgets [data-root-id]')]
    .map((el) => ({canvases: canvasInfo(el), bokeh_view: hasBokehView(el), size: size(el)}));
  const errorNodes = [...document.querySelectorAll('.jp-RenderedText[data-mime-type="%s"]')]
    .map((el) => el.innerText.slice(0, 500));
  const body = document.body.innerText;
  return {
    cells,
    bokeh_roots: roots,
    widget_views: document.querySelectorAll('.jupyter-widgets').length,
    error_nodes: errorNodes,
    canvases: canvasInfo(document.body),
    widget_error_text: body.includes('Error displaying widget'),
    iopub_errors: window.__wb.iopubErrors,
  };
}"""
    % ERROR_MIME
)

_JS_FULL_HEIGHT = """
() => {
  const app = window.jupyterapp;
  app.shell.collapseLeft(); app.shell.collapseRight();
  const notebook = window.__wb.panel.content.node;
  const scroller = notebook.querySelector('.jp-WindowedPanel-outer') || notebook;
  const content = notebook.querySelector('.jp-WindowedPanel-viewport') || scroller;
  scroller.scrollTop = 0;
  return Math.ceil(content.getBoundingClientRect().height + window.innerHeight - scroller.clientHeight + 40);
}
"""

_JS_BLANK_BELOW = """
() => {
  const notebook = window.__wb.panel.content.node;
  const scroller = notebook.querySelector('.jp-WindowedPanel-outer') || notebook;
  const cells = notebook.querySelectorAll('.jp-Cell');
  if (!cells.length) { return 0; }
  return Math.floor(scroller.getBoundingClientRect().bottom - cells[cells.length - 1].getBoundingClientRect().bottom);
}
"""

_JS_SHUTDOWN = """
async () => { if (window.__wb && window.__wb.panel) { await window.__wb.panel.sessionContext.shutdown(); } }
"""


# --------------------------------------------------------------------------------------
# Running one notebook
# --------------------------------------------------------------------------------------


def _handle_dialog(page, run: NotebookRun) -> bool:
    """Answer a JupyterLab dialog if one is open; return whether one was."""
    dialog = page.locator(".jp-Dialog")
    if dialog.count() == 0 or not dialog.first.is_visible():
        return False
    text = dialog.first.inner_text()
    run.dialogs.append(" ".join(text.split())[:200])
    select = dialog.first.locator("select")
    if select.count():
        # Kernel choice: always the project kernel.
        select.first.select_option(label=KERNEL_DISPLAY_NAME)
    dialog.first.locator(".jp-Dialog-button.jp-mod-accept").first.click()
    return True


def _open(page, server: LabServer, notebook: Path, run: NotebookRun, timeout: float) -> None:
    rel = Path(notebook).resolve().relative_to(server.root_dir).as_posix()
    page.goto(server.url_for(notebook), wait_until="domcontentloaded")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _handle_dialog(page, run)
        state = page.evaluate(_JS_FIND_PANEL, rel) if page.evaluate("() => !!window.jupyterapp") else {}
        if state.get("state") == "kernel" and state.get("status") == "idle":
            run.kernel_name = state["kernel"]
            return
        page.wait_for_timeout(250)
    raise TimeoutError(f"{rel}: no idle kernel after {timeout:.0f} s (last state {state}, dialogs {run.dialogs})")


def _canvas_shots(page) -> list[bytes]:
    """PNG bytes of every Bokeh canvas on the page, in document order."""
    page.mouse.move(1, 1)  # keep the pointer off the plots: no hover tooltips in the shots
    shots = []
    for element in page.locator(".bk-Canvas").all():
        try:
            shots.append(element.screenshot(timeout=5000))
        except Exception:  # an element that vanished mid-way counts as a change below
            shots.append(b"")
    return shots


_CONTROLS = ".widget-slider, .widget-dropdown select"

_JS_MARK_DEMO_CELL = """
(tag) => {
  for (const cell of window.__wb.panel.content.widgets) {
    const tags = cell.model.getMetadata('tags') || [];
    if (tags.includes(tag)) { cell.node.setAttribute('data-wb-demo', ''); return true; }
  }
  return false;
}
"""


def _change_control(page, control) -> tuple[str, str | None]:
    """Move a slider one step (keyboard on its handle) or pick another dropdown option."""
    kind = control.evaluate("(el) => el.tagName === 'SELECT' ? 'dropdown' : 'slider'")
    if kind == "dropdown":
        current = control.input_value()
        values = [o.get_attribute("value") for o in control.locator("option").all()]
        target = next((v for v in values if v != current), None)
        if target is None:
            return kind, None
        control.select_option(value=target)
        return kind, f"dropdown {current!r} -> {target!r}"
    readout = control.locator(".widget-readout").first
    old = readout.inner_text() if readout.count() else "?"
    control.locator(".noUi-handle").first.focus()
    page.keyboard.press("ArrowRight")
    if readout.count() and readout.inner_text() == old:  # already at the right end
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")
    return kind, f"slider {old} -> {readout.inner_text() if readout.count() else '?'}"


def _wait_for_change(page, before: list[bytes], timeout: float) -> list[bytes]:
    """Canvas shots once they differ from ``before`` (kernel idle), or the last ones after ``timeout``."""
    deadline = time.monotonic() + timeout
    after = before
    while time.monotonic() < deadline:
        page.wait_for_timeout(500)
        if not page.evaluate(_JS_KERNEL_IDLE):
            continue
        after = _canvas_shots(page)
        if after != before:
            break
    return after


def _drive_first_control(page, timeout: float) -> dict | None:
    """Change the demo control; report whether any Bokeh canvas changed.

    The demo control is, in this order: the first slider or dropdown given the CSS class
    :data:`DEMO_CONTROL_TAG` (``widget.add_class("demo-control")``); the first slider or
    dropdown in the output of the code cell tagged :data:`DEMO_CONTROL_TAG`; the first on the page.
    Widgets that apply their settings with a button (train, search) get the first
    button in the control's cell pressed when the change alone redraws nothing.
    """
    marked = page.locator(f".widget-slider.{DEMO_CONTROL_TAG}, .widget-dropdown.{DEMO_CONTROL_TAG} select")
    if marked.count():
        marked_by, candidates = "class", marked
    else:
        tagged = page.evaluate(_JS_MARK_DEMO_CELL, DEMO_CONTROL_TAG)
        marked_by = "cell-tag" if tagged else "first-on-page"
        scope = "[data-wb-demo] " if tagged else ""
        candidates = page.locator(", ".join(scope + sel for sel in _CONTROLS.split(", ")))
    if candidates.count() == 0:
        if marked_by == "cell-tag":
            return {"kind": None, "changed": False, "marked_by": marked_by,
                    "detail": f"the cell tagged {DEMO_CONTROL_TAG!r} shows no slider or dropdown"}
        return None
    control = candidates.first
    before = _canvas_shots(page)
    kind, detail = _change_control(page, control)
    if detail is None:
        return {"kind": kind, "changed": False, "marked_by": marked_by, "detail": "dropdown has a single option"}
    cell = control.locator("xpath=ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' jp-Cell ')][1]")
    button = cell.locator(".widget-button").first
    has_button = button.count() > 0
    after = _wait_for_change(page, before, min(5.0, timeout) if has_button else timeout)
    if after == before and has_button:
        detail += f", then pressed {button.inner_text().strip()!r}"
        button.click()
        after = _wait_for_change(page, before, timeout)
    return {"kind": kind, "changed": after != before, "detail": detail, "marked_by": marked_by,
            "canvases_before": len(before), "canvases_after": len(after)}


def run_notebook(browser_context, server: LabServer, notebook: Path, *, artifacts: Path,
                 docs_dir: Path | None = None, run_timeout: float = 600.0,
                 render_timeout: float = 30.0, widget_timeout: float = 30.0) -> NotebookRun:
    """Open ``notebook`` in JupyterLab, run every cell with the project kernel and inspect the page.

    Parameters
    ----------
    browser_context : playwright.sync_api.BrowserContext
        Context whose non-local requests are already blocked and recorded (see :func:`block_off_host`).
    server : LabServer
        A started server whose ``root_dir`` contains ``notebook``.
    notebook : Path
        The notebook to run.
    artifacts : Path
        Folder for the full-page screenshot ``<stem>.png`` and the collected facts ``<stem>.json``.
    docs_dir : Path, optional
        When given, a compressed copy of the screenshot (< 400 KB) is written there too.
    run_timeout : float
        Time allowed for Run All [s] (generous: a fast-mode notebook takes 0.5-3 min on 2 idle cores, and CI machines vary).
    render_timeout : float
        Time allowed, after the kernel is idle, for every plot to be drawn [s].
    widget_timeout : float
        Time allowed for the plot to change after the demo control is moved [s].

    Returns
    -------
    NotebookRun
    """
    notebook = Path(notebook).resolve()
    run = NotebookRun(notebook=notebook)
    started = time.monotonic()
    before_files = snapshot_files(notebook.parent)
    page = browser_context.new_page()
    off_host_start = len(browser_context.wb_offline_requests)
    page.on("console", lambda msg: run.console_errors.append(msg.text[:500]) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: run.page_errors.append(str(exc)[:500]))
    page.on("requestfailed", lambda req: run.failed_requests.append(f"{req.url[:200]} ({req.failure})"))
    def lap(name):
        run.phases[name] = round(time.monotonic() - started - sum(run.phases.values()), 1)

    try:
        _open(page, server, notebook, run, timeout=90)
        lap("open")
        page.evaluate(_JS_START_RUN)
        try:
            page.wait_for_function("() => window.__wb.done !== undefined", timeout=run_timeout * 1000, polling=500)
            done = page.evaluate("() => window.__wb.done")
            run.run_completed, run.run_error = bool(done.get("ok")), done.get("error")
        except Exception as exc:  # keep what was found: the page is still inspected
            run.run_error = f"Run All did not finish in {run_timeout:.0f} s: {exc}"
        page.wait_for_function(_JS_KERNEL_IDLE, timeout=60_000, polling=250)
        lap("run")
        try:
            page.wait_for_function(_JS_PLOTS_RENDERED, timeout=render_timeout * 1000, polling=250)
        except Exception:
            pass  # reported by check_plots from the collected facts
        page.wait_for_timeout(300)
        lap("render")
        run.widget_interaction = _drive_first_control(page, timeout=widget_timeout)
        lap("widget")
        run.dom = page.evaluate(_JS_COLLECT)
        run.cells = run.dom.pop("cells")
        run.iopub_errors = run.dom.pop("iopub_errors")
        lap("collect")
        run.screenshot = _screenshot(page, notebook, artifacts, docs_dir)
        lap("screenshot")
    finally:
        try:
            page.evaluate(_JS_SHUTDOWN)
        except Exception:
            pass
        page.close()
        run.offline_requests = list(browser_context.wb_offline_requests[off_host_start:])
        run.stray_files = [
            change for change in changed_files(before_files, snapshot_files(notebook.parent))
            # Other notebooks being edited meanwhile (people, not this run) are not stray files.
            if not (change.endswith(".ipynb (modified)") and change != f"{notebook.name} (modified)")
        ]
        run.seconds = time.monotonic() - started
        save_facts(run, artifacts / f"{notebook.stem}.json")
    return run


def save_facts(run: NotebookRun, path: Path) -> Path:
    """Write everything the harness saw to ``path`` (JSON), to read when a check fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    facts = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(run).items()}
    path.write_text(json.dumps(facts, indent=1, default=str))
    return path


def _screenshot(page, notebook: Path, artifacts: Path, docs_dir: Path | None) -> Path:
    """Full-page screenshot of the whole notebook (sidebars collapsed, viewport as tall as the notebook)."""
    height = min(int(page.evaluate(_JS_FULL_HEIGHT)), 16000)
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": max(height, 600)})
    page.wait_for_timeout(800)
    # Plots re-laid out at the new size can leave blank space under the last cell: trim it.
    blank = int(page.evaluate(_JS_BLANK_BELOW))
    if blank > 40 and height - blank > 600:
        page.set_viewport_size({"width": width, "height": height - blank + 24})
        page.wait_for_timeout(300)
    artifacts.mkdir(parents=True, exist_ok=True)
    path = artifacts / f"{notebook.stem}.png"
    page.screenshot(path=str(path), full_page=True)
    if docs_dir is not None:
        compress_png(path, Path(docs_dir) / path.name)
    return path


def compress_png(source: Path, target: Path, max_bytes: int = 400_000) -> Path:
    """Write ``source`` to ``target`` as a palette PNG under ``max_bytes``.

    Fewer colours are tried first (no dithering, whose noise compresses badly; text
    stays sharp); only then is the image shrunk, by 10 % a step.
    """
    from PIL import Image

    target.parent.mkdir(parents=True, exist_ok=True)
    image = Image.open(source).convert("RGB")
    while True:
        for colors in (256, 128, 64):
            palette = image.quantize(colors=colors, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
            palette.save(target, optimize=True)
            if target.stat().st_size < max_bytes:
                return target
        if image.width < 200:
            return target
        image = image.resize((image.width * 9 // 10, image.height * 9 // 10), Image.Resampling.BOX)


def block_off_host(context) -> None:
    """Abort and record every request leaving localhost: the page sees what an offline laptop sees."""
    context.wb_offline_requests = []

    def handler(route):
        context.wb_offline_requests.append(route.request.url[:200])
        route.abort("internetdisconnected")

    context.route(lambda url: not is_local_url(url), handler)


# --------------------------------------------------------------------------------------
# Checks: each returns a list of problems, empty when the notebook is fine
# --------------------------------------------------------------------------------------


def check_execution(run: NotebookRun) -> list[str]:
    """Run All finished on the project kernel and every non-empty code cell has an execution count."""
    problems = []
    if run.kernel_name != KERNEL_NAME:
        problems.append(f"kernel is {run.kernel_name!r}, expected {KERNEL_NAME!r}")
    if not run.run_completed:
        problems.append(f"Run All did not complete: {run.run_error or 'a cell failed'}")
    for cell in run.cells:
        if cell["type"] == "code" and cell["source"].strip() and cell.get("execution_count") is None:
            problems.append(f"cell {cell['index']} has no execution count: {cell['source'][:60]!r}")
    return problems


def check_errors(run: NotebookRun) -> list[str]:
    """No error output, no traceback (also from widget callbacks), no 'Error displaying widget'."""
    problems = []
    for cell in run.cells:
        for out in cell.get("outputs", []):
            if out["output_type"] == "error":
                problems.append(f"cell {cell['index']}: {out['ename']}: {out['evalue']}")
            elif out["stream"] and "Traceback (most recent call last)" in out["stream"]:
                problems.append(f"cell {cell['index']}: traceback on {out['stream'][:300]}")
    problems += [f"error output shown: {text[:200]}" for text in run.dom.get("error_nodes", [])]
    problems += [f"kernel error message: {text[:300]}" for text in run.iopub_errors]
    if run.dom.get("widget_error_text"):
        problems.append("page shows 'Error displaying widget'")
    return sorted(set(problems), key=problems.index)


def _live_canvases(canvases: list[dict]) -> list[dict]:
    return [c for c in canvases if c["size"][0] > 0 and c["size"][1] > 0 and c["painted"] is not False]


def _is_holoviews_repr(text_plain: str) -> bool:
    """HoloViews elements, overlays and layouts repr as ``:Curve [x] (y)``; Panel layouts holding plots name them."""
    return text_plain.startswith(":") or "HoloViews(" in text_plain or "Bokeh(" in text_plain


def check_plots(run: NotebookRun) -> list[str]:
    """Every HoloViews/hvplot/Panel output is drawn by BokehJS; HoloViews plots have a painted canvas."""
    problems = []
    n_outputs = 0
    for cell in run.cells:
        for out in cell.get("outputs", []):
            # The extension's own state outputs carry no text/plain and draw nothing.
            if HOLOVIEWS_MIME not in out["mimes"] or "text/plain" not in out["mimes"]:
                continue
            n_outputs += 1
            where = f"cell {cell['index']} ({out['text_plain'][:40]!r})"
            if not out["has_output_node"]:
                problems.append(f"{where}: output not in the page")
            elif out["fallback_mime"] is not None:
                problems.append(f"{where}: shown as {out['fallback_mime']}, not by the PyViz renderer")
            elif not out["bokeh_view"]:
                problems.append(f"{where}: no rendered Bokeh view (blank output)")
            elif _is_holoviews_repr(out["text_plain"]) and not _live_canvases(out["canvases"]):
                problems.append(f"{where}: no painted Bokeh canvas of non-zero size")
    roots = run.dom.get("bokeh_roots", [])
    blank = [i for i, root in enumerate(roots) if not root["bokeh_view"]]
    if blank:
        problems.append(f"{len(blank)} of {len(roots)} Bokeh documents inside widgets not drawn")
    if (n_outputs or roots) and not _live_canvases(run.dom.get("canvases", [])):
        problems.append(f"{n_outputs} HoloViews/Panel outputs but no painted canvas on the page")
    return problems


def _counted(prefix: str, items: list[str]) -> list[str]:
    """One line per distinct item, with how often it occurred."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return [f"{prefix}{item}" + (f" (x{n})" if n > 1 else "") for item, n in counts.items()]


def check_resources(run: NotebookRun) -> list[str]:
    """No request left localhost (CDN), no failed load, no uncaught script error."""
    problems = _counted("off-host request (blocked, offline): ", run.offline_requests)
    problems += _counted("failed request: ", run.failed_requests)
    problems += _counted("console: ", [msg for msg in run.console_errors if "Failed to load resource" in msg
                                       or "failed to load" in msg or "net::" in msg or "bokeh" in msg.lower()])
    problems += _counted("uncaught page error: ", run.page_errors)
    return problems


def check_widgets(run: NotebookRun) -> list[str]:
    """Every ipywidgets view renders; the first slider/dropdown changes a Bokeh plot."""
    problems = []
    for cell in run.cells:
        for out in cell.get("outputs", []):
            if WIDGET_MIME not in out["mimes"]:
                continue
            where = f"cell {cell['index']} ({out['text_plain'][:40]!r})"
            text = out["text"].strip()
            # A widget closed by its own code (tqdm's finished bars with leave=False) leaves an empty
            # output; a failed one shows the text/plain fallback, "Loading widget..." or an error.
            if out["fallback_mime"] is not None or "Loading widget" in text or "Error displaying" in text:
                problems.append(f"{where}: widget not rendered: {text[:120]!r}")
            elif not out["widget_view"] and text:
                problems.append(f"{where}: widget view missing, output shows {text[:120]!r}")
            for control in out["controls"]:
                if control["visible"] and 0 in control["size"]:
                    problems.append(f"{where}: control {control['cls']!r} is visible with zero size")
    interaction = run.widget_interaction
    if interaction is not None and not interaction["changed"]:
        which = {
            "class": f"the control with class {DEMO_CONTROL_TAG!r}",
            "cell-tag": f"the first control in the cell tagged {DEMO_CONTROL_TAG!r}",
        }.get(interaction["marked_by"], "the first slider/dropdown on the page")
        which += f" (mark the control that drives a plot: widget.add_class({DEMO_CONTROL_TAG!r}))"
        problems.append(f"changing {which} ({interaction['detail']}) did not change any Bokeh canvas")
    return problems


def check_stray_files(run: NotebookRun) -> list[str]:
    """Nothing created, modified or deleted next to the notebook, except in the run folders (``runs/``)."""
    return [f"{run.notebook.parent.name}/{name}" for name in run.stray_files]

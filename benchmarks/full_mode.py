"""Run notebooks in full mode, headless, as a user would, and record what they show (``make full``).

For each notebook: execute it with nbclient on the project kernel in its own
folder (``notebooks/``), with ``WORKBENCH_FAST`` unset; fail on any error output
or traceback, or when it runs past ``--limit`` seconds (20 minutes by default);
write ``docs/full_mode/<notebook>.json`` (wall time, cells, the headline results
each notebook reports with ``wb.headline``, the machine, the commit) and then
rebuild ``docs/full_mode.md`` from every JSON record there, so notebooks run on
different days or machines can be reported together. A rendered copy of each
executed notebook goes to ``docs/notebooks/<notebook>.html`` (plots load BokehJS
from its public CDN there: the copy is for reading online before running); a copy over
2 MiB is not written.

    usage: python benchmarks/full_mode.py [NOTEBOOK ...] [--limit S] [--no-html] [--report-only]

Ends with ``RESULT notebooks=<n> failed=<n> total_wall_s=<s> max_wall_s=<s>``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ROOT = Path(__file__).resolve().parents[1]
RECORDS = ROOT / "docs" / "full_mode"
REPORT = ROOT / "docs" / "full_mode.md"
RENDERED = ROOT / "docs" / "notebooks"
KERNEL = "land-ai-workbench"
HEADLINE_MIME = "application/vnd.land-ai-workbench.headline+json"
LIMIT_S = 1200
HTML_LIMIT_BYTES = 2 * 2**20


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "notebooks", "workbench"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        return out.stdout.strip() + ("+uncommitted" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _problems(nb) -> list[str]:
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "error":
                found.append(f"cell {index}: {output.get('ename')}: {output.get('evalue')}")
            elif output.get("output_type") == "stream" and "Traceback (most recent call last)" in output.get("text", ""):
                found.append(f"cell {index}: a traceback on {output.get('name')}")
    return found


def _headlines(nb) -> list[dict]:
    return [output["data"][HEADLINE_MIME] for cell in nb.cells if cell.cell_type == "code"
            for output in cell.get("outputs", []) if HEADLINE_MIME in output.get("data", {})]


def _warnings(nb) -> int:
    return sum(output.get("text", "").count("Warning:") for cell in nb.cells if cell.cell_type == "code"
               for output in cell.get("outputs", []) if output.get("output_type") == "stream" and output.get("name") == "stderr")


def run_notebook(path: Path, *, limit: float, html: bool) -> dict:
    """Execute one notebook in full mode; return its record (also written as JSON)."""
    nb = nbformat.read(path, as_version=4)
    env_before = dict(os.environ)
    os.environ.pop("WORKBENCH_FAST", None)
    # The rendered copy is read online; inline BokehJS would add megabytes to every copy.
    os.environ["WORKBENCH_INLINE"] = "0" if html else os.environ.get("WORKBENCH_INLINE", "1")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=limit, allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    fatal = None
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError, RuntimeError) as err:
        fatal = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    wall = time.perf_counter() - start
    problems = _problems(nb) + ([fatal] if fatal else [])
    if wall > limit:
        problems.append(f"ran {wall:.0f} s, over the {limit:.0f} s limit")
    record = {
        "notebook": path.name,
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _git_commit(),
        "wall_s": round(wall, 1),
        "code_cells": sum(c.cell_type == "code" for c in nb.cells),
        "ok": not problems,
        "problems": problems,
        "warnings_on_stderr": _warnings(nb),
        "headline": _headlines(nb),
        "machine": {"cpus": os.cpu_count(), "load_at_start": round(load, 2), "python": platform.python_version(),
                    "platform": platform.platform(terse=True)},
    }
    RECORDS.mkdir(parents=True, exist_ok=True)
    (RECORDS / f"{path.stem}.json").write_text(json.dumps(record, indent=1) + "\n")
    if html:
        from nbconvert import HTMLExporter

        RENDERED.mkdir(parents=True, exist_ok=True)
        body, _ = HTMLExporter().from_notebook_node(nb)
        target = RENDERED / f"{path.stem}.html"
        if len(body.encode()) > HTML_LIMIT_BYTES:
            # Plot data is embedded in the page; the project keeps tracked files under 2 MiB.
            print(f"{path.name}: rendered copy is {len(body.encode()) / 2**20:.1f} MiB, over "
                  f"{HTML_LIMIT_BYTES / 2**20:.0f} MiB; not written (run the notebook to see it)")
            target.unlink(missing_ok=True)
        else:
            target.write_text(body)
    return record


def _value(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _changed_since(record: dict) -> bool:
    """Whether the notebook has commits that the recorded run did not contain."""
    commit = record.get("commit", "unknown").split("+")[0]
    try:
        last = subprocess.run(["git", "log", "-1", "--format=%H", "--", f"notebooks/{record['notebook']}"],
                              cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        return bool(last) and subprocess.run(["git", "merge-base", "--is-ancestor", last, commit], cwd=ROOT,
                                             capture_output=True).returncode != 0
    except (OSError, subprocess.CalledProcessError):
        return False


def write_report() -> Path:
    """Rebuild docs/full_mode.md from every record in docs/full_mode/."""
    records = [json.loads(p.read_text()) for p in sorted(RECORDS.glob("*.json"))]
    lines = [
        "# Full mode, proven by running it",
        "",
        "Each notebook run headless in full mode (`WORKBENCH_FAST` unset) by `make full` "
        "(`benchmarks/full_mode.py`), as a user would run it; a run fails on any error output or past "
        f"{LIMIT_S // 60} minutes. Wall times are on the machine named, which may have been shared with other work "
        "(the load average at the start is given). Rendered copies of the executed notebooks are in `docs/notebooks/` (none where a copy would be over 2 MiB).",
        "",
        "| notebook | result | wall time | code cells | date | commit | CPUs (load at start) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in records:
        result = "ok" if r["ok"] else "FAILED: " + "; ".join(r["problems"])
        if _changed_since(r):
            result += " (the notebook changed after this run)"
        m = r["machine"]
        lines.append(f"| `{r['notebook']}` | {result} | {r['wall_s'] / 60:.1f} min ({r['wall_s']:.0f} s) | "
                     f"{r['code_cells']} | {r['date']} | {r['commit']} | {m['cpus']} ({m['load_at_start']}) |")
    recorded = {r["notebook"] for r in records}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        if path.name not in recorded:
            lines.append(f"| `{path.name}` | NOT RECORDED: no full-mode run yet (`make full NOTEBOOKS=notebooks/{path.name}`) "
                         "| | | | | |")
    lines += ["", "## Headline results", ""]
    for r in records:
        lines.append(f"### `{r['notebook']}`")
        lines.append("")
        if not r["headline"]:
            lines += ["(no `wb.headline` in this notebook)", ""]
        for h in r["headline"]:
            lines.append(f"**{h['title']}** ({h['mode']} mode)")
            lines.append("")
            lines += ["| result | value |", "|---|---|"]
            lines += [f"| {k} | {_value(v)} |" for k, v in h["results"].items()]
            lines.append("")
    REPORT.write_text("\n".join(lines))
    return REPORT


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/*.ipynb")
    parser.add_argument("--limit", type=float, default=LIMIT_S, help="seconds allowed per notebook (default 1200)")
    parser.add_argument("--no-html", action="store_true", help="skip the rendered copies in docs/notebooks/")
    parser.add_argument("--report-only", action="store_true", help="only rebuild docs/full_mode.md from docs/full_mode/*.json")
    args = parser.parse_args(argv)
    if args.report_only:
        print(f"report: {write_report().relative_to(ROOT)}")
        return 0
    notebooks = [p.resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    records = []
    for path in notebooks:
        print(f"== {path.name}: running in full mode (limit {args.limit:.0f} s) ...", flush=True)
        record = run_notebook(path, limit=args.limit, html=not args.no_html)
        records.append(record)
        status = "ok" if record["ok"] else "FAILED " + "; ".join(record["problems"])
        print(f"   {record['wall_s']:.0f} s, {status}", flush=True)
        for h in record["headline"]:
            print("   " + h["title"] + ": " + ", ".join(f"{k}={_value(v)}" for k, v in h["results"].items()), flush=True)
    print(f"report: {write_report().relative_to(ROOT)}")
    failed = sum(not r["ok"] for r in records)
    walls = [r["wall_s"] for r in records] or [0.0]
    print(f"RESULT notebooks={len(records)} failed={failed} total_wall_s={sum(walls):.0f} max_wall_s={max(walls):.0f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

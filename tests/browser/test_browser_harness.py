"""The browser harness's own pieces, checked without a browser."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from PIL import Image

from _browser_lab import LAB_SETTINGS, changed_files, compress_png, snapshot_files, write_lab_settings

SCHEMAS = Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas"


@pytest.mark.parametrize("plugin", sorted(LAB_SETTINGS))
def test_lab_settings_match_jupyterlab_schema(plugin, tmp_path):
    """Every first-run setting names a real JupyterLab option with a valid value (a typo would be ignored silently)."""
    schema_path = SCHEMAS / f"{plugin}.json"
    assert schema_path.exists(), f"JupyterLab has no settings schema {schema_path}"
    schema = json.loads(schema_path.read_text())
    write_lab_settings(tmp_path)
    written = json.loads((tmp_path / f"{plugin}.jupyterlab-settings").read_text())
    assert written == LAB_SETTINGS[plugin]
    for key, value in written.items():
        assert key in schema["properties"], f"{plugin} has no setting {key!r}"
        jsonschema.validate(value, {**schema["properties"][key], "definitions": schema.get("definitions", {})})
        assert value != schema["properties"][key].get("default"), f"{plugin}:{key} repeats the default"


def test_compress_png_keeps_under_limit_and_shape(tmp_path):
    rng = np.random.default_rng(0)
    noisy = (rng.random((480, 400, 3)) * 255).astype("uint8")  # ~580 kB raw, incompressible
    source = tmp_path / "page.png"
    Image.fromarray(noisy).save(source)
    target = compress_png(source, tmp_path / "docs" / "page.png", max_bytes=60_000)
    assert target.stat().st_size < 60_000
    with Image.open(target) as small:
        assert small.mode == "P"  # palette PNG
        assert small.width < 400  # too noisy for colours alone: it had to shrink
        assert small.width / small.height == pytest.approx(400 / 480, rel=0.02)


def test_snapshot_ignores_run_folders_and_sees_everything_else(tmp_path):
    (tmp_path / "study.ipynb").write_text("{}")
    before = snapshot_files(tmp_path)
    (tmp_path / "runs" / "2026").mkdir(parents=True)
    (tmp_path / "runs" / "2026" / "model.pt").write_bytes(b"weights")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "study-checkpoint.ipynb").write_text("{}")
    (tmp_path / "study.ipynb").write_text('{"cells": []}')
    assert changed_files(before, snapshot_files(tmp_path)) == [
        ".ipynb_checkpoints/study-checkpoint.ipynb (created)",
        "study.ipynb (modified)",
    ]

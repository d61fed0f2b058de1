"""pyproject.toml, environment.yml and binder/ must name the same packages with the same pins."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from PyPI's.
CONDA_TO_PYPI = {"netcdf4": "netcdf4", "pytorch": "torch"}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(lines) -> dict[str, str]:
    pins = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)\s*(==|=)\s*([^\s;]+)", line)
        assert match, f"unpinned or unreadable requirement {line!r}"
        name = re.sub(r"\[.*\]", "", match.group(1))
        pins[_normalise(CONDA_TO_PYPI.get(name.lower(), name))] = match.group(3)
    return pins


@pytest.fixture(scope="module")
def pyproject():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return _pins(data["dependencies"]), _pins(data["optional-dependencies"]["test"])


@pytest.fixture(scope="module")
def conda():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda_lines = [d for d in env["dependencies"] if isinstance(d, str) and not d.startswith(("python=", "pip"))]
    pip_lines = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    return _pins(conda_lines) | _pins(pip_lines)


def test_every_pyproject_dependency_is_pinned_exactly(pyproject):
    runtime, test = pyproject
    assert runtime["torch"] == "2.13.0"
    assert len(runtime) >= 20 and len(test) >= 5


def test_conda_environment_matches_pyproject(pyproject, conda):
    runtime, test = pyproject
    assert conda == runtime | test


def test_binder_requirements_match_pyproject(pyproject):
    runtime, _ = pyproject
    binder = _pins((ROOT / "binder" / "requirements.txt").read_text().splitlines())
    assert binder == runtime


def test_binder_installs_the_package_and_kernel():
    post_build = (ROOT / "binder" / "postBuild").read_text()
    assert "pip install --no-deps -e ." in post_build
    assert "--name land-ai-workbench" in post_build


def test_pin_mismatch_is_detected():
    # The comparison above must notice a changed pin.
    assert _pins(["numpy==1.0"]) != _pins(["numpy==2.0"])
    with pytest.raises(AssertionError, match="unpinned"):
        _pins(["numpy>=1.0"])

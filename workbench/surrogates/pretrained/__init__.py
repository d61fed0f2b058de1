"""Small pretrained surrogates shipped with the workbench, and how they were made.

The checkpoints in this folder were written by :mod:`workbench.surrogates.pretrained.make`
(``python -m workbench.surrogates.pretrained.make``), a committed, seeded script;
``manifest.json`` records its settings, the torch version, the training time,
the held-out accuracy measured when they were made, and each file's sha256.
Fast mode of ``notebooks/01_surrogates.ipynb`` loads them instead of training;
full mode trains from scratch.

Names (see :func:`available_pretrained`):

* ``process_unconstrained``, ``process_soft``, ``process_hard``: canopy process
  surrogates (3x128 SiLU MLPs) without constraint, with soft physics penalties
  and with the energy balance closed by construction;
* ``emulator``: the one-year simulation emulator (2x128) of annual and monthly ET.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..model import SurrogateRegressor

__all__ = ["PRETRAINED_DIR", "available_pretrained", "load_pretrained", "pretrained_info"]

#: Folder holding the shipped checkpoints (package data).
PRETRAINED_DIR = Path(__file__).resolve().parent


def _manifest() -> dict:
    path = PRETRAINED_DIR / "manifest.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: the pretrained surrogates were not built; run "
                                "`python -m workbench.surrogates.pretrained.make`")
    return json.loads(path.read_text())


def available_pretrained() -> list[str]:
    """Names of the shipped pretrained surrogates."""
    return sorted(_manifest()["models"])


def pretrained_info(name: str) -> dict:
    """How the pretrained surrogate ``name`` was made: recipe, data, settings, measured accuracy, sha256.

    Examples
    --------
    >>> info = pretrained_info("process_hard")
    >>> info["config"]["closure"], info["script"]
    ('energy', 'python -m workbench.surrogates.pretrained.make')
    """
    manifest = _manifest()
    if name not in manifest["models"]:
        raise ValueError(f"no pretrained surrogate {name!r}; available: {sorted(manifest['models'])}")
    return {"script": manifest["script"], "torch": manifest["torch"], **manifest["models"][name]}


def load_pretrained(name: str, *, device: str = "cpu") -> SurrogateRegressor:
    """Load a shipped pretrained surrogate (``weights_only=True``), after checking its sha256.

    Parameters
    ----------
    name : str
        One of :func:`available_pretrained`.
    device : str, default "cpu"

    Returns
    -------
    SurrogateRegressor
        Fitted; ``history_`` holds its learning curve, ``pretrained_`` the
        :func:`pretrained_info` record.

    Raises
    ------
    ValueError
        For an unknown name, or a file whose sha256 differs from the manifest
        (re-run the make script, which rewrites both).
    """
    info = pretrained_info(name)
    path = PRETRAINED_DIR / info["file"]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != info["sha256"]:
        raise ValueError(f"{path} has sha256 {digest}, the manifest says {info['sha256']}: the file changed "
                         "after it was made; re-run `python -m workbench.surrogates.pretrained.make`")
    model = SurrogateRegressor.load(path, device=device)
    model.pretrained_ = info
    return model

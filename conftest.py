"""Test-session settings shared by the unit tests, the doctests and nbval: nothing is ever downloaded.

Real data come from the real-data folder (``../shared/data/real`` or ``$WORKBENCH_REAL_DATA``) or, in the
fetch-layer tests, from a local ``file://`` mirror; the user's own cache is never read or written.
"""

import os
import tempfile

os.environ.setdefault("WORKBENCH_OFFLINE", "1")
os.environ.setdefault("WORKBENCH_CACHE", tempfile.mkdtemp(prefix="workbench-test-cache-"))

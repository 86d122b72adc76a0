"""The CLI in a child process, as a user runs it, optionally killed at a named crash point
(shared by the kill tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from newsarchive import store as st


def run(root: Path, *args: str, crash_at: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("NEWSARCHIVE_ROOT", st.ENV_CRASH)}
    if crash_at:
        env[st.ENV_CRASH] = crash_at
    return subprocess.run([sys.executable, "-m", "newsarchive", "--root", str(root), *args],
                          capture_output=True, text=True, env=env, timeout=120)

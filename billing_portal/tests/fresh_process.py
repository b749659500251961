"""Run code in a new Python process on the portal's settings: for what a test process has already loaded."""

import os
import subprocess
import sys
from pathlib import Path


def output_of(code: str) -> list[str]:
    """The words the code printed on its last line."""
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "billing_portal.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return out.splitlines()[-1].split() if out else []

"""A web worker freezes what it loaded at start, so that full garbage collections do not scan it."""

import os
import subprocess
import sys
from pathlib import Path


def test_the_wsgi_application_loads_the_views_and_freezes_them():
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import gc, sys; import billing_portal.wsgi; print(gc.get_freeze_count(), 'quotes.views' in sys.modules)",
        ],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "billing_portal.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()

    frozen, views_loaded = int(out[-2]), out[-1]
    assert frozen > 50_000  # Django and the portal: over 100,000 objects
    assert views_loaded == "True"

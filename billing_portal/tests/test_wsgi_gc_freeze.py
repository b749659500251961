"""A web worker freezes what it loaded at start, so that full garbage collections do not scan it."""

from .fresh_process import output_of


def test_the_wsgi_application_loads_the_views_and_freezes_them():
    out = output_of(
        "import gc, sys; import billing_portal.wsgi; print(gc.get_freeze_count(), 'quotes.views' in sys.modules)"
    )

    frozen, views_loaded = int(out[-2]), out[-1]
    assert frozen > 50_000  # Django and the portal: over 100,000 objects
    assert views_loaded == "True"

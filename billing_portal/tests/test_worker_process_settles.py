"""A Celery pool process loads the PDF engine as it starts and freezes it, so that full garbage
collections during renders do not scan it."""

from .fresh_process import output_of

POOL_PROCESS_START = """
import gc, sys
import django
django.setup()
from celery.signals import worker_process_init
import billing_portal.celery
before = gc.get_freeze_count()
worker_process_init.send(sender=None)
print(before, gc.get_freeze_count(), "weasyprint" in sys.modules)
"""


def test_a_pool_process_loads_the_pdf_engine_and_freezes_it_as_it_starts():
    before, frozen, engine_loaded = output_of(POOL_PROCESS_START)

    assert int(before) == 0
    assert int(frozen) > 100_000  # Django, the portal, WeasyPrint and its fonts: about 130,000 objects
    assert engine_loaded == "True"

"""A Celery pool process loads the PDF engine as it starts and freezes it, so that full garbage
collections during renders do not scan it; it collects fully after each task rather than within one."""

from .fresh_process import output_of

POOL_PROCESS_START = """
import gc, logging, os, sys
{before_setup}
import django
django.setup()
from celery.signals import worker_process_init
from billing_portal import pdf
from billing_portal.celery import app
{before_start}
class Errors(logging.Handler):
    logged = 0
    def emit(self, record):
        Errors.logged += record.levelno >= logging.ERROR and record.exc_info is not None
logging.getLogger("billing_portal.celery").addHandler(Errors())
before = gc.get_freeze_count()
worker_process_init.send(sender=None)
engine_loaded = "weasyprint" in sys.modules
engine_frozen = engine_loaded and not any(obj is pdf._portal_html() for obj in gc.get_objects())  # in no generation
print(before, gc.get_freeze_count(), engine_loaded, engine_frozen, Errors.logged, app.conf.worker_proc_alive_timeout)
"""

AFTER_A_TASK = """
import gc, os, weakref
os.environ["PDF_PREPARE_AT_WORKER_START"] = "false"  # the engine plays no part here
import django
django.setup()
from celery.signals import task_postrun, worker_process_init
python_default = gc.get_threshold()[2]
{start}
full_collections_every = gc.get_threshold()[2]
gc.disable()  # only the collection after the task may free the cycle below
class Node:
    pass
node = Node()
node.me = node
left = weakref.ref(node)
del node
task_postrun.send(sender=None)
print(python_default, full_collections_every, left() is None)
"""


def start(*, before_setup: str = "", before_start: str = "") -> tuple[int, int, str, str, int]:
    before, frozen, engine_loaded, engine_frozen, errors, alive_timeout = output_of(
        POOL_PROCESS_START.format(before_setup=before_setup, before_start=before_start)
    )
    assert float(alive_timeout) == 30  # time to load the engine before Celery replaces the process (default 4 s)
    return int(before), int(frozen), engine_loaded, engine_frozen, int(errors)


def test_a_pool_process_loads_the_pdf_engine_and_freezes_it_as_it_starts():
    before, frozen, engine_loaded, engine_frozen, errors = start()

    assert before == 0
    assert frozen > 100_000  # Django, the portal, WeasyPrint and its fonts
    assert (engine_loaded, engine_frozen, errors) == ("True", "True", 0)


def test_the_engine_can_be_left_to_the_first_render():
    before, frozen, engine_loaded, _, _ = start(before_setup="os.environ['PDF_PREPARE_AT_WORKER_START'] = 'false'")

    assert engine_loaded == "False"
    assert frozen > before  # Django and the portal are frozen all the same


def test_an_engine_that_fails_to_load_is_logged_and_the_process_starts_all_the_same():
    broken = "def broken():\n    raise OSError('no Pango')\npdf.prepare = broken"

    before, frozen, _, _, errors = start(before_start=broken)

    assert errors == 1
    assert frozen > before


def test_a_pool_process_collects_after_each_task_and_seldom_within_one():
    python_default, full_collections_every, freed = output_of(
        AFTER_A_TASK.format(start="worker_process_init.send(sender=None)")
    )

    assert freed == "True"
    assert int(full_collections_every) == 100 > int(python_default)  # full collections ten times rarer in a task


def test_a_process_that_is_no_pool_process_leaves_collecting_to_python():
    # A test process runs tasks eagerly: a full collection of its unfrozen heap after each would be slow.
    python_default, full_collections_every, freed = output_of(AFTER_A_TASK.format(start=""))

    assert (full_collections_every, freed) == (python_default, "False")

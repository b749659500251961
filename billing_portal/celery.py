import gc
import logging
import os
import queue
import threading

from celery import Celery
from celery.signals import task_postrun, worker_process_init
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_portal.settings")

app = Celery("billing_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# A full collection during a task scans all that the task holds: a 20-line invoice's layout is
# alive through most of its render, and in about one render in seven one took 17-25 ms of it. Settled
# processes instead collect fully after each task (`collect_after_task`, about 5 ms after a render,
# when its layout is garbage), and automatically only after ten times Python's usual number of
# younger collections: not within a task of ordinary size, still within a long one.
FULL_COLLECTION_THRESHOLD = 100


@worker_process_init.connect
def settle_worker_process(**_kwargs) -> None:
    """Each prefork pool process (and a solo pool's one process), as it starts: load the PDF engine now,
    then freeze what is loaded.

    The pool processes render the documents. Frozen out of the garbage collector's sight, Django, the
    portal and the engine with its fonts and stylesheets are no longer scanned by every full collection:
    those took about 110 ms each during a run of 20-line invoices, one in every six renders
    (docs/performance.md, "Documents: the worker's garbage collections"). An engine that fails to load
    is logged and left to the renders, which fail and retry as before; every other task runs.
    `PDF_PREPARE_AT_WORKER_START=false` leaves the engine to the first render. From then on the process
    collects fully after each task rather than within one (`collect_after_task`).
    """
    from billing_portal import pdf  # not at import: the web processes import this module and never render

    if settings.PDF_PREPARE_AT_WORKER_START:
        try:
            pdf.prepare()
        except Exception:
            logger.exception("The PDF engine could not be loaded as this worker process started")
    gc.collect()
    gc.freeze()
    generation0, generation1, _ = gc.get_threshold()
    gc.set_threshold(generation0, generation1, FULL_COLLECTION_THRESHOLD)
    # Only here: a process that runs tasks eagerly (the tests') would scan its whole unfrozen heap each time.
    task_postrun.connect(collect_after_task)


def collect_after_task(**_kwargs) -> None:
    """A full garbage collection in a settled process once a task has returned, before its message is acknowledged.

    Frees the cycles the task left, its layout above all, and restarts the collector's counts, so that the
    next task of ordinary size runs without a full collection.
    """
    gc.collect()


# Messages waiting for the publisher thread. When the broker hangs they pile up to this many and
# the rest are dropped: every one of them stands for work recorded in the database, which the
# periodic sweeps find anyway.
PUBLISH_QUEUE_SIZE = 1000


class _Publisher:
    """One thread per process that hands messages to the broker, so that no request ever waits on it.

    A broker that is down answers at once, but one that accepts connections and never replies
    holds the sender for socket timeout × retries: in a request, that delay would tell whoever
    measures it that something was queued (say, a password-reset e-mail for a User ID that exists).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._pid = None
        self._queue: queue.Queue = queue.Queue(PUBLISH_QUEUE_SIZE)

    def submit(self, task, args: tuple) -> None:
        self._ensure_running()
        try:
            self._queue.put_nowait((task, args))
        except queue.Full:
            logger.warning("The broker is not keeping up; %s%r waits for its periodic sweep.", task.name, args)

    def _ensure_running(self) -> None:
        # A forked child (a gunicorn or Celery worker) inherits the queue but not the thread.
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                self._queue = queue.Queue(PUBLISH_QUEUE_SIZE)
                threading.Thread(target=self._run, args=(self._queue,), name="broker-publisher", daemon=True).start()
                self._pid = os.getpid()

    @staticmethod
    def _run(messages: queue.Queue) -> None:
        while True:
            task, args = messages.get()
            try:
                task.delay(*args)
            except Exception:
                logger.warning("Could not reach the broker; %s%r waits for its periodic sweep.", task.name, args)
            finally:
                messages.task_done()

    def join(self) -> None:
        """Wait until every submitted message has been handed to the broker (or given up on)."""
        if self._pid == os.getpid():
            self._queue.join()


publisher = _Publisher()


def send_on_commit(task, *args) -> None:
    """Send `task` to the broker once the current transaction commits, without waiting for the broker.

    The work a task does is always recorded in the database first (a queued e-mail, a held
    receipt, an unreleased delivery), so if the broker is down or hangs the periodic sweeps find
    it later: the request neither fails nor waits.
    """

    def send():
        if app.conf.task_always_eager:  # no broker involved: run where the caller can see the result
            task.delay(*args)
        else:
            publisher.submit(task, args)

    transaction.on_commit(send, robust=True)

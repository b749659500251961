import logging
import os

from celery import Celery
from django.db import transaction

logger = logging.getLogger(__name__)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_portal.settings")

app = Celery("billing_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def send_on_commit(task, *args) -> None:
    """Send `task` to the broker once the current transaction commits.

    The work a task does is always recorded in the database first (a queued e-mail, a held
    receipt, an unreleased delivery), so if the broker is down the periodic sweeps find it
    later: the request neither fails nor waits.
    """

    def send():
        try:
            task.delay(*args)
        except Exception:
            logger.warning("Could not reach the broker; %s%r waits for its periodic sweep.", task.name, args)

    transaction.on_commit(send, robust=True)

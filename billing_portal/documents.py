"""Stored PDF documents, and e-mails held until their document is attached. Imports no app.

An app describes each of its documents once, as a `StoredDocument` (which row and file field
hold it, its template, context, language and file name), and each e-mail that waits for one as
a `HeldEmail` (which row holds the e-mail and records its release). Everything else is here:

- `document_ensure` renders a document at most once, under its row's lock, and stores it;
  `document_open` serves the stored file (rendering first only if there is none);
  `document_stored` and `document_prepare_later` serve downloads, which never render.
- `held_email_queue` sends the one release task on commit; `held_email_release` renders (or
  reads) the document, attaches it and lets the e-mail go, once; `held_emails_pending` is what
  the one beat sweep re-sends when a task was lost (broker down, worker killed).

Tasks name a description by its `kind`, registered with `register()` when its app is ready.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta, tzinfo
from functools import partial
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils import timezone, translation

from . import emails, pdf

logger = logging.getLogger(__name__)

PENDING_AFTER = timedelta(minutes=5)  # a release task not done by then was lost; the sweep sends it again
PENDING_BATCH = 200


class StoredDocument:
    """One kind of PDF, kept in a FileField of its row. Subclasses fill in what differs."""

    kind: str
    model: type[models.Model]
    field: str
    template: str
    pdf_variant: str | None = None  # WeasyPrint's, e.g. "pdf/a-3b" for a document that carries an e-invoice

    def queryset(self) -> models.QuerySet:
        return self.model._default_manager.all()

    def check(self, obj) -> None:
        """Raise the app's own error when `obj` has no document (a draft, an order not placed)."""

    def context(self, obj) -> dict:
        raise NotImplementedError

    def language(self, obj) -> str:
        raise NotImplementedError

    def filename(self, obj) -> str:
        raise NotImplementedError

    def line_count(self, obj) -> int:
        raise NotImplementedError

    def label(self, obj) -> str:
        """How logs and DocumentTooLarge name the document."""
        return str(obj)

    def zone(self, obj) -> tzinfo:
        """The time zone the document's times are shown in (with its name): the account's, by default."""
        return obj.account.zone

    def finisher(self, obj) -> Callable[[bytes], bytes] | None:
        """What is done to the rendered PDF (e.g. embed an e-invoice), in the process that rendered it.

        It must pickle (a module-level function, or a `functools.partial` of one, with its data):
        a long document is rendered in a child process, which has no database connection.
        """
        return None

    def render(self, obj) -> bytes:
        """The PDF, not stored; DocumentTooLarge past PDF_MAX_LINES."""
        lines = self.line_count(obj)
        pdf.check_lines(lines, document=self.label(obj))
        language = self.language(obj)
        # A long document is laid out in a child process, started first so that it loads the engine meanwhile.
        with (
            pdf.layout_process(lines > settings.PDF_ISOLATE_LINES) as process,
            translation.override(language),
            timezone.override(self.zone(obj)),
        ):
            context = self.context(obj)
            return pdf.render_pdf(
                self.template,
                context,
                language=language,
                variant=self.pdf_variant,
                finisher=partial(self.finisher, obj),
                process=process,
            )


@dataclass(frozen=True)
class HeldEmail:
    """An e-mail, held (`emails.queue(hold=True)`) until the task attaches its document."""

    kind: str
    model: type[models.Model]
    document: StoredDocument
    # The document's row from the row that holds the e-mail (the same row for a receipt).
    owner: Callable[[models.Model], models.Model]
    email_field: str
    released_field: str
    queued_field: str
    # The rows that may hold an e-mail at all (e.g. placed orders only).
    eligible: Callable[[], models.QuerySet] | None = None

    def awaiting(self) -> models.QuerySet:
        queryset = self.eligible() if self.eligible else self.model._default_manager.all()
        return queryset.filter(**{f"{self.released_field}__isnull": True})


Described = TypeVar("Described", StoredDocument, HeldEmail)
_described: dict[str, StoredDocument | HeldEmail] = {}


def register(description: Described) -> Described:
    _described[description.kind] = description
    return description


def described(kind: str) -> StoredDocument | HeldEmail:
    return _described[kind]


# Documents ---------------------------------------------------------------------------------


def document_ensure(document: StoredDocument, *, pk: int, missing_file: bool = False):
    """The row with its document stored: rendered at most once, under the row's lock.

    A concurrent caller waits for the lock and then finds the stored file. `missing_file=True`
    (the stored name points at nothing, e.g. media lost) renders it again.
    """
    obj = document.queryset().get(pk=pk)
    if getattr(obj, document.field) and not missing_file:
        return obj
    with transaction.atomic():
        locked = document.queryset().select_for_update(of=("self",)).get(pk=pk)
        document.check(locked)
        stored = getattr(locked, document.field)
        if stored and missing_file and not stored.storage.exists(stored.name):
            setattr(locked, document.field, "")
            stored = getattr(locked, document.field)
        if not stored:
            stored.save(document.filename(locked), ContentFile(document.render(locked)), save=False)
            locked.save(update_fields=[document.field])
            logger.info("Rendered %s", document.label(locked))
    return locked


def document_stored(document: StoredDocument, obj) -> File | None:
    """The stored document opened for reading, or None while it is not (or no longer) stored."""
    stored = getattr(obj, document.field)
    if not stored:
        return None
    try:
        return stored.open("rb")
    except FileNotFoundError:
        logger.warning("The stored file of %s is missing; it is rendered again by a task.", document.label(obj))
        return None


def document_prepare_later(document: StoredDocument, obj) -> bool:
    """Queue the render of a missing document; False if it is too long ever to be rendered."""
    if pdf.too_many_lines(document.line_count(obj)):
        return False
    from .celery import send_on_commit
    from .tasks import document_prepare  # tasks import this module

    # Once a minute at most (the key is in the shared cache): repeated clicks add no work.
    if cache.add(f"pdf-render:{document_prepare.name}:{document.kind}:{obj.pk}", True, timeout=60):
        send_on_commit(document_prepare, document.kind, obj.pk)
    return True


def document_open(document: StoredDocument, obj) -> tuple[models.Model, File]:
    """The row and its document opened for reading: the stored file, rendered first only if there is none."""
    if not getattr(obj, document.field):
        obj = document_ensure(document, pk=obj.pk)
    try:
        return obj, getattr(obj, document.field).open("rb")
    except FileNotFoundError:
        logger.warning("The stored file of %s is missing; rendering it again.", document.label(obj))
        obj = document_ensure(document, pk=obj.pk, missing_file=True)
        return obj, getattr(obj, document.field).open("rb")


# Held e-mails ------------------------------------------------------------------------------


def held_email_queue(held: HeldEmail, record: models.Model) -> None:
    """Release `record`'s held e-mail after commit; if the broker is down, the beat sweep does."""
    from .celery import send_on_commit
    from .tasks import held_email_release  # tasks import this module

    send_on_commit(held_email_release, held.kind, record.pk)


def held_email_release(held: HeldEmail, pk: int) -> bool:
    """Attach the document to the held e-mail and let it go; a second call does nothing."""
    record = held.awaiting().filter(pk=pk).first()
    if record is None:
        return False
    if getattr(record, f"{held.email_field}_id") is None:  # deleted from the e-mail log: nothing left to send
        held.awaiting().filter(pk=pk).update(**{held.released_field: timezone.now()})
        return False
    owner, file = document_open(held.document, held.owner(record))
    with file:
        content = file.read()
    with transaction.atomic():
        locked = held.model._default_manager.select_for_update(of=("self",)).get(pk=pk)
        email_id = getattr(locked, f"{held.email_field}_id")
        if getattr(locked, held.released_field) or email_id is None:
            return False
        emails.release(email_id, attachments={held.document.filename(owner): content})
        setattr(locked, held.released_field, timezone.now())
        locked.save(update_fields=[held.released_field])
    return True


def held_emails_pending(*, older_than: timedelta = PENDING_AFTER) -> list[tuple[str, int]]:
    """(kind, pk) of every held e-mail whose task never ran (broker down, worker lost), for the beat sweep."""
    cutoff = timezone.now() - older_than
    pending = []
    for held in _described.values():
        if isinstance(held, HeldEmail):
            ids = held.awaiting().filter(**{f"{held.queued_field}__lte": cutoff}).values_list("pk", flat=True)
            pending += [(held.kind, pk) for pk in ids.order_by("pk")[:PENDING_BATCH]]
    return pending

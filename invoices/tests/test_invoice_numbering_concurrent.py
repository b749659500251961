"""Invoice numbers issued at the same moment from separate connections: no gap, no duplicate."""

import threading

import pytest
from django.db import connection

from invoices import services
from invoices.models import Invoice, InvoiceState
from invoices.tests.factories import draft_with_lines

pytestmark = pytest.mark.django_db(transaction=True)
CONCURRENT = 12


def test_invoices_issued_at_once_get_consecutive_unique_numbers(account, staff):
    drafts = [draft_with_lines(account) for _ in range(CONCURRENT)]
    barrier = threading.Barrier(CONCURRENT)
    errors = []

    def issue(draft):
        try:
            barrier.wait()
            services.invoice_issue(invoice=draft, actor=staff)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(draft,)) for draft in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    numbers = sorted(Invoice.objects.filter(state=InvoiceState.ISSUED).values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == CONCURRENT
    prefix = numbers[0][:-5]
    assert numbers == [f"{prefix}{value:05d}" for value in range(1, CONCURRENT + 1)]

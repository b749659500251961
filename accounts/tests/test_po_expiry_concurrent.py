"""The purchase-order reminder run skips an account another transaction holds, and two runs at once send one e-mail."""

import datetime
import threading

import pytest
from django.db import connection, transaction
from post_office.models import Email

from accounts.models import CompanyAccount
from accounts.services import po_expiry_remind

pytestmark = pytest.mark.django_db(transaction=True)
NOW = datetime.datetime(2026, 3, 10, 16, 0, tzinfo=datetime.UTC)


@pytest.fixture
def expiring(account):
    CompanyAccount.objects.filter(pk=account.pk).update(po_number="PO-4711", po_expires_on=datetime.date(2026, 3, 20))
    return account


def test_an_account_held_elsewhere_is_skipped_not_waited_for(expiring):
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                CompanyAccount.objects.select_for_update().get(pk=expiring.pk)
                locked.set()
                release.wait(timeout=5)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    locked.wait(timeout=5)
    try:
        assert po_expiry_remind(now=NOW) == 0
    finally:
        release.set()
        holder.join()

    assert po_expiry_remind(now=NOW) == 1
    assert Email.objects.count() == 1


def test_two_runs_at_once_send_one_email(expiring):
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(po_expiry_remind(now=NOW))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(results) == [0, 1]
    assert Email.objects.count() == 1

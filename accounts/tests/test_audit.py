import pytest

from accounts.audit import AuditAction, audit_bulk, audit_record
from accounts.models import AuditEntry, CompanyAccount


@pytest.mark.django_db
def test_it_refuses_an_action_that_is_not_enumerated(account, contact):
    with pytest.raises(ValueError):
        audit_record(account=account, actor=contact, action="something_else", target=account)
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_one_entry_and_bulk_entries_store_changes_the_same_way(account, other_account, contact):
    changes = {"state": (AuditAction.QUOTE_SUBMIT, None), "when": (None, account.pk)}
    single = audit_record(
        account=account, actor=contact, action=AuditAction.QUOTE_ACCEPT, target=account, changes=changes
    )
    audit_bulk(
        model=CompanyAccount,
        account_ids={other_account.pk: other_account.pk},
        actor=contact,
        action=AuditAction.QUOTE_ACCEPT,
        changes=changes,
    )
    bulk = AuditEntry.objects.get(object_id=other_account.pk)
    single.refresh_from_db()
    assert bulk.changes == single.changes == {"state": ["quote_submit", None], "when": [None, account.pk]}
    assert bulk.action == single.action == "quote_accept"
    assert bulk.content_type == single.content_type

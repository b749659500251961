"""Audit entries: who changed what, when, from which value to which.

Every writer in the portal goes through `audit_record` (one entry) or `audit_bulk` (many
objects, one change), and names what happened with an `AuditAction`, so that an entry means the
same in the admin, in a query and in SQL that writes entries itself (it takes the action's value
and `audit_changes` from here).
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from phonenumber_field.phonenumber import PhoneNumber

from .models import AuditEntry, CompanyAccount, User


class AuditAction(models.TextChoices):
    # Accounts
    ACCOUNT_CREATE = "account_create"
    ACCOUNT_ADMIN_UPDATE = "admin_update"
    ADDRESS_UPDATE = "address_update"
    PAYMENT_METHOD_UPDATE = "payment_method_update"
    SEPA_MANDATE_SIGN = "sepa_mandate_sign"
    PHONE_UPDATE = "phone_update"
    PURCHASE_ORDER_UPDATE = "purchase_order_update"
    VAT_ID_UPDATE = "vat_id_update"
    INVOICE_RECIPIENT_ADD = "invoice_recipient_add"
    INVOICE_RECIPIENT_REMOVE = "invoice_recipient_remove"
    INVOICE_RECIPIENT_XML = "invoice_recipient_xml"
    REQUEST_CREATE = "request_create"
    REQUEST_DONE = "request_done"
    EMAIL_REQUEUE = "email_requeue"
    USER_CREATE = "user_create"
    USER_UPDATE = "user_update"
    EMAIL_CHANGE_REQUEST = "email_change_request"
    EMAIL_CHANGE = "email_change"
    PASSWORD_CHANGE = "password_change"
    BILLING_CONTACT_INVITE = "billing_contact_invite"
    BILLING_CONTACT_INVITE_DECLINE = "billing_contact_invite_decline"
    BILLING_CONTACT_CHANGE = "billing_contact_change"
    PO_EXPIRY_REMIND = "po_expiry_remind"
    # Quotes
    QUOTE_DRAFT_CREATE = "quote_draft_create"
    QUOTE_DRAFT_UPDATE = "quote_draft_update"
    QUOTE_SUBMIT = "quote_submit"
    QUOTE_WITHDRAW = "quote_withdraw"
    QUOTE_DECLINE = "quote_decline"
    QUOTE_ACCEPT = "quote_accept"
    CART_ADD = "cart_add"
    CART_REMOVE = "cart_remove"
    QUOTE_EXPIRE = "quote_expire"
    TERMS_VERSION_CREATE = "terms_version_create"
    TERMS_VERSION_UPDATE = "terms_version_update"
    SERVICE_ORDER_DRAFT_CREATE = "service_order_draft_create"
    SERVICE_ORDER_PLACE = "service_order_place"
    # Stored values keep the earlier name of admin contacts ("product admin"), as the portal still shows it.
    ADMIN_CONTACT_CREATE = "product_admin_create"
    ADMIN_CONTACT_UPDATE = "product_admin_update"
    # Invoices
    INVOICE_DRAFT_CREATE = "invoice_draft_create"
    INVOICE_DRAFT_UPDATE = "invoice_draft_update"
    INVOICE_DRAFT_FROM_ORDER = "invoice_draft_from_order"
    INVOICE_ISSUE = "invoice_issue"
    INVOICE_MARK_PAID = "invoice_mark_paid"
    INVOICE_VOID = "invoice_void"
    INVOICE_CREDIT_NOTE_ISSUE = "invoice_credit_note_issue"
    INVOICE_RESEND = "invoice_resend"


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, PhoneNumber):
        return value.as_e164 if value.is_valid() else value.raw_input  # as stored, not as shown
    return str(value)


def audit_changes(changes: Mapping[str, tuple[Any, Any]] | None) -> dict[str, list]:
    """`{"field": (old, new)}` as stored: `{"field": [old, new]}` with every value JSON-safe."""
    return {key: [_jsonable(old), _jsonable(new)] for key, (old, new) in (changes or {}).items()}


def _field_changes(stored: models.Model, edited: models.Model, fields: Iterable[str]) -> dict[str, tuple[Any, Any]]:
    """`{field: (stored value, edited value)}` for each of `fields` that `edited` changes, as `audit_record` takes."""
    attnames = {name: stored._meta.get_field(name).attname for name in fields}
    return {
        name: (getattr(stored, name), getattr(edited, name))
        for name, attname in attnames.items()
        if getattr(stored, attname) != getattr(edited, attname)
    }


def audit_record(
    *,
    account: CompanyAccount | None,
    actor: User | None,
    action: AuditAction,
    target: models.Model,
    changes: Mapping[str, tuple[Any, Any]] | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        account=account,
        actor=actor,
        action=AuditAction(action),
        content_type=ContentType.objects.get_for_model(target),
        object_id=target.pk,
        changes=audit_changes(changes),
    )


def audited_save(
    *,
    edited: models.Model,
    stored: models.Model | None,
    fields: Iterable[str],
    account: CompanyAccount | None,
    actor: User | None,
    action: AuditAction,
) -> dict[str, tuple[Any, Any]]:
    """Save a new object (`stored` None), or the `fields` of `edited` that differ from `stored`, its row as
    read under the caller's lock, with one audit entry of what changed; returns those changes."""
    if stored is None:
        edited.save()
        changes = {name: (None, getattr(edited, name)) for name in fields}
    else:
        changes = _field_changes(stored, edited, fields)
        if not changes:
            return changes
        edited.save(update_fields=list(changes))
    audit_record(account=account, actor=actor, action=action, target=edited, changes=changes)
    return changes


def audit_bulk(
    *,
    model: type[models.Model],
    account_ids: Mapping[int, int | None],
    actor: User | None,
    action: AuditAction,
    changes: Mapping[str, tuple[Any, Any]] | None = None,
) -> None:
    """One entry per object of `model` (`{object id: account id}`), all with the same change."""
    content_type = ContentType.objects.get_for_model(model)
    stored = audit_changes(changes)
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                account_id=account_id,
                actor=actor,
                action=AuditAction(action),
                content_type=content_type,
                object_id=object_id,
                changes=stored,
            )
            for object_id, account_id in account_ids.items()
        ],
        batch_size=2000,
    )

"""Every write to company accounts and billing contacts goes through these functions."""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from billing_portal import emails

from .models import AuditEntry, CompanyAccount, InvoiceRecipient, Request, User

logger = logging.getLogger(__name__)


class AccountError(Exception):
    """A change that the account's current state does not allow; the message is shown to the user."""


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def audit_record(*, account: CompanyAccount, actor: User | None, action: str, target, changes: dict | None = None) -> AuditEntry:
    return AuditEntry.objects.create(
        account=account,
        actor=actor,
        action=action,
        content_type=ContentType.objects.get_for_model(target),
        object_id=target.pk,
        changes={key: [_jsonable(old), _jsonable(new)] for key, (old, new) in (changes or {}).items()},
    )


def _lock_account(account: CompanyAccount) -> CompanyAccount:
    return CompanyAccount.objects.select_for_update().get(pk=account.pk)


def account_update(*, account: CompanyAccount, actor: User, action: str, values: dict[str, Any]) -> CompanyAccount:
    """Set billing fields on the account under a row lock and record old and new values."""
    with transaction.atomic():
        locked = _lock_account(account)
        changes = {
            field: (getattr(locked, field), value) for field, value in values.items() if getattr(locked, field) != value
        }
        if changes:
            for field, (_old, new) in changes.items():
                setattr(locked, field, new)
            locked.save(update_fields=list(changes))
            audit_record(account=locked, actor=actor, action=action, target=locked, changes=changes)
    for field in values:
        setattr(account, field, getattr(locked, field))
    return account


def invoice_recipient_add(*, account: CompanyAccount, actor: User, email: str) -> InvoiceRecipient:
    with transaction.atomic():
        locked = _lock_account(account)
        recipients = locked.invoice_recipients.all()
        if recipients.filter(email__iexact=email).exists():
            raise AccountError(_("%(email)s already receives invoices.") % {"email": email})
        if recipients.count() >= InvoiceRecipient.MAX_PER_ACCOUNT:
            raise AccountError(
                _("An account can have at most %(max)d invoice recipients.") % {"max": InvoiceRecipient.MAX_PER_ACCOUNT}
            )
        recipient = InvoiceRecipient.objects.create(account=locked, email=email)
        audit_record(account=locked, actor=actor, action="invoice_recipient_add", target=recipient, changes={"email": (None, email)})
    return recipient


def invoice_recipient_remove(*, recipient: InvoiceRecipient, actor: User) -> None:
    with transaction.atomic():
        locked = _lock_account(recipient.account)
        audit_record(
            account=locked, actor=actor, action="invoice_recipient_remove", target=recipient, changes={"email": (recipient.email, None)}
        )
        recipient.delete()


TOO_MANY_REQUESTS = _("Too many requests were sent in the last hour. Please try again later.")


def request_create(*, account: CompanyAccount, contact: User, kind: str, message: str) -> Request:
    """Send Corporate Account Services a request, at most REQUEST_LIMIT_PER_ACCOUNT per account an hour."""
    with transaction.atomic():
        locked = _lock_account(account)
        since = timezone.now() - timedelta(seconds=settings.RATE_LIMIT_PERIOD)
        if Request.objects.filter(account=locked, created_at__gte=since).count() >= settings.REQUEST_LIMIT_PER_ACCOUNT:
            raise AccountError(TOO_MANY_REQUESTS)
        request = Request.objects.create(account=account, contact=contact, kind=kind, message=message)
        audit_record(account=account, actor=contact, action="request_create", target=request, changes={"status": (None, request.status)})
        emails.queue(
            to=[settings.CAS_EMAIL],
            template="request-new",
            context={"request": request, "account": account, "contact": contact},
        )
    return request


def request_mark_done(*, request: Request, actor: User) -> Request:
    with transaction.atomic():
        locked = Request.objects.select_for_update().get(pk=request.pk)
        if locked.status != Request.Status.DONE:
            locked.status = Request.Status.DONE
            locked.save(update_fields=["status"])
            audit_record(account=locked.account, actor=actor, action="request_done", target=locked,
                         changes={"status": (Request.Status.OPEN, Request.Status.DONE)})
    return locked


def password_set_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.PORTAL_URL + reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})


def billing_contact_change(
    *, account: CompanyAccount, actor: User, user_id: str, email: str, first_name: str, last_name: str
) -> User:
    """Hand the billing-contact role of `account` to the person with this User ID.

    An existing non-staff user with that User ID and e-mail takes the role (one person may
    hold several accounts); otherwise a new user is created without a password and is sent
    a link to set one.
    """
    with transaction.atomic():
        new_contact = User.objects.select_for_update().filter(username__iexact=user_id).first()
        if new_contact is None:
            new_contact = User(username=user_id, email=email, first_name=first_name, last_name=last_name, language=actor.language)
            new_contact.set_unusable_password()
            try:
                with transaction.atomic():
                    new_contact.save()
            except IntegrityError:  # created by a concurrent request a moment ago
                raise AccountError(_("This User ID is taken. Choose another one.")) from None
        elif new_contact.is_staff or new_contact.email.lower() != email.lower() or not new_contact.is_active:
            raise AccountError(_("This User ID is taken. Choose another one."))
        return billing_contact_assign(account=account, actor=actor, new_contact=new_contact)


def billing_contact_assign(*, account: CompanyAccount, actor: User, new_contact: User) -> User:
    """Make `new_contact` the billing contact; the previous one loses access with this commit."""
    if new_contact.is_staff:
        raise AccountError(_("Staff cannot be billing contacts."))
    with transaction.atomic():
        locked = _lock_account(account)
        if new_contact.pk == locked.billing_contact_id:
            raise AccountError(_("This person is already the billing contact."))
        old_contact = locked.billing_contact
        locked.billing_contact = new_contact
        locked.save(update_fields=["billing_contact"])
        audit_record(
            account=locked, actor=actor, action="billing_contact_change", target=locked,
            changes={"billing_contact": (old_contact.username, new_contact.username)},
        )
        context = {"account": locked, "contact": new_contact, "previous": old_contact}
        if new_contact.has_usable_password():
            template, link = "contact-assigned", settings.PORTAL_URL
        else:
            template, link = "contact-welcome", password_set_link(new_contact)
        emails.queue(to=[new_contact.email], template=template, context={**context, "link": link}, language=new_contact.language)
        emails.queue(to=[old_contact.email], template="contact-removed", context=context, language=old_contact.language)
    account.billing_contact = new_contact
    return new_contact


def password_reset_request(*, user: User) -> None:
    with transaction.atomic():
        emails.queue(
            to=[user.email], template="password-reset",
            context={"contact": user, "link": password_set_link(user), "valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600},
            language=user.language,
        )


def password_set(*, user: User, password: str) -> User:
    """Set a new password; the change of password hash ends every other session of the user."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.set_password(password)
        locked.save(update_fields=["password"])
        for account in CompanyAccount.objects.for_contact(locked):
            audit_record(account=account, actor=locked, action="password_change", target=locked)
        emails.queue(to=[locked.email], template="password-changed", context={"contact": locked}, language=locked.language)
    user.password = locked.password
    return user

"""Every write to company accounts and billing contacts goes through these functions."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.core.signing import BadSignature, SignatureExpired, TimestampSigner
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from billing_portal import emails

from .audit import AuditAction, audit_record
from .identity import canonical_user_id
from .models import AccountRequest, AuditEntry, CompanyAccount, InvoiceRecipient, SepaMandate, User
from .tokens import email_change_token_generator

logger = logging.getLogger(__name__)


class AccountError(Exception):
    """A change that the account's current state does not allow; the message is shown to the user."""


def _lock_account(account: CompanyAccount) -> CompanyAccount:
    return CompanyAccount.objects.select_for_update().get(pk=account.pk)


def account_update(
    *, account: CompanyAccount, actor: User, action: AuditAction, values: dict[str, Any]
) -> CompanyAccount:
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


@dataclass(frozen=True)
class MandateDetails:
    """A SEPA mandate as accepted in the payment form: the IBAN already masked."""

    holder: str
    iban_masked: str
    bic: str


def _sepa_mandate_sign(*, account: CompanyAccount, actor: User, details: MandateDetails) -> SepaMandate:
    """Record a mandate on the locked account; the one in force before is revoked."""
    now = timezone.now()
    previous = account.sepa_mandate
    if previous is not None:
        SepaMandate.objects.filter(pk=previous.pk, revoked_at__isnull=True).update(revoked_at=now)
    count = SepaMandate.objects.filter(account=account).count()
    mandate = SepaMandate.objects.create(
        account=account,
        reference=f"M-{account.number}-{count + 1}",
        holder=details.holder,
        iban_masked=details.iban_masked,
        bic=details.bic,
        signed_at=now,
        signed_by=actor,
    )
    account.sepa_mandate = mandate
    account.save(update_fields=["sepa_mandate"])
    audit_record(
        account=account,
        actor=actor,
        action=AuditAction.SEPA_MANDATE_SIGN,
        target=mandate,
        changes={
            "reference": (previous.reference if previous else None, mandate.reference),
            "iban": (previous.iban_masked if previous else None, mandate.iban_masked),
            "bic": (previous.bic if previous else None, mandate.bic),
            "holder": (previous.holder if previous else None, mandate.holder),
        },
    )
    return mandate


def payment_method_update(
    *, account: CompanyAccount, actor: User, values: dict[str, Any], mandate: MandateDetails | None = None
) -> CompanyAccount:
    """Change the account's payment method; with `mandate`, record the SEPA mandate it was accepted with.

    The mandate, the method and both audit entries are one transaction.
    """
    with transaction.atomic():
        if mandate is not None:
            locked = (
                CompanyAccount.objects.select_for_update(of=("self",)).select_related("sepa_mandate").get(pk=account.pk)
            )
            account.sepa_mandate = _sepa_mandate_sign(account=locked, actor=actor, details=mandate)
        account_update(account=account, actor=actor, action=AuditAction.PAYMENT_METHOD_UPDATE, values=values)
    return account


def vat_id_update(*, account: CompanyAccount, actor: User, vat_id: str) -> CompanyAccount:
    """Change the account's VAT ID (already checked by the form), audit it and tell Corporate Account Services.

    Submitted quotes keep the treatment they were submitted with; the next ones follow the new ID.
    """
    with transaction.atomic():
        locked = _lock_account(account)
        old = locked.vat_id
        if old != vat_id:
            locked.vat_id = vat_id
            locked.save(update_fields=["vat_id"])
            audit_record(
                account=locked,
                actor=actor,
                action=AuditAction.VAT_ID_UPDATE,
                target=locked,
                changes={"vat_id": (old, vat_id)},
            )
            emails.queue(
                to=[settings.CAS_EMAIL],
                template="vat-id-changed",
                context={"account": locked, "contact": actor, "old": old, "new": vat_id},
            )
    account.vat_id = locked.vat_id
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
        audit_record(
            account=locked,
            actor=actor,
            action=AuditAction.INVOICE_RECIPIENT_ADD,
            target=recipient,
            changes={"email": (None, email)},
        )
    return recipient


def invoice_recipient_remove(*, recipient: InvoiceRecipient, actor: User) -> None:
    with transaction.atomic():
        locked = _lock_account(recipient.account)
        audit_record(
            account=locked,
            actor=actor,
            action=AuditAction.INVOICE_RECIPIENT_REMOVE,
            target=recipient,
            changes={"email": (recipient.email, None)},
        )
        recipient.delete()


def invoice_recipient_wants_xml(*, recipient: InvoiceRecipient, actor: User, wants_xml: bool) -> InvoiceRecipient:
    """Whether the invoice e-mail to `recipient` carries the XML (e-invoice) besides the PDF."""
    with transaction.atomic():
        _lock_account(recipient.account)
        locked = InvoiceRecipient.objects.select_for_update().filter(pk=recipient.pk).first()
        if locked is None:
            raise AccountError(_("%(email)s no longer receives invoices.") % {"email": recipient.email})
        if locked.wants_xml != wants_xml:
            audit_record(
                account=recipient.account,
                actor=actor,
                action=AuditAction.INVOICE_RECIPIENT_XML,
                target=locked,
                changes={"wants_xml": (locked.wants_xml, wants_xml)},
            )
            locked.wants_xml = wants_xml
            locked.save(update_fields=["wants_xml"])
    recipient.wants_xml = locked.wants_xml
    return recipient


def contact_wants_xml(*, account: CompanyAccount, actor: User, wants_xml: bool) -> CompanyAccount:
    """The billing contact's own choice: the invoice e-mail to them carries the XML (e-invoice) too."""
    return account_update(
        account=account,
        actor=actor,
        action=AuditAction.INVOICE_RECIPIENT_XML,
        values={"contact_wants_xml": wants_xml},
    )


TOO_MANY_REQUESTS = _("Too many requests were sent in the last hour. Please try again later.")


def account_request_create(*, account: CompanyAccount, contact: User, kind: str, message: str) -> AccountRequest:
    """Send Corporate Account Services a request, at most REQUEST_LIMIT_PER_ACCOUNT per account an hour."""
    with transaction.atomic():
        locked = _lock_account(account)
        since = timezone.now() - timedelta(seconds=settings.RATE_LIMIT_PERIOD)
        recent = AccountRequest.objects.filter(account=locked, created_at__gte=since)
        if recent.count() >= settings.REQUEST_LIMIT_PER_ACCOUNT:
            raise AccountError(TOO_MANY_REQUESTS)
        account_request = AccountRequest.objects.create(account=account, contact=contact, kind=kind, message=message)
        audit_record(
            account=account,
            actor=contact,
            action=AuditAction.REQUEST_CREATE,
            target=account_request,
            changes={"status": (None, account_request.status)},
        )
        emails.queue(
            to=[settings.CAS_EMAIL],
            template="request-new",
            context={"account_request": account_request, "account": account, "contact": contact},
        )
    return account_request


def account_request_mark_done(*, account_request: AccountRequest, actor: User) -> AccountRequest:
    with transaction.atomic():
        locked = AccountRequest.objects.select_for_update().get(pk=account_request.pk)
        if locked.status != AccountRequest.Status.DONE:
            locked.status = AccountRequest.Status.DONE
            locked.save(update_fields=["status"])
            audit_record(
                account=locked.account,
                actor=actor,
                action=AuditAction.REQUEST_DONE,
                target=locked,
                changes={"status": (AccountRequest.Status.OPEN, AccountRequest.Status.DONE)},
            )
    return locked


def email_requeue(*, email_id: int, actor: User) -> bool:
    """Send a failed e-mail again; the only change staff make to the e-mail log. False if it was not failed."""
    with transaction.atomic():
        email = emails.requeue_failed(email_id)
        if email is None:
            return False
        audit_record(
            account=None,
            actor=actor,
            action=AuditAction.EMAIL_REQUEUE,
            target=email,
            changes={"status": ("failed", "queued")},
        )
    return True


# Fields that grant rights: only superusers change them.
USER_ROLE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


def _user_value(user: User, field: str) -> Any:
    if field == "groups":
        return sorted(user.groups.values_list("name", flat=True))
    if field == "user_permissions":
        return sorted(
            f"{p.content_type.app_label}.{p.codename}" for p in user.user_permissions.select_related("content_type")
        )
    return getattr(user, field)


def _new_user_value(field: str, value: Any) -> Any:
    if field == "groups":
        return sorted(group.name for group in value)
    if field == "user_permissions":
        return sorted(f"{p.content_type.app_label}.{p.codename}" for p in value)
    return value


def _audit_user(*, user: User, actor: User | None, action: AuditAction, changes: dict) -> None:
    """One entry per company account the user is billing contact of, so each account's history shows it."""
    for account in list(CompanyAccount.objects.filter(billing_contact=user)) or [None]:
        audit_record(account=account, actor=actor, action=action, target=user, changes=changes)


def user_create(*, user: User, actor: User) -> User:
    """Save a new user without a usable password.

    They set one through the link sent when they become billing contact.
    """
    if (user.is_staff or user.is_superuser) and not actor.is_superuser:
        raise PermissionDenied
    with transaction.atomic():
        user.set_unusable_password()
        user.save()
        fields = ("username", "email", "first_name", "last_name", "is_staff", "is_superuser")
        _audit_user(
            user=user,
            actor=actor,
            action=AuditAction.USER_CREATE,
            changes={field: (None, getattr(user, field)) for field in fields},
        )
    return user


def user_update(
    *, user: User, actor: User, values: dict[str, Any], action: AuditAction = AuditAction.USER_UPDATE
) -> User:
    """Change a user's fields, active flag and roles under a row lock, recording old and new values.

    Nobody redirects a customer's e-mail: a non-staff user's address changes only when that user
    confirms the link sent to the new address (`email_change_confirm`). Only superusers change
    staff users and rights.
    """
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        changes = {}
        for field, value in values.items():
            old, new = _user_value(locked, field), _new_user_value(field, value)
            if old != new:
                changes[field] = (old, new)
        if not changes:
            return user
        if not actor.is_superuser and (locked.is_staff or locked.is_superuser or set(changes) & set(USER_ROLE_FIELDS)):
            raise PermissionDenied
        if "email" in changes and not locked.is_staff and actor.pk != locked.pk:
            raise PermissionDenied
        if (
            changes.get("is_staff", (False, False))[1]
            and CompanyAccount.objects.filter(billing_contact=locked).exists()
        ):
            raise AccountError(_("Staff cannot be billing contacts."))
        plain = [field for field in changes if field not in ("groups", "user_permissions")]
        for field in plain:
            setattr(locked, field, values[field])
        if changes.get("is_staff") == (True, False) and locked.has_usable_password():
            # A password set while the user was staff must not follow them into the portal as a customer.
            locked.set_unusable_password()
            plain.append("password")
            changes["password"] = ("usable", "unusable")
        if plain:
            locked.save(update_fields=plain)
        for field in ("groups", "user_permissions"):
            if field in changes:
                getattr(locked, field).set(values[field])
        _audit_user(user=locked, actor=actor, action=action, changes=changes)
    for field in plain:
        setattr(user, field, getattr(locked, field))
    return user


def email_change_request(*, user: User, new_email: str) -> None:
    """Send a confirmation link to the new address and a notice to the current one; the address stays as it is."""
    token = email_change_token_generator.make_token(user, new_email)
    link = settings.PORTAL_URL + reverse("accounts:email_change_confirm", kwargs={"token": token})
    context = {"contact": user, "new_email": new_email, "valid_hours": email_change_token_generator.max_age // 3600}
    with transaction.atomic():
        _audit_user(
            user=user, actor=user, action=AuditAction.EMAIL_CHANGE_REQUEST, changes={"new_email": (None, new_email)}
        )
        emails.queue(
            to=[new_email], template="email-change-confirm", context={**context, "link": link}, language=user.language
        )
        emails.queue(to=[user.email], template="email-change-requested", context=context, language=user.language)


def email_change_confirm(*, user: User, token: str) -> User:
    """Give the user the address their confirmation link carries, and tell the previous address."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        new_email = email_change_token_generator.check_token(locked, token)
        if new_email is None:
            raise AccountError(_("This link is invalid, used or expired. Ask for a new one on the Billing page."))
        old_email = locked.email
        user_update(user=locked, actor=locked, values={"email": new_email}, action=AuditAction.EMAIL_CHANGE)
        emails.queue(
            to=[old_email],
            template="email-changed",
            context={"contact": locked, "old_email": old_email, "new_email": new_email},
            language=locked.language,
        )
    user.email = new_email
    return user


def password_set_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.PORTAL_URL + reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})


INVITATION_MAX_AGE = timedelta(days=7)
# One salt per kind of link: an accept link cannot be used to set a password, nor the other way round.
INVITATION_SALTS = {
    "accept": "accounts.billing_contact_invitation.accept",
    "password": "accounts.billing_contact_invitation.password",
}
# Each of these ends every invitation to the account written before it: a newer invitation replaces
# an older one, and a change of contact (even back to the one who invited) kills them all.
INVITATION_ENDING_ACTIONS = (
    AuditAction.BILLING_CONTACT_INVITE,
    AuditAction.BILLING_CONTACT_INVITE_DECLINE,
    AuditAction.BILLING_CONTACT_CHANGE,
)


@dataclass(frozen=True)
class Invitation:
    account: CompanyAccount
    invitee: User
    inviter: User
    is_valid: bool


def _is_customer(user: User) -> bool:
    return user.is_active and not user.is_staff and not user.is_superuser


def _can_sign_in(user: User) -> bool:
    return user.has_usable_password() and CompanyAccount.objects.for_contact(user).exists()


def _invitation_link(*, kind: str, account: CompanyAccount, invitee: User, entry: AuditEntry) -> str:
    payload = {"a": account.pk, "u": invitee.pk, "c": account.billing_contact_id, "i": entry.pk}
    token = TimestampSigner(salt=INVITATION_SALTS[kind]).sign_object(payload)
    url_name = "accounts:billing_contact_accept" if kind == "accept" else "accounts:billing_contact_welcome"
    return settings.PORTAL_URL + reverse(url_name, args=[token])


def billing_contact_invitation_get(*, token: str, kind: str, lock: bool = False) -> Invitation | None:
    """The invitation a link carries, or None if the link was not made by the portal.

    `is_valid` is False once it is older than 7 days, the account is closed, the contact has
    changed, a newer invitation or a decline was recorded, or the invitee may no longer sign in.
    """
    signer = TimestampSigner(salt=INVITATION_SALTS[kind])
    try:
        payload, expired = signer.unsign_object(token, max_age=INVITATION_MAX_AGE), False
    except SignatureExpired:
        payload, expired = signer.unsign_object(token), True
    except BadSignature:
        return None
    accounts = CompanyAccount.objects.select_for_update() if lock else CompanyAccount.objects
    account = accounts.filter(pk=payload["a"]).first()
    people = User.objects.in_bulk([payload["u"], payload["c"]])
    if account is None or payload["u"] not in people or payload["c"] not in people:
        return None
    invitee = people[payload["u"]]
    is_valid = (
        not expired
        and account.is_active
        and account.billing_contact_id == payload["c"]
        and _is_customer(invitee)
        and not AuditEntry.objects.filter(
            account=account, action__in=INVITATION_ENDING_ACTIONS, pk__gt=payload["i"]
        ).exists()
    )
    return Invitation(account=account, invitee=invitee, inviter=people[payload["c"]], is_valid=is_valid)


def _invitee_get_or_create(
    *, user_id: str, email: str, first_name: str, last_name: str, language: str
) -> tuple[User | None, bool]:
    invitee = User.objects.filter(username_key=canonical_user_id(user_id)).first()
    if invitee is not None:
        return invitee, False
    invitee = User(username=user_id, email=email, first_name=first_name, last_name=last_name, language=language)
    invitee.set_unusable_password()
    try:
        with transaction.atomic():
            invitee.save()
    except IntegrityError:  # created by a concurrent request a moment ago
        return User.objects.filter(username_key=canonical_user_id(user_id)).first(), False
    return invitee, True


def billing_contact_invite(
    *, account: CompanyAccount, actor: User, user_id: str, email: str, first_name: str, last_name: str
) -> None:
    """Invite the person with this User ID to take over the billing-contact role of `account`.

    The role passes only when the invitee acts on the e-mail: a new person by setting a password,
    an existing customer by accepting while signed in. Whether the User ID exists is never told
    to `actor`: every outcome writes one audit entry and queues one e-mail, to the given address
    only, and returns the same. A User ID that cannot take the role (staff, inactive, another
    e-mail address) gets an e-mail asking for another User ID, and nothing else happens.
    """
    with transaction.atomic():
        locked = _lock_account(account)
        invitee, created = _invitee_get_or_create(
            user_id=user_id, email=email, first_name=first_name, last_name=last_name, language=actor.language
        )
        if invitee is not None and invitee.pk == locked.billing_contact_id:
            # Only the contact's own User ID gets here, which they know already.
            raise AccountError(_("This person is already the billing contact."))
        if invitee is None or not _is_customer(invitee) or invitee.email.lower() != email.lower():
            outcome, template, kind = "user_id_unavailable", "contact-user-id-unavailable", None
        elif created or not _can_sign_in(invitee):
            outcome, template, kind = "set_password", "contact-invite-new", "password"
        else:
            outcome, template, kind = "accept", "contact-invite", "accept"
        entry = audit_record(
            account=locked,
            actor=actor,
            action=AuditAction.BILLING_CONTACT_INVITE,
            target=locked,
            changes={"invitee": (None, user_id), "email": (None, email), "invitation": (None, outcome)},
        )
        context = {"account": locked, "inviter": actor, "first_name": first_name, "user_id": user_id}
        if kind is None:
            emails.queue(to=[email], template=template, context=context, language=actor.language)
        else:
            link = _invitation_link(kind=kind, account=locked, invitee=invitee, entry=entry)
            emails.queue(
                to=[invitee.email],
                template=template,
                context={**context, "contact": invitee, "link": link, "valid_days": INVITATION_MAX_AGE.days},
                language=invitee.language,
            )


def billing_contact_invitation_accept(*, token: str, user: User, password: str | None = None) -> CompanyAccount:
    """Make `user` the billing contact the invitation names; with `password`, through a set-password link."""
    with transaction.atomic():
        invitation = billing_contact_invitation_get(
            token=token, kind="accept" if password is None else "password", lock=True
        )
        if invitation is None or invitation.invitee.pk != user.pk or not invitation.is_valid:
            raise AccountError(_("This invitation is no longer valid."))
        if password is not None:
            if user.has_usable_password():
                password_set(user=user, password=password)
            else:
                # A new person: there is no earlier password to warn about.
                user.set_password(password)
                user.save(update_fields=["password"])
        billing_contact_assign(account=invitation.account, actor=user, new_contact=user)
    return invitation.account


def billing_contact_invitation_decline(*, token: str, user: User) -> CompanyAccount:
    with transaction.atomic():
        invitation = billing_contact_invitation_get(token=token, kind="accept", lock=True)
        if invitation is None or invitation.invitee.pk != user.pk or not invitation.is_valid:
            raise AccountError(_("This invitation is no longer valid."))
        account, inviter = invitation.account, invitation.inviter
        audit_record(
            account=account,
            actor=user,
            action=AuditAction.BILLING_CONTACT_INVITE_DECLINE,
            target=account,
            changes={"invitee": (user.username, None)},
        )
        emails.queue(
            to=[inviter.email],
            template="contact-invite-declined",
            context={"account": account, "contact": user, "inviter": inviter},
            language=inviter.language,
        )
    return account


def _contact_assigned_email(*, account: CompanyAccount, contact: User, by: User) -> None:
    """Tell a new billing contact of `account`: with a link to set a password if they have none yet."""
    if contact.has_usable_password():
        template, link = "contact-assigned", settings.PORTAL_URL
    else:
        template, link = "contact-welcome", password_set_link(contact)
    context = {"account": account, "contact": contact, "previous": by, "link": link}
    emails.queue(to=[contact.email], template=template, context=context, language=contact.language)


def account_create(*, account: CompanyAccount, actor: User) -> CompanyAccount:
    """A company account opened by staff; its billing contact is e-mailed, as when one is assigned later."""
    if account.billing_contact.is_staff:
        raise AccountError(_("Staff cannot be billing contacts."))
    with transaction.atomic():
        account.save()
        audit_record(
            account=account,
            actor=actor,
            action=AuditAction.ACCOUNT_CREATE,
            target=account,
            changes={"number": (None, account.number), "billing_contact": (None, account.billing_contact.username)},
        )
        _contact_assigned_email(account=account, contact=account.billing_contact, by=actor)
    return account


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
            account=locked,
            actor=actor,
            action=AuditAction.BILLING_CONTACT_CHANGE,
            target=locked,
            changes={"billing_contact": (old_contact.username, new_contact.username)},
        )
        _contact_assigned_email(account=locked, contact=new_contact, by=old_contact)
        context = {"account": locked, "contact": new_contact, "previous": old_contact}
        emails.queue(to=[old_contact.email], template="contact-removed", context=context, language=old_contact.language)
    account.billing_contact = new_contact
    return new_contact


def user_language_set(*, user: User, language: str) -> User:
    """The language a user chose on a page, kept for the e-mails they are sent; audited on each of their accounts."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.language == language:
            return user
        changes = {"language": (locked.language, language)}
        locked.language = language
        locked.save(update_fields=["language"])
        accounts = list(CompanyAccount.objects.for_contact(locked)) or [None]
        for account in accounts:
            audit_record(account=account, actor=locked, action=AuditAction.USER_UPDATE, target=locked, changes=changes)
    user.language = language
    return user


def password_reset_request(*, user: User) -> None:
    with transaction.atomic():
        emails.queue(
            to=[user.email],
            template="password-reset",
            context={
                "contact": user,
                "link": password_set_link(user),
                "valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
            },
            language=user.language,
        )


def password_set(*, user: User, password: str) -> User:
    """Set a new password; the change of password hash ends every other session of the user."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.set_password(password)
        locked.save(update_fields=["password"])
        for account in CompanyAccount.objects.for_contact(locked):
            audit_record(account=account, actor=locked, action=AuditAction.PASSWORD_CHANGE, target=locked)
        emails.queue(
            to=[locked.email], template="password-changed", context={"contact": locked}, language=locked.language
        )
    user.password = locked.password
    return user


def po_expiry_remind(*, now: datetime | None = None) -> int:
    """E-mail billing contacts whose PO expires within 30 days: once per expiry date; returns how many.

    Accounts another run holds are skipped, so two runs at once never remind twice; a PO whose date is
    changed afterwards is reminded of again as its new date comes near.
    """
    now = now or timezone.now()
    reminded = 0
    with transaction.atomic():
        candidates = (
            CompanyAccount.objects.po_reminder_candidates(now)
            .select_related("billing_contact")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
        )
        for account in candidates:
            if not account.po_reminder_due(now):
                continue
            old = account.po_reminder_sent_for
            account.po_reminder_sent_for = account.po_expires_on
            account.save(update_fields=["po_reminder_sent_for"])
            audit_record(
                account=account,
                actor=None,
                action=AuditAction.PO_EXPIRY_REMIND,
                target=account,
                changes={"po_reminder_sent_for": (old, account.po_expires_on)},
            )
            contact = account.billing_contact
            emails.queue(
                to=[contact.email],
                template="po-expiry-reminder",
                language=contact.language,
                context={
                    "account": account,
                    "contact": contact,
                    "link": settings.PORTAL_URL + reverse("accounts:purchase_order"),
                },
            )
            reminded += 1
    logger.info("Reminded %d billing contacts of an expiring purchase order.", reminded)
    return reminded

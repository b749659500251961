"""Terms versions: staff write them; once published, their words never change."""

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.audit import AuditAction, audited_save
from accounts.models import User

from ..models import TermsVersion
from ._common import QuoteError


def terms_version_save(*, terms: TermsVersion, actor: User, fields: Iterable[str]) -> TermsVersion:
    """Staff's new terms version, or their edit of `fields` of an unpublished one, saved and audited.

    An edit is saved under the version's row lock and only while it is unpublished: orders name the
    version they were placed under, so words published since the edit form was read stay as they are.
    """
    with transaction.atomic():
        stored = None
        if terms.pk is None:
            terms.created_by = actor
        else:
            stored = TermsVersion.objects.select_for_update().get(pk=terms.pk)
            if stored.is_published:
                raise QuoteError(
                    _("Terms %(version)s were published while you edited them; your changes were not saved.")
                    % {"version": stored.version}
                )
        audited_save(
            edited=terms,
            stored=stored,
            fields=fields if stored else ["version", "language", "published_at"],
            account=None,
            actor=actor,
            action=AuditAction.TERMS_VERSION_UPDATE if stored else AuditAction.TERMS_VERSION_CREATE,
        )
    return terms

"""Every write to quotes, carts, service orders and admin contacts goes through these functions.

Each state transition locks the rows it changes (quotes always in order of id, so two
transactions never wait on each other in a circle), checks the state and `expires_at`
under the lock, records who changed what, and queues its e-mails in the same transaction.
One module per concern; the public names are re-exported here, so callers import them
from `quotes.services`.
"""

from ._common import QuoteError, quote_link, quotes_currency
from .cart import cart_add, cart_get_or_create, cart_remove
from .expiry import quotes_expire_due, quotes_remind_due
from .orders import (
    PO_EXPIRY_WARNING,
    PurchaseOrderExpiredError,
    TermsOutdatedError,
    po_expired,
    po_expires_soon,
    service_order_draft_create,
    service_order_place,
)
from .quotes import quote_decline, quote_draft_save, quote_submit, quote_withdraw
from .terms import terms_version_save

__all__ = [
    "PO_EXPIRY_WARNING",
    "PurchaseOrderExpiredError",
    "QuoteError",
    "TermsOutdatedError",
    "cart_add",
    "cart_get_or_create",
    "cart_remove",
    "po_expired",
    "po_expires_soon",
    "quote_decline",
    "quote_draft_save",
    "quote_link",
    "quote_submit",
    "quote_withdraw",
    "quotes_currency",
    "quotes_expire_due",
    "quotes_remind_due",
    "terms_version_save",
    "service_order_draft_create",
    "service_order_place",
]

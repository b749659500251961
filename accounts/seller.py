"""The seller as every document names it: the invoice, the quote."""

from django.conf import settings


def seller() -> dict:
    return {
        "name": settings.SELLER_NAME,
        "address_lines": settings.SELLER_ADDRESS,
        "vat_id": settings.SELLER_VAT_ID,
        "email": settings.SELLER_EMAIL,
        "phone": settings.SELLER_PHONE,
        "bank_name": settings.SELLER_BANK_NAME,
        "bank_account_holder": settings.SELLER_BANK_ACCOUNT_HOLDER or settings.SELLER_NAME,
        "iban": settings.SELLER_IBAN,
        "bic": settings.SELLER_BIC,
        "check_address_lines": settings.SELLER_CHECK_ADDRESS or settings.SELLER_ADDRESS,
    }

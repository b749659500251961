from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    """An amount rounded to cents, half up, as every total in the portal is."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)

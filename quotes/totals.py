"""Net, tax and gross of one or more quotes, as every page and document of an order shows them."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from accounts.tax import TaxTreatment


@dataclass
class TaxLine:
    treatment: TaxTreatment
    net: Decimal = Decimal("0.00")
    tax: Decimal = Decimal("0.00")

    @property
    def label(self) -> str:
        return self.treatment.label


@dataclass
class Totals:
    currency: str
    net: Decimal = Decimal("0.00")
    tax: Decimal = Decimal("0.00")
    tax_lines: list[TaxLine] = field(default_factory=list)

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax


def quote_totals(quotes: Iterable) -> list[Totals]:
    """Per currency (amounts in two currencies are never added): net, tax per treatment, gross.

    Each quote's tax is rounded on its own, as its page shows it, and then added up.
    `quotes` carry `total` (their net: QuoteQuerySet.with_totals or the selector's sum of lines).
    """
    by_currency: dict[str, Totals] = {}
    for quote in quotes:
        totals = by_currency.setdefault(quote.currency, Totals(quote.currency))
        treatment = quote.treatment
        tax = treatment.tax_on(quote.total)
        line = next((line for line in totals.tax_lines if line.treatment == treatment), None)
        if line is None:
            line = TaxLine(treatment)
            totals.tax_lines.append(line)
        line.net += quote.total
        line.tax += tax
        totals.net += quote.total
        totals.tax += tax
    return list(by_currency.values())

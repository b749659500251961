"""Reads the portal's quote pages share; every one is scoped to a company account."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.utils import formats, timezone
from django.utils.timesince import timeuntil
from django.utils.translation import gettext, ngettext

from accounts.models import CompanyAccount, User
from billing_portal.links import pk_link
from billing_portal.templatetags.money import money

from .models import (
    EXPIRY_WARNING,
    AdminContact,
    Cart,
    Quote,
    QuoteLine,
    QuoteState,
    SeatAssignment,
    ServiceOrder,
    due_condition,
    lines_total,
    open_condition,
)

# The left menu of the Quotes tab: what the customer sees, not the raw state.
MENU = ["open", "accepted", "declined", "expired", "withdrawn"]


def _state_filter(menu: str, now: datetime) -> Q:
    return {
        "open": open_condition(now),
        "accepted": Q(state=QuoteState.ACCEPTED),
        "declined": Q(state=QuoteState.DECLINED),
        "expired": Q(state=QuoteState.EXPIRED) | due_condition(now),
        "withdrawn": Q(state=QuoteState.WITHDRAWN),
    }[menu]


def _in_cart(account: CompanyAccount, contact: User) -> Exists:
    return Exists(
        Cart.quotes.through.objects.filter(quote_id=OuterRef("pk"), cart__account=account, cart__contact=contact)
    )


def quote_counts_for_account(*, account: CompanyAccount, contact: User, now: datetime | None = None) -> dict[str, int]:
    """The left menu's counts and the number of quotes in the contact's cart, in one query."""
    now = now or timezone.now()
    return Quote.objects.visible_to(account).aggregate(
        **{menu: Count("pk", filter=_state_filter(menu, now)) for menu in MENU},
        cart=Count("pk", filter=Q(_in_cart(account, contact))),
    )


def quote_list_for_account(
    *, account: CompanyAccount, contact: User, menu: str, now: datetime | None = None
) -> QuerySet[Quote]:
    now = now or timezone.now()
    order = ["expires_at", "pk"] if menu == "open" else ["-decided_at", "-submitted_at", "-pk"]
    return (
        Quote.objects.visible_to(account)
        .filter(_state_filter(menu, now))
        .with_totals()
        .annotate(in_cart=_in_cart(account, contact))
        .select_related("decided_by")
        .order_by(*order)
    )


@dataclass(frozen=True, slots=True)
class QuoteRow:
    """One row of the Quotes list as the page shows it, formatted once in the active language and zone."""

    pk: int
    number: str
    products: str
    total: str
    in_cart: bool
    detail_url: str
    cart_remove_url: str
    label: str  # what a screen reader hears for the row's checkbox (open) or its "View" link (decided)
    # Open quotes
    expires: str = ""
    time_left: str = ""
    expires_soon: bool = False
    # Decided ones
    state: str = ""
    state_label: str = ""
    decided_by: str = ""
    decline_comment: str = ""
    when: str = ""


def quote_rows(quotes: Iterable[Quote], *, menu: str, now: datetime) -> list[QuoteRow]:
    """The rows of one page of `quote_list_for_account`: every value a cell shows, computed once per row
    instead of by template filters and tags per cell (dates in the current time zone)."""
    detail_url, cart_remove_url = pk_link("quotes:detail"), pk_link("quotes:cart_remove")
    label = gettext("Select quote %(number)s") if menu == "open" else gettext("View quote %(number)s")
    rows = []
    for quote in quotes:
        common = {
            "pk": quote.pk,
            "number": quote.number,
            "products": ngettext("%(counter)s product", "%(counter)s products", quote.line_count)
            % {"counter": quote.line_count},
            "total": money(quote.gross, quote.currency),
            "in_cart": quote.in_cart,
            "detail_url": detail_url(quote.pk),
            "cart_remove_url": cart_remove_url(quote.pk),
            "label": label % {"number": quote.number},
        }
        if menu == "open":
            rows.append(
                QuoteRow(
                    **common,
                    expires=formats.date_format(timezone.localtime(quote.expires_at), "DATETIME_FORMAT"),
                    time_left=timeuntil(quote.expires_at, now),
                    expires_soon=quote.expires_at - now < EXPIRY_WARNING,
                )
            )
            continue
        due = quote.is_due_at(now)
        state = QuoteState.EXPIRED if due else quote.state
        when = quote.expires_at if state == QuoteState.EXPIRED else quote.decided_at  # as Quote.decided_or_expired_at
        decided_by = quote.decided_by
        rows.append(
            QuoteRow(
                **common,
                state=state,
                state_label=QuoteState(state).label,
                decided_by=(decided_by.get_full_name() or decided_by.username) if decided_by else "",
                decline_comment=quote.decline_comment,
                when=formats.date_format(timezone.localtime(when), "DATETIME_FORMAT") if when else "",
            )
        )
    return rows


def quote_detail_for_account(*, account: CompanyAccount, contact: User, pk: int) -> Quote:
    """Drafts are staff-only: to the customer they do not exist."""
    queryset = (
        Quote.objects.visible_to(account)
        .with_totals()
        .annotate(in_cart=_in_cart(account, contact))
        .select_related("account_manager", "decided_by", "service_order")
    )
    quote = get_object_or_404(queryset, pk=pk)
    quote.line_items = list(QuoteLine.objects.filter(quote=quote).select_related("product"))
    return quote


def quotes_with_lines(queryset: QuerySet[Quote]) -> list[Quote]:
    return list(
        queryset.with_totals()
        .select_related("account_manager")
        .prefetch_related(Prefetch("lines", queryset=QuoteLine.objects.select_related("product"), to_attr="line_items"))
        .order_by("pk")
    )


def cart_quote_queryset(*, account: CompanyAccount, contact: User) -> QuerySet[Quote]:
    return Quote.objects.visible_to(account).filter(carts__account=account, carts__contact=contact).order_by("pk")


def cart_quotes(*, account: CompanyAccount, contact: User) -> list[Quote]:
    return quotes_with_lines(cart_quote_queryset(account=account, contact=contact))


def quotes_from_lines(lines: QuerySet[QuoteLine]) -> list[Quote]:
    """Quotes with `line_items` and `total`, read in one query of their lines (every submitted quote has lines)."""
    quotes: dict[int, Quote] = {}
    for line in lines.select_related("quote__account_manager", "product").order_by("quote_id", "id"):
        quote = quotes.setdefault(line.quote_id, line.quote)
        if not hasattr(quote, "line_items"):
            quote.line_items = []
        quote.line_items.append(line)
    for quote in quotes.values():
        quote.total = lines_total(quote.line_items)
    return list(quotes.values())


def service_order_for_account(*, account: CompanyAccount, pk: int) -> ServiceOrder:
    order = get_object_or_404(ServiceOrder.objects.visible_to(account).select_related("placed_by", "terms"), pk=pk)
    order.quote_items = quotes_from_lines(QuoteLine.objects.filter(quote__service_orders=order))
    return order


def service_orders_for_account(*, account: CompanyAccount) -> QuerySet[ServiceOrder]:
    """The account's placed service orders, newest first, each with its quotes."""
    return (
        ServiceOrder.objects.visible_to(account)
        .filter(state=ServiceOrder.State.PLACED)
        .order_by("-placed_at", "-id")
        .prefetch_related(Prefetch("quotes", queryset=Quote.objects.order_by("number").only("pk", "number")))
    )


@dataclass(frozen=True, slots=True)
class OrderRow:
    """One row of the Orders page as it shows it, formatted once in the active language and zone."""

    number: str
    placed: str
    quotes: list[tuple[str, str]]  # (number, link) of each quote, by number
    total: str
    receipt_number: str
    receipt_url: str
    receipt_label: str


def order_rows(orders: Iterable[ServiceOrder]) -> list[OrderRow]:
    """The rows of one page of `service_orders_for_account`, each value computed once (dates in the
    current time zone)."""
    quote_url, receipt_url = pk_link("quotes:detail"), pk_link("quotes:order_receipt_pdf")
    receipt = gettext("Receipt %(number)s (PDF)")
    return [
        OrderRow(
            number=order.number,
            placed=formats.date_format(timezone.localtime(order.placed_at), "DATETIME_FORMAT"),
            quotes=[(quote.number, quote_url(quote.pk)) for quote in order.quotes.all()],
            total=money(order.total, order.currency),
            receipt_number=order.receipt_number,
            receipt_url=receipt_url(order.pk),
            receipt_label=receipt % {"number": order.receipt_number},
        )
        for order in orders
    ]


def products_for_account(*, account: CompanyAccount) -> QuerySet:
    """What the account holds: each line of its accepted quotes, with the product admin holding its seats and
    the service order that placed it, newest order first, as the values `product_rows` shows. One query per
    page."""
    seats = SeatAssignment.objects.filter(quote=OuterRef("quote"), product=OuterRef("product")).order_by("pk")
    return (
        QuoteLine.objects.filter(
            quote__in=Quote.objects.visible_to(account).filter(state=QuoteState.ACCEPTED),
            quote__service_order__state=ServiceOrder.State.PLACED,
        )
        .annotate(
            admin_name=Subquery(seats.values("admin__name")[:1]),
            admin_email=Subquery(seats.values("admin__email")[:1]),
        )
        .order_by("-quote__service_order__placed_at", "-quote_id", "id")
        .values_list(
            "pk",
            "product__name",
            "product__sku",
            "seats",
            "term_months",
            "admin_name",
            "admin_email",
            "quote__service_order_id",
            "quote__service_order__placed_at",
            "quote__service_order__receipt_number",
            named=True,
        )
    )


@dataclass(frozen=True, slots=True)
class ProductRow:
    """One row of the Products page as it shows it, formatted once in the active language."""

    pk: int
    name: str
    sku: str
    seats: int
    admin_name: str
    admin_email: str
    term_start: str  # the day its order was placed, in the account's zone
    term_end: str  # `term_months` later: when it renews or ends
    ends: str  # "Ends on …", for an account without automatic renewal
    receipt_number: str
    receipt_url: str
    receipt_label: str


def product_rows(lines: Iterable, *, zone: tzinfo) -> list[ProductRow]:
    """The rows of one page of `products_for_account`, each value computed once (the lines of one order
    share their dates, so each day is formatted once)."""
    receipt_url = pk_link("quotes:order_receipt_pdf")
    ends, receipt = gettext("Ends on %(date)s"), gettext("Receipt %(number)s (PDF)")
    shown: dict = {}

    def short(day) -> str:
        if day not in shown:
            shown[day] = formats.date_format(day, "SHORT_DATE_FORMAT")
        return shown[day]

    rows = []
    for line in lines:
        start = line.quote__service_order__placed_at.astimezone(zone).date()
        end = short(start + relativedelta(months=line.term_months))
        number = line.quote__service_order__receipt_number
        rows.append(
            ProductRow(
                pk=line.pk,
                name=line.product__name,
                sku=line.product__sku,
                seats=line.seats,
                admin_name=line.admin_name or "",
                admin_email=line.admin_email or "",
                term_start=short(start),
                term_end=end,
                ends=ends % {"date": end},
                receipt_number=number,
                receipt_url=receipt_url(line.quote__service_order_id),
                receipt_label=receipt % {"number": number},
            )
        )
    return rows


def admin_contact_suggestion(*, account: CompanyAccount) -> AdminContact | None:
    return AdminContact.objects.filter(account=account).order_by("-updated_at").first()

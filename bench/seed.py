"""Seed the benchmark's database with a realistic volume, by COPY, in minutes.

    .venv/bin/python bench/seed.py [--scale 1.0] [--reset]

At scale 1: 1,000 company accounts (40 contacts hold two accounts), 20 account managers,
200,000 quotes (200 per account: 10 draft, 30 open, 100 expired, 30 accepted with their
service orders, 24 declined, 6 withdrawn) with 1-5 lines each, a saved cart of two open
quotes per contact, 100,000 invoices (100 per account, one a month, newest first: 1 draft,
2 issued, then paid with every 33rd void) with 1-4 lines each. `--scale 0.02` seeds 20 accounts.

Works only on a database whose name starts with `bench_` (default `bench_portal`, created
here if missing; `--reset` drops and recreates it). Every contact's password is
`bench-password-1` (hashed once, the hash reused). Rows are built from the models' fields
(defaults included, so new fields with defaults need no change here) and streamed with COPY.
"""

import argparse
import io
import json
import random
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BENCH_DB, PG, Progress, bench_env, setup_django

PASSWORD = "bench-password-1"
QUOTES_PER_ACCOUNT = {"draft": 10, "open": 30, "expired": 100, "accepted": 30, "declined": 24, "withdrawn": 6}
INVOICES_PER_ACCOUNT = 100
MANAGERS = 20
PRODUCTS = 30
BATCH = 20_000


def address_text(account: dict) -> str:
    return f"{account['address_line1']}\n{account['postal_code']} {account['city']}\n{account['country']}"


def psql(sql: str, database: str = "postgres") -> str:
    return subprocess.run(
        ["psql", f"{PG}/{database}", "-v", "ON_ERROR_STOP=1", "-Atqc", sql], check=True, capture_output=True, text=True
    ).stdout.strip()


def database_exists() -> bool:
    return psql(f"SELECT 1 FROM pg_database WHERE datname = '{BENCH_DB}'") == "1"


def create_database(*, reset: bool) -> None:
    if reset and database_exists():
        psql(f'DROP DATABASE "{BENCH_DB}" WITH (FORCE)')
    if not database_exists():
        psql(f'CREATE DATABASE "{BENCH_DB}"')


def seeded_scale() -> float | None:
    """The scale the database was seeded at, or None when it is not (completely) seeded."""
    if not database_exists():
        return None
    found = psql(
        "SELECT value FROM bench_meta WHERE key = 'scale'"
        if psql("SELECT to_regclass('bench_meta') IS NOT NULL", BENCH_DB) == "t"
        else "SELECT NULL",
        BENCH_DB,
    )
    return float(found) if found else None


# COPY ------------------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    value = str(value)
    if any(char in value for char in "\\\t\n\r"):
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


class Copier:
    """Rows of one model, completed with the model's defaults and streamed to PostgreSQL with COPY."""

    def __init__(self, model, cursor, progress: Progress | None = None):
        from django.utils import timezone

        self.model, self.cursor, self.progress = model, cursor, progress
        self.fields = list(model._meta.concrete_fields)
        self.columns = ", ".join(f'"{field.column}"' for field in self.fields)
        self.now = timezone.now()
        self.static_defaults = {}
        for field in self.fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                self.static_defaults[field.attname] = self.now
            elif not (field.has_default() and callable(field.default)):
                self.static_defaults[field.attname] = field.get_default()
        self.buffer = io.StringIO()
        self.pending = 0
        self.next_id = self._max_id() + 1

    def _max_id(self) -> int:
        self.cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{self.model._meta.db_table}"')
        return self.cursor.fetchone()[0]

    def add(self, **values) -> int:
        if "id" not in values:
            values["id"] = self.next_id
        self.next_id = max(self.next_id, values["id"] + 1)
        row = []
        for field in self.fields:
            name = field.attname
            if name in values:
                value = values[name]
            elif name in self.static_defaults:
                value = self.static_defaults[name]
            else:
                value = field.get_default()
            row.append(_text(value))
        self.buffer.write("\t".join(row))
        self.buffer.write("\n")
        self.pending += 1
        if self.pending >= BATCH:
            self.flush()
        return values["id"]

    def flush(self) -> None:
        if not self.pending:
            return
        self.buffer.seek(0)
        self.cursor.copy_expert(f'COPY "{self.model._meta.db_table}" ({self.columns}) FROM STDIN', self.buffer)
        if self.progress:
            self.progress.advance(self.pending)
        self.buffer = io.StringIO()
        self.pending = 0

    def close(self) -> None:
        self.flush()
        table = self.model._meta.db_table
        self.cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'GREATEST((SELECT MAX(id) FROM "{table}"), 1))'
        )


# Data --------------------------------------------------------------------------------------------


def seed(scale: float) -> dict[str, int]:
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import CompanyAccount, PaymentMethod, User
    from billing_portal.money import money
    from invoices.models import Invoice, InvoiceLine, InvoiceNumberSequence, InvoiceState
    from quotes.models import QUOTE_VALIDITY, Cart, Product, Quote, QuoteLine, QuoteState, ServiceOrder

    rng = random.Random(20261125)
    n_accounts = max(5, round(1000 * scale))
    n_contacts = n_accounts - n_accounts // 25
    now = timezone.now()
    today = now.date()
    password = make_password(PASSWORD)  # hashed once: PBKDF2 at production cost would take hours per 1,000
    counts: dict[str, int] = {}

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")

        # People, accounts, products ---------------------------------------------------------
        users = Copier(User, cursor)
        manager_ids = [
            users.add(
                username=f"bench-manager-{i:02d}",
                username_key=f"bench-manager-{i:02d}",
                email=f"manager{i:02d}@portal.example",
                first_name="Manager",
                last_name=f"{i:02d}",
                password=password,
                is_staff=True,
                date_joined=now,
            )
            for i in range(1, MANAGERS + 1)
        ]
        contact_ids = [
            users.add(
                username=f"bench-contact-{i:04d}",
                username_key=f"bench-contact-{i:04d}",
                email=f"billing{i:04d}@company{i:04d}.example",
                first_name="Billing",
                last_name=f"Contact {i:04d}",
                password=password,
                date_joined=now,
                language="de" if i % 5 == 0 else "en",
            )
            for i in range(1, n_contacts + 1)
        ]
        users.close()

        accounts = Copier(CompanyAccount, cursor)
        account_rows = []
        methods = [PaymentMethod.WIRE, PaymentMethod.CARD, PaymentMethod.CHECK, PaymentMethod.DIRECT_DEBIT]
        for i in range(1, n_accounts + 1):
            us = i % 2 == 0
            method = methods[i % 4]
            if not us and method in (PaymentMethod.DIRECT_DEBIT, PaymentMethod.CHECK):
                method = PaymentMethod.WIRE  # ACH and checks are for US accounts; SEPA needs a signed mandate
            row = {
                "number": f"CA-{i:06d}",
                "name": f"Bench Company {i:04d} {'Inc.' if us else 'GmbH'}",
                "account_manager_id": manager_ids[i % MANAGERS],
                "billing_contact_id": contact_ids[(i - 1) % n_contacts],
                "language": "en" if us else "de",
                "currency": "USD" if us else "EUR",
                "address_line1": f"{i} Main Street" if us else f"Hauptstraße {i}",
                "postal_code": f"{10000 + i}",
                "city": "Springfield" if us else "Berlin",
                "region": "IL" if us else "",
                "country": "US" if us else "DE",
                "phone": f"+1415555{i:04d}" if us else f"+4930555{i:04d}",
                "payment_method": method,
                "po_number": f"PO-{i:05d}",
                "po_expires_on": today + timedelta(days=180),
                "created_at": now - timedelta(days=900),
            }
            if method == PaymentMethod.CARD:
                row.update(
                    card_holder=f"Billing Contact {i:04d}",
                    card_brand="Visa",
                    card_last4=f"{i % 10000:04d}",
                    card_exp_month=12,
                    card_exp_year=today.year + 2,
                )
            elif method == PaymentMethod.DIRECT_DEBIT:
                row.update(
                    bank_account_holder=f"Bench Company {i:04d}",
                    bank_routing_number="021000021",
                    bank_account_last4=f"{i % 10000:04d}",
                )
            row["id"] = accounts.add(**row)
            account_rows.append(row)
        accounts.close()

        products = Copier(Product, cursor)
        product_rows = [
            (
                products.add(sku=f"BENCH-{p:03d}", name=f"Product {p:03d} Suite"),
                f"Product {p:03d} Suite",
                Decimal(rng.choice([9, 19, 49, 99, 199, 499])) + Decimal("0.99"),
            )
            for p in range(1, PRODUCTS + 1)
        ]
        products.close()
        counts.update(users=len(manager_ids) + len(contact_ids), accounts=n_accounts)

        # Quotes, lines, service orders, carts -----------------------------------------------------
        total_quotes = n_accounts * sum(QUOTES_PER_ACCOUNT.values())
        progress = Progress("quotes (+lines)", total_quotes)
        quotes = Copier(Quote, cursor)
        lines = Copier(QuoteLine, cursor)
        orders = Copier(ServiceOrder, cursor)
        order_quotes = Copier(ServiceOrder.quotes.through, cursor)
        carts = Copier(Cart, cursor)
        cart_quotes = Copier(Cart.quotes.through, cursor)
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_due_quote (id bigint PRIMARY KEY)")
        due_ids: list[int] = []
        n_lines = 0
        states = [state for state, count in QUOTES_PER_ACCOUNT.items() for _ in range(count)]
        for account in account_rows:
            rng.shuffle(states)
            open_ids = []
            for state in states:
                quote_id = quotes.next_id
                quote_lines = []
                for _ in range(rng.randint(1, 5)):
                    product_id, product_name, price = rng.choice(product_rows)
                    seats = rng.choice([1, 5, 10, 25, 50, 100, 250])
                    discount = Decimal(rng.choice([0, 0, 5, 10, 15, 20]))
                    total = QuoteLine.compute_total(seats=seats, unit_price=price, discount_percent=discount)
                    quote_lines.append(
                        {
                            "quote_id": quote_id,
                            "product_id": product_id,
                            "seats": seats,
                            "unit_price": price,
                            "term_months": rng.choice([12, 12, 24, 36]),
                            "discount_percent": discount,
                            "line_total": total,
                            "description": f"{product_name}, annual subscription",
                        }
                    )
                row = {
                    "id": quote_id,
                    "number": f"Q-{quote_id:010X}",
                    "account_id": account["id"],
                    "currency": account["currency"],
                    "notes": "Prices valid for the term shown.",
                }
                if state == "draft":
                    row.update(state=QuoteState.DRAFT, created_at=now - timedelta(days=rng.uniform(0, 60)), currency="")
                else:
                    if state == "open":
                        submitted = now - timedelta(hours=rng.uniform(0.1, 6.5 * 24))
                    elif state == "expired":
                        submitted = now - timedelta(days=rng.uniform(8, 730))
                    else:
                        submitted = now - timedelta(days=rng.uniform(1, 730))
                    expires = submitted + QUOTE_VALIDITY
                    row.update(
                        state=QuoteState.SUBMITTED if state == "open" else state,
                        submitted_at=submitted,
                        expires_at=expires,
                        created_at=submitted - timedelta(days=1),
                        account_manager_id=account["account_manager_id"],
                        tax_category="O" if account["country"] == "US" else "S",
                        tax_rate=Decimal("0") if account["country"] == "US" else Decimal("19.00"),
                    )
                    if state == "open" and expires - now < timedelta(hours=48):
                        row["reminder_sent_at"] = expires - timedelta(hours=48)
                    decided = min(submitted + timedelta(days=rng.uniform(0.01, 6.9)), now - timedelta(minutes=1))
                    if state == "expired":
                        row["decided_at"] = expires
                        due_ids.append(quote_id)
                    elif state in ("accepted", "declined"):
                        row.update(decided_at=decided, decided_by_id=account["billing_contact_id"])
                        if state == "declined":
                            row["decline_comment"] = "We renewed with fewer seats; please send a new quote."
                    elif state == "withdrawn":
                        row.update(decided_at=decided, decided_by_id=account["account_manager_id"])
                    if state == "accepted":
                        order_id = orders.next_id
                        order_total = money(sum((line["line_total"] for line in quote_lines), Decimal("0")))
                        orders.add(
                            id=order_id,
                            number=f"SO-{order_id:010X}",
                            token=uuid.UUID(int=rng.getrandbits(128)),
                            account_id=account["id"],
                            state=ServiceOrder.State.PLACED,
                            admin_name=f"Admin of {account['name']}",
                            admin_email=f"admin{account['id']}@company.example",
                            payment_method=account["payment_method"],
                            payment_display=account["payment_method"],
                            billing_address=address_text(account),
                            po_number=account["po_number"],
                            currency=account["currency"],
                            total=order_total,
                            created_by_id=account["billing_contact_id"],
                            created_at=decided,
                            placed_at=decided,
                            placed_by_id=account["billing_contact_id"],
                            receipt_number=f"R-{order_id:010X}",
                        )
                        order_quotes.add(serviceorder_id=order_id, quote_id=quote_id)
                        row["service_order_id"] = order_id
                    if state == "open":
                        open_ids.append(quote_id)
                quotes.add(**row)
                for line in quote_lines:
                    lines.add(**line)
                n_lines += len(quote_lines)
                progress.advance()
            cart_id = carts.add(account_id=account["id"], contact_id=account["billing_contact_id"], updated_at=now)
            for quote_id in sorted(open_ids)[:2]:
                cart_quotes.add(cart_id=cart_id, quote_id=quote_id)
        for copier in (quotes, lines, orders, order_quotes, carts, cart_quotes):
            copier.close()
        progress.finish()
        for start in range(0, len(due_ids), BATCH):
            cursor.execute(
                "INSERT INTO bench_due_quote (id) SELECT unnest(%s::bigint[])", [due_ids[start : start + BATCH]]
            )
        counts.update(
            quotes=total_quotes, quote_lines=n_lines, service_orders=orders.next_id - 1, due_quotes=len(due_ids)
        )

        # Invoices and lines ---------------------------------------------------------------------------
        progress = Progress("invoices (+lines)", n_accounts * INVOICES_PER_ACCOUNT)
        invoices = Copier(Invoice, cursor)
        invoice_lines = Copier(InvoiceLine, cursor)
        sequences: dict[str, int] = {}
        n_invoice_lines = 0
        contact_names = {contact_id: f"bench-contact-{n:04d}" for n, contact_id in enumerate(contact_ids, start=1)}
        for account in account_rows:
            tax_rate = Decimal("0.00") if account["country"] == "US" else Decimal("19.00")
            for k in range(INVOICES_PER_ACCOUNT):  # k = 0 is the newest
                invoice_id = invoices.next_id
                issue_date = today - timedelta(days=30 * k + rng.randint(0, 5))
                item_lines = []
                for position in range(1, rng.randint(1, 4) + 1):
                    _pid, name, price = rng.choice(product_rows)
                    quantity = Decimal(rng.choice([1, 5, 10, 25, 50]))
                    item_lines.append(
                        {
                            "invoice_id": invoice_id,
                            "position": position,
                            "description": f"{name}, monthly",
                            "product": name,
                            "quantity": quantity,
                            "unit_price": price,
                            "line_total": money(quantity * price),
                        }
                    )
                subtotal = money(sum((line["line_total"] for line in item_lines), Decimal("0")))
                tax = money(subtotal * tax_rate / 100)
                row = {
                    "id": invoice_id,
                    "account_id": account["id"],
                    "currency": account["currency"],
                    "tax_rate": tax_rate,
                    "tax_category": "O" if account["country"] == "US" else "S",
                    "buyer_street": account["address_line1"],
                    "buyer_postal_code": account["postal_code"],
                    "buyer_city": account["city"],
                    "buyer_country": account["country"],
                    "subtotal": subtotal,
                    "tax": tax,
                    "total": subtotal + tax,
                    "service_period_start": issue_date,
                    "service_period_end": issue_date + timedelta(days=29),
                    "created_at": now - timedelta(days=30 * k + 6),
                }
                if k == 0:
                    row["state"] = InvoiceState.DRAFT
                else:
                    prefix = f"INV-{issue_date.year}"
                    sequences[prefix] = sequences.get(prefix, 0) + 1
                    issued_at = datetime.combine(issue_date, datetime.min.time(), tzinfo=now.tzinfo) + timedelta(
                        hours=9
                    )
                    state = InvoiceState.ISSUED if k <= 2 else InvoiceState.VOID if k % 33 == 0 else InvoiceState.PAID
                    row.update(
                        state=state,
                        number=f"{prefix}-{sequences[prefix]:05d}",
                        issue_date=issue_date,
                        due_date=issue_date + timedelta(days=30),
                        issued_at=issued_at,
                        billing_name=account["name"],
                        billing_address=address_text(account),
                        account_number=account["number"],
                        po_number=account["po_number"],
                        contact_user_id=contact_names[account["billing_contact_id"]],
                        payment_method=account["payment_method"],
                    )
                    if state == InvoiceState.PAID:
                        row["paid_at"] = issued_at + timedelta(days=20)
                    elif state == InvoiceState.VOID:
                        row["voided_at"] = issued_at + timedelta(days=3)
                invoices.add(**row)
                for line in item_lines:
                    invoice_lines.add(**line)
                n_invoice_lines += len(item_lines)
                progress.advance()
        invoices.close()
        invoice_lines.close()
        progress.finish()
        InvoiceNumberSequence.objects.bulk_create(
            [InvoiceNumberSequence(prefix=prefix, last_value=value) for prefix, value in sequences.items()],
            update_conflicts=True,
            unique_fields=["prefix"],
            update_fields=["last_value"],
        )
        counts.update(invoices=invoices.next_id - 1, invoice_lines=n_invoice_lines)

        cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)")
        cursor.execute(
            "INSERT INTO bench_meta VALUES ('scale', %s), ('seeded_at', %s), ('clock', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [str(scale), now.isoformat(), now.isoformat()],
        )
    return counts


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="1.0 = 1,000 accounts, 200,000 quotes, 100,000 invoices"
    )
    parser.add_argument("--reset", action="store_true", help=f"drop and recreate {BENCH_DB} first")
    args = parser.parse_args(argv)

    started = time.monotonic()
    create_database(reset=args.reset)
    env = bench_env()
    setup_django(env)
    from django.core.management import call_command

    print(f"Migrating {BENCH_DB} ...", file=sys.stderr)
    call_command("migrate", "--noinput", verbosity=0)
    if seeded_scale() is not None:
        sys.exit(f"{BENCH_DB} is already seeded (scale {seeded_scale()}); use --reset to seed it again")
    print(f"Seeding {BENCH_DB} at scale {args.scale} ...", file=sys.stderr)
    counts = seed(args.scale)
    print("  ANALYZE ...", file=sys.stderr)
    psql("VACUUM ANALYZE", BENCH_DB)
    elapsed = time.monotonic() - started
    print(
        f"Seeded {BENCH_DB} in {elapsed:.0f} s: " + ", ".join(f"{value:,} {key}" for key, value in counts.items()),
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()

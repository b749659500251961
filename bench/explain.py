"""EXPLAIN every SELECT that each portal page runs, on a seeded bench database: which pages read
quotes, invoices or their lines by a sequential scan.

    BENCH_DB=bench_portal_x5 .venv/bin/python bench/explain.py [--json FILE]

A seeded billing contact (one with an open quote, a cart, a placed order and issued invoices) is
signed in with the Django test client, in this process, on production settings; each page is
requested once to warm it, then once more with every statement recorded exactly as sent to
PostgreSQL, and each SELECT is EXPLAINed as it is (no planner setting changed). bench/run.py calls
`explain_pages()` for its largest data size; run alone, it prints one line per page.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_env, setup_django

BIG_TABLES = ("quotes_quote", "quotes_quoteline", "invoices_invoice", "invoices_invoiceline")


def sequential_scans(plan: str) -> list[str]:
    """The plan's lines that scan one of the big tables sequentially."""
    return [
        line.strip()
        for line in plan.splitlines()
        if "Seq Scan on " in line and line.split("Seq Scan on ", 1)[1].split()[0] in BIG_TABLES
    ]


def _contact():
    """A contact whose account has every page to show: an open quote outside the cart, a cart, a draft
    or placed order, an issued invoice."""
    from accounts.models import CompanyAccount
    from invoices.models import Invoice, InvoiceState
    from quotes.models import Cart, Quote, ServiceOrder

    for account in CompanyAccount.objects.filter(billing_contact__username__startswith="bench-contact-").order_by("pk")[
        :50
    ]:
        contact = account.billing_contact
        quote = Quote.objects.open().filter(account=account, carts__isnull=True).order_by("pk").first()
        cart = Cart.objects.filter(account=account, contact=contact).first()
        invoice = Invoice.objects.filter(account=account, state=InvoiceState.ISSUED).order_by("-issue_date").first()
        order = (
            ServiceOrder.objects.filter(account=account, state=ServiceOrder.State.DRAFT).order_by("-pk").first()
            or ServiceOrder.objects.filter(account=account).order_by("-pk").first()
        )
        if quote and cart and invoice and order:
            return contact, account, quote, invoice, order
    raise RuntimeError("no seeded contact with an open quote, a cart, an order and an issued invoice")


def pages(quote, invoice, order) -> dict[str, str]:
    from django.urls import reverse

    from quotes.selectors import MENU

    quotes = reverse("quotes:list")
    found = {f"Quotes ({menu})": f"{quotes}?state={menu}" for menu in MENU}
    found.update(
        {
            "Quote review": reverse("quotes:detail", kwargs={"pk": quote.pk}),
            "Payment (one quote)": reverse("quotes:checkout", kwargs={"pk": quote.pk}),
            "Cart": reverse("quotes:cart"),
            "Payment (cart)": reverse("quotes:cart_checkout"),
            "Order review": reverse("quotes:order_review", kwargs={"pk": order.pk}),
            "Orders": reverse("quotes:orders"),
            "Invoices": reverse("invoices:list"),
            "Invoice detail": reverse("invoices:detail", kwargs={"pk": invoice.pk}),
            "Billing": reverse("accounts:billing"),
            "Products": reverse("quotes:products"),
        }
    )
    return found


def _selects(client, path: str) -> tuple[int, list[str]]:
    from django.db import connection

    sent: list[str] = []

    def record(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        sent.append(context["cursor"].cursor.query.decode())
        return result

    client.get(path, follow=True)  # warm: first-request work (caches, sessions) is not the page's
    with connection.execute_wrapper(record):
        response = client.get(path, follow=True)
    return response.status_code, [sql for sql in sent if sql.lstrip().upper().startswith(("SELECT", "WITH"))]


def explain_pages() -> dict:
    """Per page: the status, the number of SELECTs, and each sequential scan of a big table with its SQL."""
    from django.db import connection
    from django.test import Client

    contact, account, quote, invoice, order = _contact()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(contact, backend="accounts.backends.UserIDBackend")
    results = []
    for name, path in pages(quote, invoice, order).items():
        status, selects = _selects(client, path)
        offenders = []
        with connection.cursor() as cursor:
            for sql in selects:
                cursor.execute("EXPLAIN " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                scans = sequential_scans(plan)
                if scans:
                    offenders.append({"scans": scans, "sql": sql, "plan": plan})
        big = sum(1 for sql in selects if any(table in sql for table in BIG_TABLES))
        results.append(
            {
                "page": name,
                "path": path,
                "status": status,
                "selects": len(selects),
                "selects_on_big_tables": big,
                "offenders": offenders,
            }
        )
    clean = [row for row in results if row["status"] == 200 and not row["offenders"]]
    return {
        "database": connection.settings_dict["NAME"],
        "account": account.number,
        "tables": list(BIG_TABLES),
        "pages": results,
        "clean": len(clean),
        "offenders": [row["page"] for row in results if row["offenders"]],
        "not_shown": [row["page"] for row in results if row["status"] != 200],
    }


def summary(result: dict) -> str:
    line = (
        f"EXPLAIN on {result['database']}: no sequential scan of quotes, invoices or their lines "
        f"on {result['clean']} of {len(result['pages'])} pages"
    )
    if result["offenders"]:
        line += "; sequential scans on: " + ", ".join(result["offenders"])
    if result["not_shown"]:
        line += "; not shown (not HTTP 200): " + ", ".join(result["not_shown"])
    return line + "."


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="also write the result (with plans of offenders) here")
    args = parser.parse_args(argv)
    setup_django(bench_env())
    from django.core.management import call_command

    call_command("collectstatic", "--noinput", verbosity=0)  # production settings: the pages need the manifest
    result = explain_pages()
    for row in result["pages"]:
        verdict = "ok" if not row["offenders"] else "; ".join(s for o in row["offenders"] for s in o["scans"])
        print(
            f"{row['page']:<22} HTTP {row['status']}  {row['selects']:>2} SELECTs, "
            f"{row['selects_on_big_tables']} on quotes, invoices or lines: {verdict}"
        )
        for offender in row["offenders"]:
            print(f"    {offender['sql']}\n    " + offender["plan"].replace("\n", "\n    "))
    print(summary(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    if result["offenders"]:
        sys.exit(1)


if __name__ == "__main__":
    main()

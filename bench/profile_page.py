"""Where a page's time goes, in-process: the same request repeated through Django's full stack
(middleware, session, view, template) with production settings on the seeded bench database.

    .venv/bin/python bench/profile_page.py [--path /quotes/] [--repeat 300] [--profile]

Prints milliseconds per request (and per page for each path given) so that a change to a view or
a template can be measured in seconds, without gunicorn and wrk; `--profile` adds the functions
that take the most time (cProfile, cumulative). Signs in one contact of the bench data.
"""

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_env, setup_django

DEFAULT_PATHS = [
    "/_baseline/",
    "/_frame/",
    "/quotes/",
    "/quotes/{quote}/",
    "/quotes/cart/",
    "/invoices/",
    "/invoices/{invoice}/",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", action="append", help="a portal path; {quote} and {invoice} are the contact's own")
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="cumulative", help="cProfile order: cumulative, tottime, ...")
    args = parser.parse_args()
    setup_django({**bench_env(), "ALLOWED_HOSTS": "testserver"})

    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from accounts.models import CompanyAccount, User
    from invoices.models import Invoice, InvoiceState
    from quotes.models import Quote

    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", "--noinput", verbosity=0)
    contact = User.objects.filter(is_staff=False, username__startswith="bench-contact-").order_by("pk").first()
    account = CompanyAccount.objects.for_contact(contact).order_by("name").first()
    quote = Quote.objects.open().filter(account=account, carts__isnull=True).order_by("expires_at", "pk").last()
    invoice = Invoice.objects.filter(account=account, state=InvoiceState.ISSUED).order_by("-issue_date").first()
    client = Client()
    client.force_login(contact)

    for template in args.path or DEFAULT_PATHS:
        path = template.format(quote=quote.pk, invoice=invoice.pk)
        for _warm in range(20):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
        profiler = cProfile.Profile() if args.profile else None
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        for _request in range(args.repeat):
            client.get(path)
        if profiler:
            profiler.disable()
        elapsed = (time.perf_counter() - start) / args.repeat * 1000
        print(f"{path:<28} {elapsed:7.2f} ms per request ({len(response.content):,} bytes)")
        if profiler:
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(35)


if __name__ == "__main__":
    main()

"""Where a page's time goes, in-process: the same request repeated through Django's full stack
(middleware, session, view, template) with production settings on the seeded bench database.

    .venv/bin/python bench/profile_page.py [--path /quotes/] [--repeat 300] [--profile] [--split]

Prints milliseconds per request (and per page for each path given), wall time and this process's CPU
time (which other work on a shared machine disturbs less; it leaves out PostgreSQL's and Redis's own),
so that a change to a view or a template can be measured in seconds, without gunicorn and wrk;
`--profile` adds the functions
that take the most time (cProfile, cumulative); `--split` divides each request's time into SQL (the
queries, wherever they run), template (rendering, its queries excluded), view (the view and its
decorators, template and queries excluded) and middleware (the rest: middleware, request handling
and the test client's own work). Signs in one contact of the bench data.
"""

import argparse
import contextlib
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
    "/quotes/?state=expired",
    "/quotes/{quote}/",
    "/quotes/{quote}/payment/",
    "/quotes/cart/",
    "/quotes/orders/",
    "/invoices/",
    "/invoices/{invoice}/",
    "/billing/",
    "/quotes/products/",
]


class Split:
    """Wall time per part of a request: SQL, template rendering, the view, and the rest (middleware)."""

    def __init__(self, client):
        self.client = client
        self.totals = {"sql": 0.0, "template": 0.0, "view": 0.0}
        self.queries = 0
        self.stack: list[list] = []  # [part, started, time of nested parts]

    def _enter(self, part: str) -> None:
        self.stack.append([part, time.perf_counter(), 0.0])

    def _leave(self) -> None:
        part, started, nested = self.stack.pop()
        spent = time.perf_counter() - started
        self.totals[part] += spent - nested
        if self.stack:
            self.stack[-1][2] += spent

    def _timed(self, part: str, function):
        def timed(*args, **kwargs):
            self._enter(part)
            try:
                return function(*args, **kwargs)
            finally:
                self._leave()

        return timed

    def __enter__(self):
        from django.core.handlers.base import BaseHandler
        from django.db import connection
        from django.template.backends.django import Template

        self.patched = [(BaseHandler, "_get_response"), (Template, "render")]
        self.originals = [getattr(owner, name) for owner, name in self.patched]
        BaseHandler._get_response = self._timed("view", BaseHandler._get_response)
        Template.render = self._timed("template", Template.render)
        self.client.handler._middleware_chain = None  # rebuilt around the timed _get_response

        def sql(execute, *args):
            self.queries += 1
            return self._timed("sql", execute)(*args)

        self.sql_wrapper = connection.execute_wrapper(sql)
        self.sql_wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self.sql_wrapper.__exit__(*exc)
        for (owner, name), original in zip(self.patched, self.originals, strict=True):
            setattr(owner, name, original)
        self.client.handler._middleware_chain = None

    def report(self, elapsed_ms: float, repeat: int) -> str:
        parts = {name: seconds * 1000 / repeat for name, seconds in self.totals.items()}
        parts["middleware"] = elapsed_ms - sum(parts.values())
        return "\n".join(
            f"    {name:<11} {parts[name]:6.2f} ms  {parts[name] / elapsed_ms:5.1%}"
            + (f"  ({self.queries / repeat:.0f} queries)" if name == "sql" else "")
            for name in ("middleware", "sql", "view", "template")
        )


def signed_in_client():
    """A test client signed in as the bench's first contact, with one open quote and one issued invoice of theirs."""
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
    return client, quote, invoice


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", action="append", help="a portal path; {quote} and {invoice} are the contact's own")
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="cumulative", help="cProfile order: cumulative, tottime, ...")
    parser.add_argument("--split", action="store_true", help="time in middleware, SQL, view and template")
    args = parser.parse_args()
    setup_django({**bench_env(), "ALLOWED_HOSTS": "testserver"})

    client, quote, invoice = signed_in_client()

    for template in args.path or DEFAULT_PATHS:
        path = template.format(quote=quote.pk, invoice=invoice.pk)
        for _warm in range(20):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
        profiler = cProfile.Profile() if args.profile else None
        split = Split(client) if args.split else contextlib.nullcontext()
        start, cpu_start = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        with split:
            for _request in range(args.repeat):
                client.get(path)
        if profiler:
            profiler.disable()
        elapsed = (time.perf_counter() - start) / args.repeat * 1000
        cpu = (time.process_time() - cpu_start) / args.repeat * 1000
        print(f"{path:<28} {elapsed:7.2f} ms per request, {cpu:.2f} ms CPU here ({len(response.content):,} bytes)")
        if args.split:
            print(split.report(elapsed, args.repeat))
        if profiler:
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(35)


if __name__ == "__main__":
    main()

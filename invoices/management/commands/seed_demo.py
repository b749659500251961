from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import demo as accounts_demo
from invoices import demo as invoices_demo
from quotes import demo as quotes_demo


class Command(BaseCommand):
    help = "Load demo accounts, contacts, products, quotes and invoices (safe to run again)."

    def handle(self, *args, **options):
        with transaction.atomic():
            quotes_demo.seed(accounts_demo.seed())
            invoices = invoices_demo.seed()
        self.stdout.write(f"Demo invoices added: {invoices}.")
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Sign in at {settings.PORTAL_URL}/ with:"))
        for user_id, password, what in accounts_demo.LOGINS:
            self.stdout.write(f"  {user_id:<26} {password:<20} {what}")

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django then refuses ORM calls
# from "async" context unless told that this is fine for the tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def contact(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(username="acme-billing", email="billing@acme.example")


@pytest.fixture
def account(contact):
    from accounts.tests.factories import CompanyAccountFactory

    return CompanyAccountFactory(billing_contact=contact)


@pytest.fixture
def other_account(db):
    from accounts.tests.factories import CompanyAccountFactory

    return CompanyAccountFactory()


@pytest.fixture
def terms(db):
    """The current terms, {"en": ..., "de": ...} (created where a transactional test emptied the migration's)."""
    from quotes.tests.factories import current_terms

    return current_terms()


@pytest.fixture
def contact_client(client, contact, account):
    client.force_login(contact)
    return client


@pytest.fixture
def signed_in_page(page, live_server, contact, account):
    """A Chromium page signed in as `contact`, through the real sign-in form."""
    contact.set_password("correct-horse-battery")
    contact.save(update_fields=["password"])
    page.goto(live_server.url + "/")
    page.get_by_label("User ID").fill(contact.username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/quotes/")
    return page


@pytest.fixture
def queued(monkeypatch):
    """The document renders a download queues (task arguments), instead of sending them to the broker."""
    from django.core.cache import cache

    from billing_portal import tasks
    from billing_portal.celery import publisher

    cache.clear()
    calls = []
    monkeypatch.setattr(tasks.document_prepare, "delay", lambda *args: calls.append(args))
    # Hand messages over in the request's thread, so that the list is complete when the response is.
    monkeypatch.setattr(publisher, "submit", lambda task, args: task.delay(*args))
    return calls


@pytest.fixture
def never_renders(monkeypatch):
    """Fails the test if anything renders a PDF (a web request never may)."""
    from billing_portal import pdf

    def refuse(*args, **kwargs):
        raise AssertionError("a web request rendered a PDF")

    monkeypatch.setattr(pdf, "render_pdf", refuse)

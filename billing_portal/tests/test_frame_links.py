"""The frame's links and languages are worked out once per process; they must be the ones the tags would give."""

import re

import pytest
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse
from django.utils.safestring import SafeString

from accounts.tests.factories import CompanyAccountFactory
from billing_portal import context_processors
from billing_portal.context_processors import FRAME_STATIC, FRAME_URLS


def _hrefs(html: str) -> set[str]:
    return set(re.findall(r'(?:href|src|action|data-keep-alive-url)="([^"]+)"', html))


def test_a_portal_page_links_where_the_url_and_static_tags_would(contact_client, contact):
    CompanyAccountFactory(billing_contact=contact)  # two accounts: the switcher is shown

    html = contact_client.get(reverse("quotes:list")).content.decode()

    links = _hrefs(html)
    expected = {reverse(name) for key, name in FRAME_URLS.items()} | {static(path) for path in FRAME_STATIC.values()}
    assert expected <= links, expected - links


def test_the_sign_in_page_has_its_styles_and_both_languages(client):
    html = client.get(reverse("accounts:login")).content.decode()

    assert static("bootstrap/css/bootstrap.min.css") in _hrefs(html)
    assert reverse("accounts:language") in _hrefs(html)
    assert '<button type="submit" name="language" value="de" lang="de"' in html
    assert ">Deutsch</button>" in html and ">English</button>" in html


def test_changed_languages_are_shown_at_once(client, settings):
    settings.LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "French")]

    html = client.get(reverse("accounts:login")).content.decode()

    assert 'value="fr" lang="fr"' in html


@pytest.mark.django_db
def test_an_expired_form_is_refused_in_the_portals_frame_with_a_fresh_token():
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("accounts:login"), {"username": "x", "password": "y"})

    assert response.status_code == 403
    html = response.content.decode()
    assert "Form expired" in html
    assert static("bootstrap/css/bootstrap.min.css") in _hrefs(html)
    assert 'name="csrfmiddlewaretoken" value="' in html  # the language switch works from this page
    assert response.cookies.get("csrftoken")


def test_the_frame_speaks_the_language_of_each_request_at_once(contact_client):
    english = contact_client.get(reverse("quotes:list")).content.decode()
    contact_client.post(reverse("accounts:language"), {"language": "de", "next": reverse("quotes:list")})
    german = contact_client.get(reverse("quotes:list")).content.decode()

    for page, words in (
        (english, ["Skip to content", ">Sign out<", ">Invoices<", 'aria-label="Language"', "Stay signed in"]),
        (german, ["Zum Inhalt springen", ">Abmelden<", ">Rechnungen<", 'aria-label="Sprache"', "Angemeldet bleiben"]),
    ):
        for word in words:
            assert word in page, word


@pytest.mark.parametrize(
    ("url", "tab"),
    [
        ("quotes:list", "quotes:list"),
        ("invoices:list", "invoices:list"),
        ("accounts:billing", "accounts:billing"),
        ("quotes:products", "accounts:billing"),  # the view names its section: not its app's
    ],
)
def test_the_navigation_marks_the_section_of_the_page(contact_client, url, tab):
    html = contact_client.get(reverse(url)).content.decode()

    current = re.findall(r'class="nav-link active" aria-current="page" href="([^"]+)"', html)
    assert current == [reverse(tab)]


def test_the_frames_words_are_escaped_once(contact_client, monkeypatch):
    # They are escaped when first looked up, not by the template: a translation with markup shows as text.
    monkeypatch.setattr(context_processors, "gettext", lambda text: "Billing & <b>Co</b>")
    context_processors._frame_text.cache_clear()
    try:
        html = contact_client.get(reverse("quotes:list")).content.decode()
    finally:
        context_processors._frame_text.cache_clear()

    assert "Billing &amp; &lt;b&gt;Co&lt;/b&gt;" in html
    assert "<b>Co</b>" not in html and "&amp;amp;" not in html


def test_the_frames_links_and_words_reach_the_template_escaped_already():
    # Auto-escaping then passes them through as they are instead of escaping each on every page.
    words = context_processors._frame_text("en")
    links = context_processors._frame()["frame_links"]

    assert all(isinstance(value, SafeString) for value in [*words.values(), *links.values()])

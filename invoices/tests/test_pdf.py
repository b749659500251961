"""billing_portal.pdf: offline rendering, a fetcher that serves static files only, page counters."""

import io
import threading

import pytest
from pypdf import PdfReader

from billing_portal import pdf


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.com/logo.png",
        "https://example.com/logo.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "ftp://example.com/x",
        "static:../../etc/passwd",
        "static:/../settings.py",
        "static:",
        "/static/css/pdf.css",
    ],
)
def test_the_fetcher_refuses_anything_but_static_files(url):
    fetcher = pdf.StaticOnlyURLFetcher()

    with pytest.raises(pdf.RefusedURL):
        fetcher.fetch(url)
    assert fetcher.requested == [url]


def test_the_fetcher_serves_a_bundled_font_from_the_static_files():
    response = pdf.StaticOnlyURLFetcher().fetch("static:fonts/DejaVuSans.ttf")

    assert response.read()[:4] == b"\x00\x01\x00\x00"  # a TrueType font
    assert response.content_type == "font/ttf"


def test_the_fetcher_refuses_a_missing_static_file():
    with pytest.raises(pdf.RefusedURL):
        pdf.StaticOnlyURLFetcher().fetch("static:fonts/missing.ttf")


def test_counter_content_turns_a_translated_label_into_css():
    assert pdf.counter_content("Seite %(page)s von %(pages)s") == '"Seite " counter(page) " von " counter(pages) ""'
    assert pdf.counter_content('Say "%(page)s"') == '"Say \\"" counter(page) "\\""'


@pytest.fixture
def fetched(monkeypatch):
    """Every URL any fetcher is asked for, starting from cold stylesheet and font caches."""
    urls = []
    original = pdf.StaticOnlyURLFetcher.fetch

    def spy(self, url, headers=None):
        urls.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(pdf.StaticOnlyURLFetcher, "fetch", spy)
    monkeypatch.setattr(pdf, "_local", threading.local())
    return urls


@pytest.fixture
def template_dir(settings, tmp_path):
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    return tmp_path


def test_it_renders_a_template_with_the_bundled_font(template_dir, fetched):
    (template_dir / "doc.html").write_text(
        '{% load i18n %}<html><body><h1>{% translate "Invoice" %} Grüße €</h1></body></html>'
    )

    content = pdf.render_pdf("doc.html", {}, language="en")

    page = PdfReader(io.BytesIO(content)).pages[0]
    assert "Invoice Grüße €" in page.extract_text()
    fonts = {str(font.get_object()["/BaseFont"]) for font in page["/Resources"]["/Font"].values()}
    # "Portal Sans" exists only as the @font-face of pdf.css: no system font was used.
    assert fonts and all("Portal-Sans" in font for font in fonts)
    assert set(fetched) == {"static:fonts/DejaVuSans.ttf", "static:fonts/DejaVuSans-Bold.ttf"}


def test_it_renders_in_the_given_language(template_dir):
    (template_dir / "doc.html").write_text(
        '{% load i18n %}<html lang="{{ pdf_language }}"><body>{% translate "Invoices" %}</body></html>'
    )

    content = pdf.render_pdf("doc.html", {}, language="de")

    assert "Rechnungen" in PdfReader(io.BytesIO(content)).pages[0].extract_text()


def test_it_refuses_remote_and_file_urls_in_a_document(template_dir, fetched):
    (template_dir / "doc.html").write_text(
        '<html><head><link rel="stylesheet" href="https://example.com/x.css"></head><body>Text'
        '<img src="https://example.com/tracker.png"><img src="file:///etc/passwd"></body></html>'
    )
    fetcher = pdf.StaticOnlyURLFetcher()

    content = pdf.render_pdf("doc.html", {}, language="en", url_fetcher=fetcher)

    assert "Text" in PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert set(fetcher.requested) == {
        "https://example.com/x.css",
        "https://example.com/tracker.png",
        "file:///etc/passwd",
    }
    assert all(url.startswith("static:") for url in fetched if url not in fetcher.requested)


def test_a_second_render_reuses_the_parsed_fonts(template_dir, fetched):
    (template_dir / "doc.html").write_text("<html><body>Text</body></html>")

    pdf.render_pdf("doc.html", {}, language="en")
    pdf.render_pdf("doc.html", {}, language="en")

    assert sorted(fetched) == ["static:fonts/DejaVuSans-Bold.ttf", "static:fonts/DejaVuSans.ttf"]

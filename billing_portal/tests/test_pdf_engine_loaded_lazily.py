"""A web process never renders a PDF, so it does not load the PDF engine: WeasyPrint and factur-x
(with pypdf, Pillow and fontTools) are about 60 MB of every gunicorn worker's memory otherwise."""

from .fresh_process import output_of

ENGINE = ["weasyprint", "facturx", "pypdf", "PIL", "fontTools"]

WEB_PROCESS = f"""
import sys
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns  # what a gunicorn worker imports: every app's views, admin, tasks
import quotes.views, invoices.views, accounts.views, billing_portal.tasks
print(" ".join(name for name in {ENGINE!r} if name in sys.modules))
"""


def test_a_web_process_does_not_load_the_pdf_engine():
    assert output_of(WEB_PROCESS) == []


def test_rendering_loads_it():
    render = WEB_PROCESS.replace(
        "print(", "from billing_portal import pdf; pdf._portal_html(); pdf.StaticOnlyURLFetcher\nprint(", 1
    )
    assert "weasyprint" in output_of(render)

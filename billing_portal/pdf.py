"""Render a Django template to PDF with WeasyPrint, offline.

Used by every app that produces a document (invoices, receipts); imports no app.

    from billing_portal import pdf

    content: bytes = pdf.render_pdf("invoices/invoice_pdf.html", {"invoice": invoice}, language="de")

- The template is rendered inside `translation.override(language)`, so `{% translate %}`,
  `{% blocktranslate %}` and localized number/date formatting follow the document's language.
- `static/css/pdf.css` (the shared print stylesheet: A4, bundled DejaVu Sans as "Portal Sans",
  page numbers, `.pdf-*` helpers; `.pdf-fixed` + `<colgroup>` for fast fixed-layout tables) is
  applied by default; `stylesheets=[...]` replaces the list of static paths. Stylesheets and
  fonts are parsed once per thread (static files are cached per process: restart after editing).
  A template may also carry its own `<style>` block.
- Assets are referenced with the `static:` scheme, e.g. `<img src="static:img/logo.png">` or
  `url("static:fonts/DejaVuSans.ttf")` in CSS; they are looked up with Django's staticfiles
  finders. Every other URL (file://, http(s)://, data:, relative paths) is refused, so
  rendering never touches the network or the file system outside the static files, and text
  from users that slipped into markup cannot fetch anything.
- Page numbers: `counter_content(_("Page %(page)s of %(pages)s"))` turns a translated label
  into a CSS `content` value for an `@page` margin box.
- Bounds: a web request never renders. It serves the stored file, or answers at once with
  `preparing_response()` while `documents.document_prepare_later` queues the render task. The
  tasks run under a soft time limit (PDF_RENDER_SOFT_TIME_LIMIT) and refuse a document of more than PDF_MAX_LINES
  lines (`check_lines` raises `DocumentTooLarge`); workers are replaced once they grow past
  CELERY_WORKER_MAX_MEMORY_PER_CHILD.
- Memory: `render_pdf(..., isolated=True)` lays the document out and writes it in a short-lived
  child process (`python -m billing_portal.pdf_process`, about a second to start), so a long
  document's layout (hundreds of MB for 5,000 lines, which WeasyPrint's C libraries never hand
  back) leaves with the child instead of staying in the Celery worker. Documents above
  PDF_ISOLATE_LINES lines are rendered that way.
"""

from __future__ import annotations

import atexit
import logging
import mimetypes
import pickle
import posixpath
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

# WeasyPrint logs each layout step at INFO; at the portal's INFO level that floods worker logs.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

from django.conf import settings  # noqa: E402
from django.contrib.staticfiles import finders  # noqa: E402
from django.shortcuts import render  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.utils import translation  # noqa: E402

if TYPE_CHECKING:
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher as StaticOnlyURLFetcher  # the class is made by _fetcher_class()

# WeasyPrint and its libraries (about 45 MB resident, 60 MB with the e-invoice's) are imported on the
# first render, not with this module: web processes import it for the download pages, which serve
# stored files and never render, so they never load the engine.

logger = logging.getLogger(__name__)

STATIC_SCHEME = "static:"
DEFAULT_STYLESHEETS = ("css/pdf.css",)


class RefusedURL(ValueError):
    """A document asked for something outside the project's static files."""


class DocumentTooLarge(ValueError):
    """A document with more lines than PDF_MAX_LINES: rendering it would hold a worker for minutes."""


class RenderProcessFailed(RuntimeError):
    """The child process that rendered a long document died without an answer (killed, out of memory)."""


def too_many_lines(count: int) -> bool:
    return count > settings.PDF_MAX_LINES


def check_lines(count: int, *, document: str) -> None:
    if too_many_lines(count):
        logger.error(
            "Not rendering %s: %d lines, more than PDF_MAX_LINES=%d. Its PDF and any e-mail held for it wait "
            "until the document is split or the limit raised.",
            document,
            count,
            settings.PDF_MAX_LINES,
        )
        raise DocumentTooLarge(f"{document} has {count} lines")


def preparing_response(request, *, too_large: bool = False):
    """The small page a download answers with while its PDF is not stored yet: at once, never rendering.

    202 while the task is on its way (not an error, and logged as none); 503 for a document too
    long ever to be rendered, which staff must see in the error log.
    """
    response = render(
        request,
        "pdf_preparing.html",
        {"account": getattr(request, "account", None), "too_large": too_large},
        status=503 if too_large else 202,
    )
    if not too_large:
        response["Retry-After"] = "5"
    return response


@lru_cache(maxsize=64)
def _static_file(path: str) -> tuple[bytes, str]:
    # Static files do not change while a process runs; caching keeps fonts off the disk per render.
    found = finders.find(path)
    if not found:
        raise RefusedURL(f"No static file {path!r}")
    with open(found, "rb") as file:
        content = file.read()
    mime_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return content, mime_type


def static_path(url: str) -> str:
    """The static-files path named by a `static:` URL; `RefusedURL` for anything else."""
    if not url.startswith(STATIC_SCHEME):
        raise RefusedURL(f"Refused to fetch {url[:200]!r}: only static: URLs are allowed")
    raw = unquote(url[len(STATIC_SCHEME) :].split("?", 1)[0].split("#", 1)[0]).lstrip("/")
    path = posixpath.normpath(raw)
    if not raw or path.startswith("..") or "\\" in path or "\x00" in path:
        raise RefusedURL(f"Refused to fetch {url[:200]!r}: not a path inside the static files")
    return path


def _fetcher_class() -> type:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyURLFetcher(URLFetcher):
        """Serves `static:<path>` from the staticfiles finders and refuses every other URL.

        `requested` lists every URL WeasyPrint asked for, refused ones included (tests read it).
        """

        def __init__(self, **kwargs):
            super().__init__(allowed_protocols=(), allow_redirects=False, **kwargs)
            self.requested: list[str] = []

        def fetch(self, url, headers=None):
            self.requested.append(url)
            try:
                content, mime_type = _static_file(static_path(url))
            except RefusedURL:
                logger.warning("PDF rendering refused to fetch %.200r", url)
                raise
            return URLFetcherResponse(url, content, {"Content-Type": mime_type})

    StaticOnlyURLFetcher.__module__ = __name__
    return StaticOnlyURLFetcher


def _new_fetcher() -> StaticOnlyURLFetcher:
    return sys.modules[__name__].StaticOnlyURLFetcher()  # through the module: made on first use


def __getattr__(name: str):
    """`StaticOnlyURLFetcher`, a WeasyPrint `URLFetcher`: the class is made (and the engine imported) on
    first use, then kept in this module like any other name."""
    if name == "StaticOnlyURLFetcher":
        globals()[name] = fetcher = _fetcher_class()
        return fetcher
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def counter_content(label: str) -> str:
    """A CSS `content` value from a translated label with %(page)s and %(pages)s in it.

    counter_content("Seite %(page)s von %(pages)s") == '"Seite " counter(page) " von " counter(pages) ""'
    """

    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'

    marker = "\x00"
    pieces = (label % {"page": f"{marker}page{marker}", "pages": f"{marker}pages{marker}"}).split(marker)
    # Even positions are text, odd positions are counter names.
    return " ".join(quoted(piece) if index % 2 == 0 else f"counter({piece})" for index, piece in enumerate(pieces))


@lru_cache(maxsize=1)
def _portal_html() -> type:
    """WeasyPrint's `HTML` with a leaner user-agent stylesheet.

    WeasyPrint's own gives every element six pseudo-elements (`::marker` and the footnote and note
    calls and markers), whose styles it computes for every element: about a tenth of a long
    invoice's layout. Documents here use no footnotes or notes, and markers only on lists.
    """
    from weasyprint import CSS, HTML
    from weasyprint.css.counters import CounterStyle
    from weasyprint.html import UA

    lean_ua = CSS(
        string=re.sub(r"^::(footnote|note)-[a-z]+ \{.*$", "", UA, flags=re.MULTILINE).replace(
            "\n::marker {", "\nli::marker, summary::marker {"
        ),
        counter_style=CounterStyle(),
    )

    class _PortalHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [lean_ua]

    return _PortalHTML


_local = threading.local()


def _stylesheets(paths: tuple[str, ...]) -> tuple[FontConfiguration, list[CSS]]:
    """Parsed stylesheets and their fonts, built once per thread and reused by every render.

    A FontConfiguration per render re-reads and re-registers the fonts each time: slower, and
    RSS grew by ~14 MB over 50 renders that way (bench/pdf_bench.py).
    """
    cache = getattr(_local, "stylesheets", None)
    if cache is None:
        cache = _local.stylesheets = {}
        # Freed before the interpreter tears WeasyPrint's modules down, which a FontConfiguration's
        # finaliser needs.
        atexit.register(cache.clear)
    if paths not in cache:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        font_config = FontConfiguration()
        fetcher = _new_fetcher()
        css = [
            CSS(
                string=_static_file(path)[0].decode(),
                base_url=STATIC_SCHEME + path,
                url_fetcher=fetcher,
                font_config=font_config,
            )
            for path in paths
        ]
        cache[paths] = (font_config, css)
    return cache[paths]


def prepare() -> None:
    """Load the engine, parse the default stylesheets and their fonts, and lay out one small page.

    For a process that renders documents (a Celery pool process, at its start): what this loads lives
    as long as the process, and the first document no longer pays for it. It reads static files only:
    no database, cache or network, which a pool process has not set up yet when it calls this.
    """
    _html_to_pdf("<p>Portal</p>", DEFAULT_STYLESHEETS, None)


def render_pdf(
    template_name: str,
    context: dict,
    *,
    language: str,
    stylesheets: Sequence[str] = DEFAULT_STYLESHEETS,
    url_fetcher: StaticOnlyURLFetcher | None = None,
    variant: str | None = None,
    finisher: Callable[[], Callable[[bytes], bytes] | None] | None = None,
    isolated: bool = False,
    process: subprocess.Popen | None = None,
) -> bytes:
    """Render `template_name` with `context` in `language` and return the PDF's bytes.

    `stylesheets` are static-files paths applied in order (pdf.css by default); they and
    their fonts are parsed once per thread. Rendering is synchronous and CPU-bound (about
    100 ms for a two-page invoice, 15 s for 5,000 lines): call it from a Celery task only.
    `finisher()`, if given, returns a `finish(pdf_bytes)` that makes the final bytes (e.g. embeds an
    e-invoice), or None.
    `isolated=True` lays out, writes and finishes the PDF in a child process (the template is
    rendered here), which takes the memory of a long document with it when it exits;
    `url_fetcher` then does not apply, and what `finisher()` returns must pickle. `finisher()` is
    then called once the child has the document, so that its work here (an e-invoice's XML: about
    1.9 s for 5,000 lines) overlaps the layout there. `process`, one that `start_layout_process()`
    started earlier, is the child to use (and implies `isolated`).
    """
    with translation.override(language):
        html = render_to_string(template_name, {**context, "pdf_language": language})
    if isolated or process is not None:
        return _in_child_process(_html_to_pdf, html, tuple(stylesheets), variant, child=process, finisher=finisher)
    return _html_to_pdf(html, tuple(stylesheets), variant, url_fetcher, finisher() if finisher else None)


def _html_to_pdf(
    html: str,
    stylesheets: tuple[str, ...],
    variant: str | None,
    url_fetcher: StaticOnlyURLFetcher | None = None,
    finish: Callable[[bytes], bytes] | None = None,
) -> bytes:
    font_config, css = _stylesheets(stylesheets)
    document = _portal_html()(string=html, url_fetcher=url_fetcher or _new_fetcher())
    content = document.write_pdf(stylesheets=css, font_config=font_config, pdf_variant=variant)
    return finish(content) if finish else content


def start_layout_process() -> subprocess.Popen:
    """A child process for `render_pdf(..., process=...)`, started now.

    It loads the engine (about a second) while this process prepares the document: for a long invoice
    that is its lines and its template, about 0.45 s for 5,000 lines (its e-invoice's XML is made while
    the child lays it out). `render_pdf` ends it once it has done its work; `layout_process` also ends it
    for a document that fails before the child has finished.
    """
    return subprocess.Popen(
        [sys.executable, "-m", "billing_portal.pdf_process"],
        cwd=Path(__file__).resolve().parent.parent,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )


@contextmanager
def layout_process(needed: bool) -> Iterator[subprocess.Popen | None]:
    """`start_layout_process()` if `needed` (else None), ended on the way out whatever happened."""
    child = None
    try:
        if needed:
            child = start_layout_process()
        yield child
    finally:
        if child is not None:
            end_layout_process(child)


def end_layout_process(child: subprocess.Popen) -> None:
    """Kill the child unless it has ended, and close its pipes; a second call does nothing."""
    try:
        if child.poll() is None:
            child.kill()
            child.wait()
    finally:
        for stream in (child.stdin, child.stdout):  # stdin first: a child that outlived this reads its end
            if stream and not stream.closed:
                # What is still buffered for a child that has ended cannot be sent; the pipe closes all the same.
                with suppress(BrokenPipeError):
                    stream.close()


def _in_child_process(
    function,
    *args,
    child: subprocess.Popen | None = None,
    finisher: Callable[[], Callable | None] | None = None,
):
    """`function(*args)` in a new Python process (billing_portal.pdf_process), or in `child` if it was started
    earlier: its result, or its exception. `finisher()`, called here while the child works, may return a
    function that the child then applies to the result.

    Not `multiprocessing`: a Celery worker's pool processes are daemonic and may not start its
    children. If this process is interrupted (the task's soft time limit), the child is killed.
    """
    child = child if child is not None else start_layout_process()
    try:
        _send(child, (function, args))
        _send(child, finisher() if finisher else None)
        output, _ = child.communicate()
    finally:
        end_layout_process(child)
    if child.returncode or not output:
        raise RenderProcessFailed(f"the render process ended with exit code {child.returncode}")
    succeeded, value = pickle.loads(output)
    if not succeeded:
        raise value
    return value


def _send(child: subprocess.Popen, value) -> None:
    """Pickle `value` to the child. One that has ended reads nothing more: its exit code or answer says why."""
    with suppress(BrokenPipeError):
        child.stdin.write(pickle.dumps(value))
        child.stdin.flush()

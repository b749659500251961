"""Production settings under gunicorn: HSTS and the other security headers on every answer."""

import urllib.error
import urllib.request

import pytest

from .processes import RedisServer, gunicorn_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_production_sends_hsts_and_redirects_plain_http(tmp_path):
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        with gunicorn_server(
            redis.url, static_root=tmp_path / "static", SECURE_SSL_REDIRECT="true", SECURE_COOKIES="true"
        ) as url:
            secure = urllib.request.Request(url + "/", headers={"X-Forwarded-Proto": "https"})
            with urllib.request.urlopen(secure, timeout=10) as response:
                headers = response.headers
            assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
            assert "unsafe-inline" not in headers["Content-Security-Policy"]
            assert headers["X-Frame-Options"] == "DENY"
            assert headers["X-Content-Type-Options"] == "nosniff"
            assert headers["Referrer-Policy"] == "same-origin"
            assert "Secure" in headers["Set-Cookie"]  # the CSRF cookie of the sign-in form

            class NoRedirect(urllib.request.HTTPRedirectHandler):
                def redirect_request(self, *args, **kwargs):
                    return None

            try:
                urllib.request.build_opener(NoRedirect).open(url + "/", timeout=10)
                raise AssertionError("plain HTTP was served")
            except urllib.error.HTTPError as error:
                assert error.code == 301 and error.headers["Location"].startswith("https://")
    finally:
        redis.stop()

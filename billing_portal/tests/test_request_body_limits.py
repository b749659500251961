"""A request body is refused by its headers, before anything reads or spools it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


class LazyBody:
    """A request body that claims to be huge and counts what is read from it; it never holds the bytes."""

    def __init__(self, size: int):
        self.size, self.read_bytes = size, 0

    def read(self, size=-1):
        size = self.size - self.read_bytes if size is None or size < 0 else min(size, self.size - self.read_bytes)
        self.read_bytes += size
        return b"x" * min(size, 64 * 1024)  # never more than a small chunk at a time

    def readline(self, size=-1):
        return self.read(min(size, 1024) if size and size > 0 else 1024)


def post(client, path, body, content_type, **headers):
    return client.generic(
        "POST",
        path,
        b"",
        **{"wsgi.input": body, "CONTENT_LENGTH": str(body.size), "CONTENT_TYPE": content_type, **headers},
    )


@pytest.fixture
def temp_dir(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    return tmp_path


def test_a_300_mb_multipart_post_to_the_sign_in_page_is_refused_unread(client, temp_dir):
    body = LazyBody(300 * MB)
    response = post(client, reverse("accounts:login"), body, "multipart/form-data; boundary=xyz")
    assert response.status_code == 413
    assert body.read_bytes == 0
    assert list(temp_dir.iterdir()) == []


def test_a_file_in_a_form_within_the_limit_is_read_and_dropped(contact_client, account, temp_dir):
    upload = SimpleUploadedFile("big.bin", b"x" * (1024 * 1024))
    response = contact_client.post(
        reverse("accounts:request_new"), {"kind": "other", "message": "Hello", "file": upload}
    )

    assert response.status_code == 302  # the form's own fields arrive
    assert account.requests.get().message == "Hello"
    assert not response.wsgi_request.FILES
    assert list(temp_dir.iterdir()) == []


def test_a_form_body_over_the_limit_is_refused_unread(contact_client, settings):
    body = LazyBody(settings.REQUEST_BODY_MAX_BYTES + 1)
    response = post(contact_client, reverse("accounts:request_new"), body, "application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert body.read_bytes == 0


def test_a_chunked_body_without_length_is_refused(client):
    response = client.generic(
        "POST",
        reverse("accounts:login"),
        b"",
        content_type="application/x-www-form-urlencoded",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert response.status_code == 411


def test_a_bad_content_length_is_refused(client):
    response = client.generic("POST", reverse("accounts:login"), b"", CONTENT_LENGTH="lots")
    assert response.status_code == 400


def test_the_sign_in_form_still_works(client, contact, account):
    response = Client().post(
        reverse("accounts:login"), {"username": contact.username, "password": "correct-horse-battery"}
    )
    assert response.status_code == 302

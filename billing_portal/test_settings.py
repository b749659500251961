"""Settings for the test suite: production settings on the real PostgreSQL and Redis, faster hashing."""

import os

os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("ALLOWED_HOSTS", "*")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/billing_portal")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DELIVERY_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ.setdefault("PORTAL_URL", "http://testserver")

from .settings import *  # noqa: F403
from .settings import STORAGES, VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
MEDIA_ROOT = str(VAR_DIR / "test-media")
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Keep the suite's messages away from a developer's running worker.
CELERY_TASK_DEFAULT_QUEUE = "billing-portal-tests"

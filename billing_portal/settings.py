"""Settings, read from the environment (see .env.example for every variable)."""

import tempfile
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", False)

if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="insecure-development-key-not-for-production")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
else:
    SECRET_KEY = env("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

# Production fails closed: no address, database or broker is guessed. `make run` sets the first
# two (an embedded PostgreSQL); development without REDIS_URL uses a file-system broker.
PORTAL_URL = env("PORTAL_URL", default="http://127.0.0.1:8000") if DEBUG else env("PORTAL_URL")
# A trivial signed-in page at /_baseline/ and the empty portal frame at /_frame/, for load measurements
# (bench/); off in production.
BASELINE_VIEW_ENABLED = env.bool("BASELINE_VIEW_ENABLED", False)

# Apps ---------------------------------------------------------------------
DJANGO_APPS = [
    # Django's admin, on a site whose change lists filter only through the filters they show.
    "billing_portal.admin_site.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]
THIRD_PARTY_APPS = [
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "post_office",
    "axes",
    "csp",
    "phonenumber_field",
    "django_countries",
]
LOCAL_APPS = [
    "billing_portal",
    "accounts",
    "quotes",
    "invoices",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    # First of all: refuses an oversized or chunked body before anything reads it (Request bodies, below).
    "billing_portal.middleware.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Outside CsrfViewMiddleware, so that it sees the CSRF cookie of a page with a form.
    "billing_portal.middleware.PrivateNoStoreMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "billing_portal.urls"
WSGI_APPLICATION = "billing_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "billing_portal.context_processors.frame",
            ],
        },
    },
]

# Widgets in Django's Jinja2 versions of its own templates (billing_portal.forms.FormRenderer).
FORM_RENDERER = "billing_portal.forms.FormRenderer"

# Data ---------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must name a PostgreSQL database (postgres://…).")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Behind PgBouncer in transaction mode server-side cursors must be off (docs/performance.md).
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DISABLE_SERVER_SIDE_CURSORS", False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="") if DEBUG else env("REDIS_URL")
# Redis is Celery's broker and a cache of the sessions: nothing a request needs (sessions, lock-outs,
# e-mails) lives only there, so the portal keeps working, and loses nothing, while Redis is down.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if REDIS_URL:
    # Sessions are read from Redis and written to PostgreSQL and Redis (cached_db): no database read
    # per request. Unreachable, the cache is a miss after the socket timeout (billing_portal.cache).
    CACHES["sessions"] = {
        "BACKEND": "billing_portal.cache.RedisCacheOrMiss",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "portal",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    SESSION_CACHE_ALIAS = "sessions"
else:
    # Development without Redis: a per-process cache would not be shared by the web and worker
    # processes, and the database cache costs the same read as the session table, so sessions are
    # read from PostgreSQL.
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

STORAGES = {
    "default": {"BACKEND": env("DEFAULT_FILE_STORAGE", default="django.core.files.storage.FileSystemStorage")},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = env("MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]

# Auth and sessions -----------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.UserIDBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "quotes:list"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60

SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "accounts.backends.axes_username"
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
# A sign-in forgives the failures of its own User ID only (PortalAxesHandler), never the address's.
AXES_HANDLER = "accounts.backends.PortalAxesHandler"
AXES_RESET_ON_SUCCESS = False
AXES_ENABLE_ADMIN = True
AXES_VERBOSE = False

# The client address, for the lock-out and the rate limits (django-ipware through axes).
# AXES_PROXY_COUNT is the number of reverse proxies in front of gunicorn, each appending the
# address it received the request from to X-Forwarded-For: the client is the entry that many
# places from the right. Whatever a client wrote further left is ignored, and with no proxy the
# header is not read at all, so a forged header changes nothing.
# (Not kept as AXES_PROXY_COUNT: axes reports that name as deprecated.)
REVERSE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", 0)
if REVERSE_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR",)
    AXES_IPWARE_PROXY_ORDER = "left-most"
    AXES_IPWARE_PROXY_COUNT = REVERSE_PROXY_COUNT - 1  # ipware counts the proxies named inside the header
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
    AXES_IPWARE_PROXY_COUNT = 0
# Strict would refuse a chain longer than expected (a client's own X-Forwarded-For in front) and
# fall back to nothing; the position from the right is what is trusted, so extra entries are fine.
IPWARE_STRICT = False

# Rate limits (accounts.ratelimits), per hour.
RATE_LIMIT_PERIOD = 60 * 60
PASSWORD_RESET_LIMIT_PER_USER_ID = env.int("PASSWORD_RESET_LIMIT_PER_USER_ID", 3)
PASSWORD_RESET_LIMIT_PER_ADDRESS = env.int("PASSWORD_RESET_LIMIT_PER_ADDRESS", 20)
REQUEST_LIMIT_PER_ACCOUNT = env.int("REQUEST_LIMIT_PER_ACCOUNT", 5)
REQUEST_LIMIT_PER_ADDRESS = env.int("REQUEST_LIMIT_PER_ADDRESS", 20)
# Invitations to become billing contact and e-mail address changes, each per contact: both e-mail an
# address the contact typed, and the second checks the current password.
CONTACT_EMAIL_LIMIT_PER_USER = env.int("CONTACT_EMAIL_LIMIT_PER_USER", 5)

# Security -------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "billing_portal.views.csrf_failure"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Only for plain-HTTP runs on loopback (load and fault tests) may this be switched off.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = env.bool("SECURE_COOKIES", True)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Internationalisation ----------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
# The portal's own words win over Django's (its "Speichern" over the admin's "Sichern"): catalogs in
# LOCALE_PATHS come before every app's, and the first path listed wins.
LOCALE_PATHS = [BASE_DIR / "locale"] + [
    BASE_DIR / app / "locale" for app in LOCAL_APPS if (BASE_DIR / app / "locale").is_dir()
]
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
# Date-times name their zone (the account's, on signed-in pages).
FORMAT_MODULE_PATH = ["billing_portal.formats"]

# Phone numbers are stored as E.164 and shown as people write them: +1 415-555-0100.
PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "INTERNATIONAL"

# E-mail -------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Corporate Billing Portal <billing@portal.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
CAS_EMAIL = env("CAS_EMAIL", default="corporate-account-services@portal.example")
W9_FORM_URL = env("W9_FORM_URL", default="https://www.irs.gov/pub/irs-pdf/fw9.pdf")
# Everything Django sends (password reset included) goes through the durable queue.
EMAIL_BACKEND = "post_office.EmailBackend"
DELIVERY_EMAIL_BACKEND = env(
    "DELIVERY_EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", 10)
POST_OFFICE = {
    "BACKENDS": {"default": DELIVERY_EMAIL_BACKEND},
    "DEFAULT_PRIORITY": "medium",
    "MAX_RETRIES": env.int("EMAIL_MAX_RETRIES", 8),
    "RETRY_INTERVAL": timedelta(minutes=1),
    "MESSAGE_ID_ENABLED": True,
    "CELERY_ENABLED": False,  # billing_portal.emails dispatches its own locked sender on commit
}

# Celery ---------------------------------------------------------------------------
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # A request that queues work must not hang on a broker that is down: the work waits in the
    # database and the periodic sender picks it up.
    # A task whose worker died unacknowledged is handed to another worker after this many seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": 1,
        "socket_timeout": 2,
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", 600),
        "unacked_restore_interval": env.int("CELERY_RESTORE_INTERVAL", 10),
        "unacked_restore_throttle": 1,
    }
    CELERY_TASK_PUBLISH_RETRY_POLICY = {
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.2,
    }
else:
    # Development only (DEBUG and no REDIS_URL): `make run` creates these folders.
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(VAR_DIR / "broker"),
        "data_folder_out": str(VAR_DIR / "broker"),
        "processed_folder": str(VAR_DIR / "broker-processed"),
        "control_folder": str(VAR_DIR / "broker-control"),
        "store_processed": False,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "send-queued-mail": {"task": "billing_portal.tasks.send_queued_mail", "schedule": 60.0},
    "expire-due-quotes": {"task": "quotes.tasks.quotes_expire_due", "schedule": 60.0},
    "remind-expiring-quotes": {"task": "quotes.tasks.quotes_remind_due", "schedule": 60.0},
    "release-held-emails": {"task": "billing_portal.tasks.held_emails_release_pending", "schedule": 300.0},
    "remind-expiring-purchase-orders": {"task": "accounts.tasks.po_expiry_remind", "schedule": 24 * 3600.0},
}
# The expiry task expires due quotes this many per transaction: a batch holds its row locks for
# a small fraction of a second, so a customer placing an order waits for none of them for long.
QUOTE_EXPIRY_BATCH = env.int("QUOTE_EXPIRY_BATCH", 2500)
# While other clients use the database, the expiry pauses this many times as long as each batch took
# (2: a run works a third of its time while the portal is busy); 0 never pauses.
QUOTE_EXPIRY_YIELD = env.float("QUOTE_EXPIRY_YIELD", 2.0)
# ... and takes only as many quotes per batch as it expires in this many seconds: a request that arrives
# during a batch waits for a core no longer than that.
QUOTE_EXPIRY_BUSY_BATCH_SECONDS = env.float("QUOTE_EXPIRY_BUSY_BATCH_SECONDS", 0.05)
# Beat keeps only the last run of each entry there; losing it costs one early run, so a temporary
# folder that exists on every machine will do when none is configured.
CELERY_BEAT_SCHEDULE_FILENAME = env(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(Path(tempfile.gettempdir()) / "billing-portal-celerybeat-schedule")
)

# Forms ------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# Invoices: the seller printed on every invoice PDF --------------------------------------
SELLER_NAME = env("SELLER_NAME", default="Portal Software GmbH")
SELLER_ADDRESS = env.list(
    "SELLER_ADDRESS", default=["Musterstraße 1", "10115 Berlin", "Germany"]
)  # comma-separated lines
SELLER_VAT_ID = env("SELLER_VAT_ID", default="DE123456788")
# Where the seller is established and its standard VAT rate: domestic sales are taxed at this rate,
# sales to EU businesses with a VAT ID are reverse charge (accounts.tax).
SELLER_COUNTRY = env("SELLER_COUNTRY", default="DE")
SELLER_POSTAL_CODE = env("SELLER_POSTAL_CODE", default="10115")  # for the e-invoice, which names each part
SELLER_CITY = env("SELLER_CITY", default="Berlin")
SELLER_VAT_RATE = env("SELLER_VAT_RATE", default="19.00")
SELLER_EMAIL = env("SELLER_EMAIL", default="billing@portal.example")
SELLER_PHONE = env("SELLER_PHONE", default="+49 30 1234567")
SELLER_BANK_NAME = env("SELLER_BANK_NAME", default="Example Bank AG")
SELLER_BANK_ACCOUNT_HOLDER = env("SELLER_BANK_ACCOUNT_HOLDER", default="")  # defaults to SELLER_NAME
SELLER_IBAN = env("SELLER_IBAN", default="DE89 3704 0044 0532 0130 00")
SELLER_BIC = env("SELLER_BIC", default="COBADEFFXXX")
# The creditor identifier SEPA direct debits are collected under (printed on the mandate and in the e-invoice).
SELLER_SEPA_CREDITOR_ID = env("SELLER_SEPA_CREDITOR_ID", default="DE98ZZZ09999999999")
SELLER_CHECK_ADDRESS = env.list("SELLER_CHECK_ADDRESS", default=[])  # where checks go; defaults to SELLER_ADDRESS

# The log of a 500 or of a failed task never holds the customer data a database error quotes.
LOGGING["filters"] = {"database_detail": {"()": "billing_portal.log_filters.DatabaseDetailFilter"}}
LOGGING["handlers"]["console"]["filters"] = ["database_detail"]
LOGGING["loggers"] = {"django.request": {"filters": ["database_detail"]}}

# Request bodies -------------------------------------------------------------------------
# No page takes files and the largest form is a few kilobytes (a 2,000-character message):
# RequestBodyLimitMiddleware, first of all, refuses larger bodies by their Content-Length and
# chunked bodies before anything reads them; a file part is read and dropped, never spooled to
# disk. The proxy in front enforces the same limit (README, deployment).
REQUEST_BODY_MAX_BYTES = env.int("REQUEST_BODY_MAX_BYTES", 2 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
FILE_UPLOAD_HANDLERS = ["billing_portal.uploads.DiscardFileUploadHandler"]

# PDF rendering ------------------------------------------------------------------------------
# Only Celery workers render (a download answers "being prepared" until the file is stored). A
# render runs under this soft time limit, a document of more lines is not rendered at all (about
# 20-30 s for 5,000 lines on one core), a document of more than PDF_ISOLATE_LINES is laid out in a
# child process that takes its memory with it (WeasyPrint's memory for a large document is not
# given back), and a worker child that still grew past the memory limit (in KB) is replaced after
# its task.
PDF_RENDER_SOFT_TIME_LIMIT = env.int("PDF_RENDER_SOFT_TIME_LIMIT", 120)
PDF_MAX_LINES = env.int("PDF_MAX_LINES", 5000)
PDF_ISOLATE_LINES = env.int("PDF_ISOLATE_LINES", 300)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", 250_000)
# A new pool process loads the PDF engine before it reports ready (billing_portal.celery): about a
# second, more on a busy machine; Celery's default gives it 4 s before it replaces the process.
PDF_PREPARE_AT_WORKER_START = env.bool("PDF_PREPARE_AT_WORKER_START", True)
CELERY_WORKER_PROC_ALIVE_TIMEOUT = env.int("CELERY_WORKER_PROC_ALIVE_TIMEOUT", 30)

"""One environment-driven configuration.

No variable set gives the embedded local setup: SQLite, a Kombu SQLAlchemy broker over a SQLite
file (no server to install), console email and DEBUG on. Production values come from the
environment; with ``DJANGO_DEBUG=false`` the app refuses to start without a secret key and
allowed hosts. Every ``STRIDE_*`` threshold is documented in the README.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("STRIDE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env.str(
        "DJANGO_SECRET_KEY", default="stride-insecure-local-development-key-" + "x" * 20
    )
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
    if not SECRET_KEY:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=false.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG=false.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "axes",
    "csp",
    "simple_history",
    "curriculum",
    "learners",
    "mentors",
    "tracker",
    # Sign-in lockout bridge for the API, the audit trail's registration and its admin.
    "tracker.security",
    # Single sign-on (tracker/security/sso/; docs/OPERATIONS.md "Single sign-on").
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    # Staff two-factor (issue 14): allauth's TOTP and recovery-code authenticators
    # (tracker/security/two_factor.py).
    "allauth.mfa",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.github",
]

MIDDLEWARE = [
    # First: the request id is known to every log line of the request, and the metrics
    # middleware times everything after it (docs/OPERATIONS.md, "Logs", "Metrics and alerts").
    "tracker.observability.middleware.RequestIdMiddleware",
    "tracker.observability.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A database that is away answers 503 with Retry-After (pages and API), not 500.
    "tracker.security.outage.DatabaseOutageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # The person's language (their preference, else Accept-Language) for everything after it.
    "tracker.languages.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "tracker.security.middleware.PermissionsPolicyMiddleware",
    # Records the signed-in user on every audited change made during a request.
    "simple_history.middleware.HistoryRequestMiddleware",
    # A signed-in session that still owes its second factor counts as signed out; staff
    # without two-factor are sent to enrol when STRIDE_STAFF_REQUIRE_2FA is on.
    "tracker.security.middleware.TwoFactorMiddleware",
    # Must stay last: it turns a lockout flagged during the view into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tracker.web.context.theme",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'stride.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server, worker and beat share one SQLite file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
# Reusing connections matters for SQLite too: a new one per request re-runs the pragmas above.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=60))
# Parallel test runs on one PostgreSQL server must not share a test database name.
_test_db_suffix = env.str("STRIDE_TEST_DB_SUFFIX", default="")
if _test_db_suffix:
    DATABASES["default"]["TEST"] = {"NAME": f"test_stride_{_test_db_suffix}"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# What a 503 for a database outage tells clients to wait (Retry-After, seconds).
STRIDE_DB_OUTAGE_RETRY_AFTER = env.int("STRIDE_DB_OUTAGE_RETRY_AFTER", default=30)

# --- Cache and broker -----------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Fails open: with Redis away the cache is empty and limits let requests through
            # (tracker/cache.py). Short timeouts, then a breaker skips Redis for a while, so a
            # frozen Redis costs one timeout per process and period, never one per call.
            "BACKEND": "tracker.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": env.float("STRIDE_CACHE_TIMEOUT", default=0.5),
                "socket_timeout": env.float("STRIDE_CACHE_TIMEOUT", default=0.5),
                "BREAKER_SECONDS": env.float("STRIDE_CACHE_BREAKER_SECONDS", default=10.0),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env.str(
    "CELERY_BROKER_URL",
    default=REDIS_URL or f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}",
)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("STRIDE_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("STRIDE_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# A dead or silent broker must never hang a web request: publishing gives up quickly and the
# notification table (the outbox) lets the next sweep deliver what could not be enqueued.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Retry limits kombu honours for every transport.
_BROKER_RETRY_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
_broker_scheme = CELERY_BROKER_URL.split("://", 1)[0].lower()
if _broker_scheme.startswith("sqla+"):
    # Kombu hands every other transport option to SQLAlchemy's create_engine(), which rejects
    # socket options. The SQLite busy timeout lets the web server, worker and beat share the file.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **_BROKER_RETRY_OPTIONS,
        "connect_args": {"timeout": 20} if "sqlite" in _broker_scheme else {},
        "pool_pre_ping": True,
    }
elif _broker_scheme in {"redis", "rediss", "sentinel"}:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **_BROKER_RETRY_OPTIONS,
        # A publish to a silent (frozen) Redis gives up after this, twice at most (one retry
        # on a fresh connection, which a restarted Redis needs): a write answers in ~2 s.
        "socket_timeout": 1,
        "socket_connect_timeout": 1,
        # A task unacknowledged this long (worker killed) is delivered again.
        "visibility_timeout": 3600,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = dict(_BROKER_RETRY_OPTIONS)
# After a failed publish a process does not try the broker again for this long (tracker/jobs.py).
STRIDE_BROKER_BACKOFF_SECONDS = env.float("STRIDE_BROKER_BACKOFF_SECONDS", default=15.0)
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}

# --- Email ----------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="Stride <stride@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 10
# Absolute links in emails and the calendar feed.
STRIDE_BASE_URL = env.str("STRIDE_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Who issues the certificates (printed on them and sent to LinkedIn as the organization).
STRIDE_CERTIFICATE_ISSUER = env.str("STRIDE_CERTIFICATE_ISSUER", default="Stride")

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # Refuses locked-out credentials before any real backend checks them.
    "axes.backends.AxesStandaloneBackend",
    # Passwords; with STRIDE_PASSWORD_LOGIN=staff, staff only (tracker/security/sso/backends.py).
    "tracker.security.sso.backends.PasswordBackend",
    # The sessions of people who came in through a provider (allauth's; checks no password).
    "tracker.security.sso.backends.ProviderSessionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Single sign-on (django-allauth; tracker/security/sso/, docs/OPERATIONS.md) ---------------
from tracker.security.sso import config as _sso_config  # noqa: E402

SOCIALACCOUNT_PROVIDERS = _sso_config.socialaccount_providers(
    oidc_issuer=env.str("STRIDE_OIDC_ISSUER", default=""),
    oidc_client_id=env.str("STRIDE_OIDC_CLIENT_ID", default=""),
    oidc_client_secret=env.str("STRIDE_OIDC_CLIENT_SECRET", default=""),
    oidc_name=env.str("STRIDE_OIDC_NAME", default=""),
    google_client_id=env.str("STRIDE_GOOGLE_CLIENT_ID", default=""),
    google_client_secret=env.str("STRIDE_GOOGLE_CLIENT_SECRET", default=""),
    github_client_id=env.str("STRIDE_GITHUB_CLIENT_ID", default=""),
    github_client_secret=env.str("STRIDE_GITHUB_CLIENT_SECRET", default=""),
)
# Comma list; empty allows every domain. Applies to every provider.
STRIDE_OIDC_ALLOWED_DOMAINS = _sso_config.allowed_domains(
    env.str("STRIDE_OIDC_ALLOWED_DOMAINS", default="")
)
# "all": everyone may sign in with a password; "staff": only staff (others use a provider).
STRIDE_PASSWORD_LOGIN = _sso_config.password_login(env.str("STRIDE_PASSWORD_LOGIN", default="all"))
ACCOUNT_ADAPTER = "tracker.security.sso.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "tracker.security.sso.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
# A provider's sign-in: a verified address finds its account or makes one with no role
# (adapters.py decides both), without a sign-up form.
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_REQUIRED = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
# Starting a sign-in is a POST from the login page (a GET shows a confirmation page).
SOCIALACCOUNT_LOGIN_ON_GET = False
# Stride calls no provider API on the person's behalf: access tokens are not kept.
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = env.int("STRIDE_SSO_TIMEOUT", default=10)

# --- I18N / time ----------------------------------------------------------------------------
# English is the source language (msgids); Spanish is locale/es/LC_MESSAGES/django.po. The .mo
# files are build output: `make messages` refreshes the catalogue, `manage.py compilemessages`
# (make run/test, the Dockerfile, the test session's start) compiles it (docs/OPERATIONS.md).
LANGUAGE_CODE = "en"
LANGUAGES = [
    # Each language names itself in its own words, whatever the page's language.
    ("en", "English"),
    ("es", "Español"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Named, hashed, expiring tokens (tracker/security/tokens.py); header unchanged.
        "tracker.security.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "tracker.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Stride API",
    "DESCRIPTION": "Progress tracking for mentor-led bootcamps.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Production hardening -------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Load balancers and container health checks probe over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# --- Stride's own thresholds (documented in README.md) ----------------------------------------
# Pace: percent_complete minus expected_percent, in percentage points.
STRIDE_PACE_AHEAD_MARGIN = env.float("STRIDE_PACE_AHEAD_MARGIN", default=10.0)
STRIDE_PACE_AT_RISK_MARGIN = env.float("STRIDE_PACE_AT_RISK_MARGIN", default=-10.0)
STRIDE_PACE_BEHIND_MARGIN = env.float("STRIDE_PACE_BEHIND_MARGIN", default=-25.0)
# Risk reasons.
STRIDE_INACTIVE_DAYS = env.int("STRIDE_INACTIVE_DAYS", default=7)
STRIDE_MISSED_SESSIONS_STREAK = env.int("STRIDE_MISSED_SESSIONS_STREAK", default=2)
STRIDE_STALE_CHANGES_DAYS = env.int("STRIDE_STALE_CHANGES_DAYS", default=7)
# Velocity window for projected_completion.
STRIDE_VELOCITY_WINDOW_DAYS = env.int("STRIDE_VELOCITY_WINDOW_DAYS", default=28)
# Reminders.
STRIDE_DUE_SOON_DAYS = env.int("STRIDE_DUE_SOON_DAYS", default=3)
STRIDE_REVIEW_WAITING_HOURS = env.int("STRIDE_REVIEW_WAITING_HOURS", default=48)
STRIDE_REVIEW_ESCALATE_HOURS = env.int("STRIDE_REVIEW_ESCALATE_HOURS", default=96)
STRIDE_INACTIVE_MENTOR_DAYS = env.int("STRIDE_INACTIVE_MENTOR_DAYS", default=14)
STRIDE_SESSION_UPCOMING_HOURS = env.int("STRIDE_SESSION_UPCOMING_HOURS", default=24)
# Mentor operations (docs/OPERATIONS.md): booking horizon and limit, the notice for changes,
# when an unmarked session is reminded, how long a session can be rated, the ratings a mentor
# must have before seeing their average, and the zone payout months are cut in.
STRIDE_BOOKING_HORIZON_DAYS = env.int("STRIDE_BOOKING_HORIZON_DAYS", default=14)
STRIDE_BOOKING_WEEKLY_LIMIT = env.int("STRIDE_BOOKING_WEEKLY_LIMIT", default=1)
STRIDE_BOOKING_NOTICE_HOURS = env.int("STRIDE_BOOKING_NOTICE_HOURS", default=12)
STRIDE_SESSION_UNMARKED_HOURS = env.int("STRIDE_SESSION_UNMARKED_HOURS", default=24)
STRIDE_RATING_WINDOW_DAYS = env.int("STRIDE_RATING_WINDOW_DAYS", default=7)
STRIDE_RATING_MIN_AGGREGATE = env.int("STRIDE_RATING_MIN_AGGREGATE", default=5)
STRIDE_PROGRAM_TIMEZONE = env.str("STRIDE_PROGRAM_TIMEZONE", default="UTC")
STRIDE_SWEEP_PARTITIONS = env.int("STRIDE_SWEEP_PARTITIONS", default=1)
# A claimed email whose worker died is taken back after this many seconds (outbox flush).
STRIDE_EMAIL_CLAIM_LEASE_SECONDS = env.int("STRIDE_EMAIL_CLAIM_LEASE_SECONDS", default=120)
# Edits and deletes of a progress log are allowed this long after it was created.
STRIDE_LOG_EDIT_WINDOW_HOURS = env.int("STRIDE_LOG_EDIT_WINDOW_HOURS", default=24)
# The longest single pause of an enrollment, in days.
STRIDE_MAX_PAUSE_DAYS = env.int("STRIDE_MAX_PAUSE_DAYS", default=180)
# Uploads (roster CSV).
STRIDE_MAX_UPLOAD_BYTES = env.int("STRIDE_MAX_UPLOAD_BYTES", default=1024 * 1024)
# Capstone deployment check.
STRIDE_DEPLOY_CHECK_TIMEOUT = env.float("STRIDE_DEPLOY_CHECK_TIMEOUT", default=5.0)
STRIDE_DEPLOY_CHECK_MAX_BYTES = env.int("STRIDE_DEPLOY_CHECK_MAX_BYTES", default=1024 * 1024)
STRIDE_DEPLOY_CHECK_ALLOW_PRIVATE = env.bool("STRIDE_DEPLOY_CHECK_ALLOW_PRIVATE", default=False)

# Outbound webhooks (tracker/webhooks/): private, loopback and link-local receivers are refused
# unless allowed; each attempt waits at most the timeout; failed attempts are retried with
# exponential backoff (base, doubling, capped) until the window has passed, then given up.
STRIDE_WEBHOOKS_ALLOW_PRIVATE = env.bool("STRIDE_WEBHOOKS_ALLOW_PRIVATE", default=False)
STRIDE_WEBHOOKS_TIMEOUT = env.float("STRIDE_WEBHOOKS_TIMEOUT", default=5.0)
STRIDE_WEBHOOKS_RETRY_BASE_SECONDS = env.int("STRIDE_WEBHOOKS_RETRY_BASE_SECONDS", default=30)
STRIDE_WEBHOOKS_RETRY_MAX_SECONDS = env.int("STRIDE_WEBHOOKS_RETRY_MAX_SECONDS", default=3600)
STRIDE_WEBHOOKS_RETRY_WINDOW_SECONDS = env.int(
    "STRIDE_WEBHOOKS_RETRY_WINDOW_SECONDS", default=24 * 3600
)

# --- Logs (docs/OPERATIONS.md, "Logs") -------------------------------------------------------
# JSON lines in production, text in development; every record carries the request id (and the
# task's id and name in a worker).
DJANGO_LOG_FORMAT = env.str("DJANGO_LOG_FORMAT", default="text" if DEBUG else "json").lower()
if DJANGO_LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured("DJANGO_LOG_FORMAT must be json or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "tracker.observability.logs.RequestContextFilter"}},
    "formatters": {
        "plain": {"()": "tracker.observability.logs.TextFormatter"},
        "json": {"()": "tracker.observability.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if DJANGO_LOG_FORMAT == "json" else "plain",
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
# The worker logs through the configuration above (JSON lines with the task's request id)
# instead of replacing the root logger's handlers with Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Task events for Flower's task history (docs/OPERATIONS.md, "Celery monitoring"); off by
# default, since every task then sends extra messages through the broker.
CELERY_WORKER_SEND_TASK_EVENTS = env.bool("STRIDE_CELERY_EVENTS", default=False)
CELERY_TASK_SEND_SENT_EVENT = CELERY_WORKER_SEND_TASK_EVENTS

# --- Sign-in protection (django-axes; see docs/SECURITY.md) ----------------------------------
# Wrong passwords for one username lock that username out of the login page, the admin and the
# API token endpoint for a while; a successful sign-in clears the count.
AXES_FAILURE_LIMIT = env.int("STRIDE_LOGIN_FAILURE_LIMIT", default=5)
# A float is read by axes as hours.
AXES_COOLOFF_TIME = env.int("STRIDE_LOGIN_COOLOFF_MINUTES", default=15) / 60
# By username (the account is what is guessed at); STRIDE_LOGIN_LOCKOUT_BY_IP=true narrows the
# lockout to username + address, so nobody can lock a colleague out from elsewhere.
AXES_LOCKOUT_PARAMETERS = (
    [["username", "ip_address"]]
    if env.bool("STRIDE_LOGIN_LOCKOUT_BY_IP", default=False)
    else ["username"]
)
# axes.W006 warns when the address takes no part, because a lockout keyed on user agent or cookie
# is dodged by rotating them; a username lockout is not, and an address-wide one would let one
# classroom behind one NAT address lock itself out.
SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "axes.W006"]
AXES_RESET_ON_SUCCESS = True
# Attempts made while locked out do not restart the clock: the wait shown is the real one.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "tracker.security.lockout.lockout_response"
AXES_USERNAME_CALLABLE = "tracker.security.lockout.lockout_username"
AXES_HTTP_RESPONSE_CODE = 429
# The client address is REMOTE_ADDR unless the proxy in front is trusted to set a header.
AXES_IPWARE_META_PRECEDENCE_ORDER = env.list("STRIDE_CLIENT_IP_HEADERS", default=["REMOTE_ADDR"])
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password"]
# Lockouts log at WARNING; every successful sign-in (INFO) is already kept in axes' access log.
LOGGING["loggers"]["axes"] = {"level": env.str("STRIDE_AXES_LOG_LEVEL", default="WARNING")}

# --- Content Security Policy (django-csp 4) --------------------------------------------------
# No inline script or style anywhere: pages load their JavaScript and CSS from /static/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}
# A sign-in through a provider leaves from a form on Stride: form-action names its origin.
CONTENT_SECURITY_POLICY = _sso_config.content_security_policy(
    CONTENT_SECURITY_POLICY, SOCIALACCOUNT_PROVIDERS
)
# Browser features the product never uses, switched off for every page.
STRIDE_PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)

# --- API throttles (fairness limits; the lockout above is the real guard) --------------------
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "rest_framework.throttling.AnonRateThrottle",
    "rest_framework.throttling.UserRateThrottle",
    "rest_framework.throttling.ScopedRateThrottle",
]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "anon": env.str("STRIDE_THROTTLE_ANON", default="300/hour"),
    "user": env.str("STRIDE_THROTTLE_USER", default="2000/hour"),
    # Token sign-ins per client address (tracker.api.views.auth.ObtainTokenView).
    "login": env.str("STRIDE_THROTTLE_LOGIN", default="60/minute"),
    # Where a stranger can make Stride work (tracker/security/ratelimit.py, docs/OPERATIONS.md
    # "Rate limits"): password reset emails per address and per client address, roster imports
    # per staff member (API and page together), deployment "check now" per caller.
    "password_reset_email": env.str("STRIDE_THROTTLE_PASSWORD_RESET_EMAIL", default="3/hour"),
    "password_reset_client": env.str("STRIDE_THROTTLE_PASSWORD_RESET_CLIENT", default="20/hour"),
    "roster": env.str("STRIDE_THROTTLE_ROSTER", default="30/hour"),
    "deployment_check": env.str("STRIDE_THROTTLE_DEPLOYMENT_CHECK", default="10/hour"),
    # Public certificate verification pages per client address (tracker/web/views/graduation).
    "certificate_verify": env.str("STRIDE_THROTTLE_CERTIFICATE_VERIFY", default="60/minute"),
}
# Proxies in front of the app that append to X-Forwarded-For; 0 means "use REMOTE_ADDR".
REST_FRAMEWORK["NUM_PROXIES"] = env.int("STRIDE_NUM_PROXIES", default=0)

# --- Errors and traces (docs/OPERATIONS.md, "Errors and traces") -----------------------------
# Off, and sentry_sdk not even imported, without a DSN.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from tracker.observability.errors import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default=""),
        release=env.str("SENTRY_RELEASE", default=""),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
# OpenTelemetry starts in TrackerConfig.ready() when this is set (needs 'stride[otel]').
OTEL_EXPORTER_OTLP_ENDPOINT = env.str("OTEL_EXPORTER_OTLP_ENDPOINT", default="")

# --- Metrics (docs/OPERATIONS.md, "Metrics and alerts") --------------------------------------
# GET /metrics: with a token, only with "Authorization: Bearer <token>"; else only from these
# networks (the client address is REMOTE_ADDR, or as STRIDE_NUM_PROXIES says).
STRIDE_METRICS_TOKEN = env.str("STRIDE_METRICS_TOKEN", default="")
STRIDE_METRICS_ALLOWED_NETS = env.list(
    "STRIDE_METRICS_ALLOWED_NETS", default=["127.0.0.1/32", "::1/128"]
)
try:
    import ipaddress as _ipaddress

    for _net in STRIDE_METRICS_ALLOWED_NETS:
        _ipaddress.ip_network(_net.strip(), strict=False)
except ValueError as _error:
    raise ImproperlyConfigured(f"STRIDE_METRICS_ALLOWED_NETS: {_error}") from None
# Prometheus scrapes over plain HTTP from inside the network, like the health check.
SECURE_REDIRECT_EXEMPT = [*SECURE_REDIRECT_EXEMPT, r"^metrics$"]

# --- Performance (issue 17, load held; docs/PERFORMANCE.md "Load held (issue 17)") -----------
# No server-side cursors on PostgreSQL: QuerySet.iterator() (every ModelChoiceField's options)
# otherwise runs DECLARE ... CURSOR WITH HOLD, FETCH and CLOSE, three round trips instead of
# one, outside a transaction too; they are also unsafe behind a transaction-pooling pgbouncer.
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("DISABLE_SERVER_SIDE_CURSORS", True)
# Form widgets (inputs, textareas, selects) written in Python, the same HTML as the templates.
FORM_RENDERER = "tracker.web.renderers.FastWidgetRenderer"

# --- API tokens and staff two-factor (issue 14; docs/SECURITY.md "API tokens", "Two-factor") --
# A new API token expires this many days after it is made.
STRIDE_TOKEN_TTL_DAYS = env.int("STRIDE_TOKEN_TTL_DAYS", default=30)
if STRIDE_TOKEN_TTL_DAYS < 1:
    raise ImproperlyConfigured("STRIDE_TOKEN_TTL_DAYS must be at least 1.")
# Staff must enrol TOTP, pass it after their password, and give a current code to make a token.
STRIDE_STAFF_REQUIRE_2FA = env.bool("STRIDE_STAFF_REQUIRE_2FA", default=False)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("STRIDE_TOTP_ISSUER", default="Stride")
MFA_RECOVERY_CODE_COUNT = 10

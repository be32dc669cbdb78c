"""Settings shared by every environment. Everything that differs comes from the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from callcenter.settings.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
DEBUG = env_bool("DEBUG", False)

# The platform's own domain: the public site is served on it, tenant N on N.<BASE_DOMAIN>.
BASE_DOMAIN = env_str("BASE_DOMAIN", "localhost")
# The port browsers use to reach the site, for links printed in pages and e-mails.
PUBLIC_PORT = env_int("PUBLIC_PORT", 8000)
PUBLIC_SCHEME = env_str("PUBLIC_SCHEME", "http")
# Tenant hosts are matched to tenants by the tenant middleware; origins of WebSockets
# are checked per tenant, so a wildcard here does not open one tenant's socket to another.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [BASE_DOMAIN, f".{BASE_DOMAIN}", "127.0.0.1"])

SHARED_APPS = [
    "django_tenants",
    "tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "channels",
    "callcenter.core",
]
# Users, sessions and admin history live in each tenant's schema (docs/adr/0002).
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.admin",
    "agents",
    "customers",
    "channels_app",
    "conversations",
    "routing",
    "tickets",
    "portal",
    "workbench",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# New tenants are cloned from this schema instead of running every migration (docs/adr/0003).
TENANT_TEMPLATE_SCHEMA = "tenant_template"
GET_EXECUTOR_FUNCTION = "callcenter.core.migrations_fastpath.get_executor"
# Issue `SET search_path` only when the schema changes, not before every cursor: it was half of
# the queries of a chat message. django-tenants forgets the setting on close, rollback and
# savepoint rollback, and every schema switch goes through set_tenant/set_schema.
TENANT_LIMIT_SET_CALLS = True

MIDDLEWARE = [
    "callcenter.core.middleware.HealthCheckMiddleware",
    "callcenter.core.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "callcenter.core.middleware.TenantMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "callcenter.core.middleware.SessionTenantGuardMiddleware",
    "callcenter.core.middleware.SuspendedTenantMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "agents.middleware.SeatHeartbeatMiddleware",
]

ROOT_URLCONF = "callcenter.urls_tenants"
PUBLIC_SCHEMA_URLCONF = "callcenter.urls_public"
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False

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
            ],
        },
    }
]

WSGI_APPLICATION = "callcenter.wsgi.application"
ASGI_APPLICATION = "callcenter.asgi.application"

DATABASE_URL = env_str("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/callcenter")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Tenant-scoped keys add the tenant id themselves (callcenter.core.tenancy.tenant_key).
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "cc"),
    }
}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # redis-py's default socket_timeout (5 s) equals channels_redis's BZPOPMIN wait, so
            # idle consumers died with TimeoutError; and its pool of 100 ran out when hundreds of
            # sockets closed at once (bench/realtime found both).
            "hosts": [{"address": REDIS_URL, "socket_timeout": 15, "max_connections": 10_000}],
            "prefix": env_str("CHANNEL_LAYER_PREFIX", "cc-asgi"),
            "capacity": 500,
            "expiry": 30,
        },
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_SAMESITE = "Lax"

# Login throttling: failures per account and per address before a lockout, and its length.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_FAILURE_WINDOW_S = env_int("LOGIN_FAILURE_WINDOW_S", 15 * 60)
LOGIN_LOCKOUT_S = env_int("LOGIN_LOCKOUT_S", 15 * 60)
LOGIN_MAX_FAILURES_PER_IP = env_int("LOGIN_MAX_FAILURES_PER_IP", 30)
SIGNUP_MAX_PER_IP_PER_HOUR = env_int("SIGNUP_MAX_PER_IP_PER_HOUR", 20)

# An agent's seat is held while the agent is active; it frees itself after this idle time.
SEAT_IDLE_TIMEOUT_S = env_int("SEAT_IDLE_TIMEOUT_S", 30 * 60)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Served by WhiteNoise on every host; in development straight from the source folders.
WHITENOISE_USE_FINDERS = DEBUG
# Uploaded files (widget attachments) when no object store is configured; never served directly.
MEDIA_ROOT = env_str("MEDIA_ROOT", str(BASE_DIR / ".var" / "media"))
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# An S3-compatible object store for uploads (MinIO, Alibaba OSS, Tencent COS, AWS S3). Files
# stay private: the application streams them behind its own signed links (docs/channels.md).
S3_BUCKET = env_str("S3_BUCKET", "")
if S3_BUCKET:
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"bucket_name": S3_BUCKET}}
    AWS_S3_ENDPOINT_URL = env_str("S3_ENDPOINT_URL", "") or None
    AWS_S3_REGION_NAME = env_str("S3_REGION", "") or None
    AWS_ACCESS_KEY_ID = env_str("S3_ACCESS_KEY_ID", "") or None
    AWS_SECRET_ACCESS_KEY = env_str("S3_SECRET_ACCESS_KEY", "") or None
    AWS_DEFAULT_ACL = None
    AWS_S3_FILE_OVERWRITE = False
    AWS_QUERYSTRING_AUTH = True

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_RATES": {
        "signup": f"{SIGNUP_MAX_PER_IP_PER_HOUR}/hour",
        "reseller": "600/minute",
        "app": "6000/minute",  # per channel key: a shop backend syncing in bulk
        "app_user": "120/minute",  # per APP user token
        "widget_visitor": env_str("WIDGET_VISITORS_PER_IP", "30/minute"),  # new widget visitors per address
        "widget_upload": "30/minute",  # widget uploads per address
    },
    "EXCEPTION_HANDLER": "callcenter.core.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Omnichannel Cloud Call Center API",
    "DESCRIPTION": "Public onboarding and reseller API, and each tenant's own API.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status"; the ticket's gets its own name in the schema.
    "ENUM_NAME_OVERRIDES": {"TicketStatusEnum": "tickets.models.Status"},
}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_DEFAULT_QUEUE = "default"
# Queues by workload (docs/architecture.md); a worker started by `make run` consumes them all.
TASK_QUEUES = ["default", "realtime", "routing", "asr", "nlp", "storage", "provisioning"]
CELERY_TASK_ROUTES = {
    "tenants.tasks.provision_signup": {"queue": "provisioning"},
    "channels_app.tasks.deliver_outbound": {"queue": "realtime"},
    "channels_app.tasks.process_wechat_message": {"queue": "realtime"},
    "channels_app.tasks.fetch_wechat_media": {"queue": "storage"},
}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE = {
    "expire-burst-seats": {
        "task": "tenants.tasks.expire_burst_seats",
        "schedule": timedelta(minutes=1),
    },
    "per-tenant-release-idle-seats": {
        "task": "callcenter.core.tasks.dispatch_to_tenants",
        "schedule": timedelta(minutes=5),
        "kwargs": {"task_name": "agents.tasks.release_idle_seats"},
    },
    "per-tenant-sweep-outbox": {
        "task": "callcenter.core.tasks.dispatch_to_tenants",
        "schedule": timedelta(minutes=1),
        "kwargs": {"task_name": "channels_app.tasks.sweep_outbox"},
    },
    "refresh-tenant-usage": {
        "task": "callcenter.core.tasks.dispatch_to_tenants",
        "schedule": crontab(minute="*/15"),
        "kwargs": {"task_name": "tenants.tasks.record_tenant_usage"},
    },
}

# WeChat's server API (access tokens, customer-service replies, media, OAuth2 code exchange) and
# the OAuth2 authorize page users are sent to (callcenter/integrations/wechat.py). Tests point
# both at a local fake server (channels_app/tests/fake_wechat_api.py).
WECHAT_API_BASE = env_str("WECHAT_API_BASE", "https://api.weixin.qq.com")
WECHAT_OPEN_BASE = env_str("WECHAT_OPEN_BASE", "https://open.weixin.qq.com")

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_FORMAT = env_str("LOG_FORMAT", "json")  # "json" for machines, "console" for people
LOGGING_CONFIG = None  # structlog is configured in callcenter.core.logging

# Security headers that hold in every environment; production.py adds HTTPS-only ones.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Origins allowed to open WebSockets besides the tenant's own hosts come from
# tenants.TenantOrigin (docs/tenancy.md).
WEBSOCKET_MAX_FRAME_BYTES = env_int("WEBSOCKET_MAX_FRAME_BYTES", 64 * 1024)
WEBSOCKET_MAX_FRAMES_PER_10S = env_int("WEBSOCKET_MAX_FRAMES_PER_10S", 50)  # one connection
WEBSOCKET_MAX_FRAMES_PER_USER_PER_10S = env_int("WEBSOCKET_MAX_FRAMES_PER_USER_PER_10S", 150)  # all of a user's
# Widget and APP sockets from one address (an office behind one NAT counts as one).
WEBSOCKET_MAX_FRAMES_PER_IP_PER_10S = env_int("WEBSOCKET_MAX_FRAMES_PER_IP_PER_10S", 600)
WEBSOCKET_MAX_FRAMES_PER_TENANT_PER_10S = env_int("WEBSOCKET_MAX_FRAMES_PER_TENANT_PER_10S", 50_000)

# The APP channel's webhook (channels_app/adapters/app/webhooks.py, docs/channels.md). Off in
# production: a webhook URL must be https and resolve only to public addresses, so a tenant
# admin cannot make the server call into its own network (SSRF). test.py and dev.py allow both
# for receivers on 127.0.0.1; an on-premises install whose shop backend is on a private
# network may set APP_WEBHOOK_ALLOW_PRIVATE=true.
APP_WEBHOOK_ALLOW_PRIVATE = env_bool("APP_WEBHOOK_ALLOW_PRIVATE", False)
APP_WEBHOOK_ALLOW_HTTP = env_bool("APP_WEBHOOK_ALLOW_HTTP", False)  # plain http:// (DEBUG allows it too)

# Routing (docs/routing.md). Agents' sockets beat every 20 s; one silent for longer than the
# timeout is gone, and an agent with no live socket is set offline after the grace period.
AGENT_HEARTBEAT_TIMEOUT_S = env_int("AGENT_HEARTBEAT_TIMEOUT_S", 45)
AGENT_OFFLINE_GRACE_S = env_int("AGENT_OFFLINE_GRACE_S", 30)
# How often each tenant's routing sweep runs: overdue offers, finished after-contact work,
# relaxed steps, contacts never routed, absent agents. Timers do this sooner; the sweep is the net.
ROUTING_SWEEP_S = env_int("ROUTING_SWEEP_S", 5)
CELERY_TASK_ROUTES.update(
    {
        f"routing.tasks.{name}": {"queue": "routing"}
        for name in (
            "contact_arrived",
            "contact_ended",
            "route",
            "expire_offer",
            "check_presence",
            "sweep",
            "end_after_work",
        )
    }
)
CELERY_BEAT_SCHEDULE["per-tenant-routing-sweep"] = {
    "task": "callcenter.core.tasks.dispatch_to_tenants",
    "schedule": timedelta(seconds=ROUTING_SWEEP_S),
    "kwargs": {"task_name": "routing.tasks.sweep"},
}

# Tickets (docs/tickets.md): a customer's reply within this many days reopens a resolved ticket.
TICKET_REOPEN_DAYS = env_int("TICKET_REOPEN_DAYS", 7)
# Files on ticket replies and notes, at most this many MB each.
TICKET_ATTACHMENT_MAX_MB = env_int("TICKET_ATTACHMENT_MAX_MB", 20)
# SLA warnings and breaches (tickets.services.sla) are checked this often per tenant.
CELERY_BEAT_SCHEDULE["per-tenant-ticket-sla"] = {
    "task": "callcenter.core.tasks.dispatch_to_tenants",
    "schedule": timedelta(minutes=1),
    "kwargs": {"task_name": "tickets.tasks.sla_sweep"},
}
# An APP return request links the customer's conversations of this many hours that name the order.
TICKET_LINK_WINDOW_H = env_int("TICKET_LINK_WINDOW_H", 72)

# The customers' self-service portal (docs/portal.md). One-time sign-in codes go out through
# PORTAL_CODE_SENDER (callcenter/integrations/otp.py): the console sender only logs them, so set a
# real one in production (EmailCodeSender, or EmailAndSmsCodeSender with PORTAL_SMS_SENDER naming
# an SmsCodeSender subclass for the SMS provider). Counters live in Redis: they hold across processes.
PORTAL_CODE_SENDER = env_str("PORTAL_CODE_SENDER", "callcenter.integrations.otp.ConsoleCodeSender")
PORTAL_SMS_SENDER = env_str("PORTAL_SMS_SENDER", "")
PORTAL_CODE_TTL_S = env_int("PORTAL_CODE_TTL_S", 10 * 60)
PORTAL_CODE_MAX_ATTEMPTS = env_int("PORTAL_CODE_MAX_ATTEMPTS", 5)  # wrong tries before a code is dead
PORTAL_CODE_SEND_INTERVAL_S = env_int("PORTAL_CODE_SEND_INTERVAL_S", 60)  # per address
PORTAL_CODE_SENDS_PER_HOUR = env_int("PORTAL_CODE_SENDS_PER_HOUR", 10)  # per address
PORTAL_CODE_SENDS_PER_IP_PER_HOUR = env_int("PORTAL_CODE_SENDS_PER_IP_PER_HOUR", 20)
PORTAL_MAX_FAILURES = env_int("PORTAL_MAX_FAILURES", 10)  # wrong codes per address in an hour, then a lockout
PORTAL_MAX_FAILURES_PER_IP = env_int("PORTAL_MAX_FAILURES_PER_IP", 30)
PORTAL_LOCKOUT_S = env_int("PORTAL_LOCKOUT_S", 15 * 60)
CELERY_BEAT_SCHEDULE["per-tenant-purge-portal-codes"] = {
    "task": "callcenter.core.tasks.dispatch_to_tenants",
    "schedule": timedelta(hours=1),
    "kwargs": {"task_name": "portal.tasks.purge_sign_in_codes"},
}

# Changing an order's shipping address (docs/customers.md): allowed only while the order's
# status, compared without regard to case, is one of these (the shop's own words for "not yet
# shipped") and it has no tracking number. A tenant whose shop uses other statuses lists them
# in its APP channel's settings as "order_address_changeable_statuses".
ORDER_ADDRESS_CHANGEABLE_STATUSES = frozenset(
    {"pending", "pending_payment", "paid", "unshipped", "待付款", "待发货", "已付款"}
)

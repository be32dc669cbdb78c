"""The test suite: real PostgreSQL and Redis, a separate Redis database and prefixes."""

import os
import tempfile

os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
os.environ.setdefault("CACHE_KEY_PREFIX", "cc-test")
os.environ.setdefault("CHANNEL_LAYER_PREFIX", "cc-test-asgi")

from callcenter.settings.base import *

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOG_FORMAT = "console"
LOG_LEVEL = "WARNING"
WHITENOISE_USE_FINDERS = True
# Tests run webhook receivers on http://127.0.0.1 (settings/base.py explains the guard).
APP_WEBHOOK_ALLOW_PRIVATE = True
APP_WEBHOOK_ALLOW_HTTP = True
# Uploaded test files go to a throwaway folder, not the checkout.
MEDIA_ROOT = tempfile.mkdtemp(prefix="cc-test-media-")

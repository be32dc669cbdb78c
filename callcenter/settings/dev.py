"""Local development: `make run` uses these."""

from callcenter.settings.base import *
from callcenter.settings.env import env_bool

DEBUG = env_bool("DEBUG", True)
LOG_FORMAT = "console"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# A shop backend on this machine or the office network may receive APP webhooks over http.
APP_WEBHOOK_ALLOW_PRIVATE = env_bool("APP_WEBHOOK_ALLOW_PRIVATE", True)
APP_WEBHOOK_ALLOW_HTTP = env_bool("APP_WEBHOOK_ALLOW_HTTP", True)

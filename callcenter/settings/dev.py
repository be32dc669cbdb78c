"""Local development: `make run` uses these."""

from callcenter.settings.base import *
from callcenter.settings.env import env_bool

DEBUG = env_bool("DEBUG", True)
LOG_FORMAT = "console"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

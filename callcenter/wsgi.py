import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "callcenter.settings.dev")
application = get_wsgi_application()

from callcenter.core.heap import heap_freeze_after_startup  # noqa: E402

heap_freeze_after_startup()

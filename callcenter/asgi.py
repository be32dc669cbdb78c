"""The ASGI entry point: HTTP through Django, WebSockets through the tenant-aware stack."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "callcenter.settings.dev")
django_http = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from callcenter.core.asgi import TenantWebsocketMiddleware  # noqa: E402
from callcenter.core.heap import heap_freeze_after_startup  # noqa: E402
from channels_app.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_http,
        "websocket": TenantWebsocketMiddleware(
            URLRouter(websocket_urlpatterns), token_auth_paths=("/ws/widget/", "/ws/app/")
        ),
    }
)

heap_freeze_after_startup()

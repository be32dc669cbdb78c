"""The access layer: channel adapters and every WebSocket consumer."""

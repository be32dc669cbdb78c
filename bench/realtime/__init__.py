"""The real-time suite of `make bench`: chat delivery, idle sockets, uvicorn vs daphne, lost messages.

Everything here talks to a real ASGI server started as a subprocess (``servers``) over real
sockets, on a tenant made for it in the benchmark database (``fixture``). ``suite`` runs the
four measurements in order; each module holds one of them.
"""

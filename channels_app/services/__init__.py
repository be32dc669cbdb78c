"""Writes of the channels app, one module per sub-domain."""

"""Writes to the agents of the current tenant."""

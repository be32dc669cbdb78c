"""Writes to the public schema, split by sub-domain."""

"""Adapters: each outside messaging platform's own protocol, turned into this project's models."""

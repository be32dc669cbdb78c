"""Writes to tickets. Each service records what it changed in the ticket's history."""

"""Routing: who answers which contact. The decision engine is pure (routing/domain/); the rest joins it."""

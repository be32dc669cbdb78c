"""The omnichannel cloud call center project package."""

from callcenter.celery import app as celery_app

__all__ = ["celery_app"]

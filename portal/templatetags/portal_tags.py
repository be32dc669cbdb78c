"""Template filters of the portal's pages."""

from django import template

from customers.domain.order_status import order_status_label

register = template.Library()


@register.filter
def order_status(status: str) -> str:
    """An order's status in the reader's language, when it is one of the common codes."""
    return order_status_label(status or "")

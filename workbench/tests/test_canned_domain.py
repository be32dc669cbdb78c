"""Canned responses' variables: only known names, filled once, unknown values left for the agent."""

from workbench.domain.canned import canned_fill, variables_unknown


def test_only_known_variables_are_allowed() -> None:
    assert variables_unknown("您好 {customer_name}，订单 {order_no}") == []
    assert variables_unknown("{price} {customer_name} {price} {Order_No}") == ["price", "Order_No"]
    assert variables_unknown("花括号 {} 和 {1} 不是变量") == []


def test_known_values_are_filled_once_and_missing_ones_stay_visible() -> None:
    values = {"customer_name": "{order_no}", "order_no": None, "agent_name": "小李"}
    assert canned_fill("{customer_name} / {order_no} / {agent_name} / {shop_name}", values) == (
        "{order_no} / {order_no} / 小李 / {shop_name}"
    )
    # Plain text in, plain text out: whatever shows it escapes it.
    assert canned_fill("<b>{customer_name}</b>", {"customer_name": "<i>周</i>"}) == "<b><i>周</i></b>"

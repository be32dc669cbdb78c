"""Order statuses from the shop, shown in the reader's language when they are common codes."""

from django.utils import translation

from customers.domain.order_status import order_status_label


def test_common_codes_are_named_in_both_languages_and_others_are_shown_as_sent() -> None:
    with translation.override("en"):
        assert order_status_label("paid") == "paid"
        assert order_status_label(" Shipped ") == "shipped"
        assert order_status_label("canceled") == order_status_label("cancelled") == "cancelled"
    with translation.override("zh-hans"):
        assert order_status_label("paid") == "已付款"
        assert order_status_label("shipped") == "已发货"
        assert order_status_label("待评价") == "待评价"  # a shop's own status, as sent
        assert order_status_label("") == ""

"""The keyword classifier that suggests a ticket's category from the customer's words."""

from tickets.domain.classifier import category_suggest
from tickets.services.defaults import DEFAULT_KEYWORDS


def test_the_category_with_the_most_specific_evidence_wins() -> None:
    found = category_suggest("杯子收到就漏水了，质量问题，我要退款", DEFAULT_KEYWORDS)
    assert found is not None and found.code == "damaged"  # 漏水 + 质量问题 outweigh 退款
    assert found.matched == ("漏水", "质量问题") and 0 < found.confidence < 1


def test_everyday_messages_land_where_an_agent_would_put_them() -> None:
    for text, code in [
        ("我的快递到哪了？三天了还没收到", "logistics"),
        ("请帮我开一张增值税发票，抬头是杭州优选", "invoice"),
        ("这件衣服不合适，想换一个大一号的", "return-exchange"),
        ("退款申请一周了钱没到账", "refund"),
        ("客服态度差，我要投诉", "complaint"),
        ("这款还有货吗？有没有优惠", "pre-sales"),
        ("Where is my parcel? The tracking number shows nothing", "logistics"),
        ("The mug arrived BROKEN", "damaged"),
    ]:
        found = category_suggest(text, DEFAULT_KEYWORDS)
        assert found is not None and found.code == code, (text, found)


def test_no_evidence_no_suggestion_and_only_one_category_is_certain() -> None:
    assert category_suggest("你好", DEFAULT_KEYWORDS) is None
    assert category_suggest("", DEFAULT_KEYWORDS) is None
    assert category_suggest("发票", {"invoice": ["发票"], "empty": [], "blank": ["  "]}) is not None
    only = category_suggest("请开发票", DEFAULT_KEYWORDS)
    assert only is not None and only.confidence == 1.0
    tie = category_suggest("ab", {"first": ["a"], "second": ["b"]})
    assert tie is not None and tie.code == "first" and tie.confidence == 0.5

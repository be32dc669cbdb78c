import pytest

from customers.domain.phones import InvalidPhoneNumber, is_mobile, normalize_phone


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "+86 138 1234 5678",
        "0086-138-1234-5678",
        "86 13812345678",
        "+86(138)1234-5678",
        "１３８１２３４５６７８",
        " 138 1234 5678 ",
    ],
)
def test_the_common_ways_of_writing_a_chinese_mobile_are_one_number(raw: str) -> None:
    assert normalize_phone(raw) == "+8613812345678"
    assert is_mobile("+8613812345678")


def test_landlines_and_foreign_numbers() -> None:
    assert normalize_phone("010-12345678") == "+861012345678"
    assert normalize_phone("+1 650 253 0000") == "+16502530000"


@pytest.mark.parametrize("raw", ["", "12345", "abc", "138123456789", "+86 000", "<script>13812345678"])
def test_bad_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        normalize_phone(raw)

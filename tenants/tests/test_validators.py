import pytest
from django.core.exceptions import ValidationError

from tenants.validators import normalize_subdomain, schema_name_for, validate_origin, validate_subdomain

# Names a company may choose.
GOOD = ["abc", "shop-88", "taobao-store", "a" * 30, "x1y2z3", "jd-mall-2026"]

# Everything here must be refused: too short or long, bad characters, reserved names,
# SQL and path injection, look-alike Unicode, control characters.
BAD = [
    "",
    "ab",
    "a" * 31,
    "1shop",
    "-shop",
    "shop-",
    "sh--op",
    "shop_1",
    "shop.1",
    "shop 1",
    "Shop!",
    "www",
    "admin",
    "api",
    "public",
    "static",
    "media",
    "reseller",
    "template",
    "x'; DROP SCHEMA public CASCADE; --",
    'x"; drop table tenants_tenant; --',
    "x;select 1",
    "pg_catalog",
    "information_schema",
    "../etc",
    "shop/../../",
    "shop%00",
    "shop\x00",
    "sh\nop",
    "shop\t1",
    "dеmo",  # Cyrillic е
    "ѕhop",  # Cyrillic ѕ
    "shoр",  # Cyrillic р
    "ｓｈｏｐ",  # full-width
    "\u212aelvin",  # Kelvin sign lowercases to ASCII k
    "shop\u200b",  # zero-width space
    "商城",
    "xn--shop",
]


@pytest.mark.parametrize("name", GOOD)
def test_good_subdomains_pass(name: str) -> None:
    validate_subdomain(name)
    assert schema_name_for(name).startswith("t_")


@pytest.mark.parametrize("name", BAD)
def test_bad_subdomains_are_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        validate_subdomain(normalize_subdomain(name))


def test_uppercase_ascii_is_lowercased_but_lookalikes_are_not() -> None:
    assert normalize_subdomain("  MyShop ") == "myshop"
    assert normalize_subdomain("\u212aelvin") == "\u212aelvin"


def test_schema_name_is_derived_not_taken() -> None:
    assert schema_name_for("jd-mall") == "t_jd_mall"


@pytest.mark.parametrize("origin", ["https://shop.example.cn", "http://localhost:3000", "https://a.b.c:8443/"])
def test_good_origins(origin: str) -> None:
    validate_origin(origin)


@pytest.mark.parametrize(
    "origin",
    [
        "shop.example.cn",
        "ftp://x.cn",
        "https://x.cn/path",
        "https://x.cn?a=1",
        "javascript:alert(1)",
        "https://user@x.cn",
        "https://商城.cn",
        "",
    ],
)
def test_bad_origins(origin: str) -> None:
    with pytest.raises(ValidationError):
        validate_origin(origin)

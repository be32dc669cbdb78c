"""The migrate fast path skips schemas that are current and migrates those that are not."""

from __future__ import annotations

from django.core.management import call_command
from django.db import connection

from callcenter.core.migrations_fastpath import applied_migrations, expected_tenant_migrations, is_up_to_date
from callcenter.core.testing import make_tenant


def test_a_fresh_tenant_is_current_and_a_behind_one_is_migrated(platform: None, capsys) -> None:  # type: ignore[no-untyped-def]
    tenant = make_tenant("shop-one")
    assert expected_tenant_migrations() <= applied_migrations("t_shop_one")
    assert ("agents", "0001_initial") in expected_tenant_migrations()
    assert not any(app == "tenants" for app, _ in expected_tenant_migrations())  # public-only app

    # Make it look one migration behind: the fast path must notice and run Django's migrate.
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE t_shop_one.django_session")
        cursor.execute("DELETE FROM t_shop_one.django_migrations WHERE app='sessions'")
    assert not is_up_to_date("t_shop_one")
    call_command("migrate_schemas", tenant=True, interactive=False, verbosity=1, fake=False)
    assert is_up_to_date(tenant.schema_name)
    out = capsys.readouterr().out
    assert "already up to date, skipped" in out  # the template was current and skipped


def test_an_unknown_schema_has_nothing_applied(platform: None) -> None:
    assert applied_migrations("t_nothing_here") == set()

"""The plans a fresh platform offers. The operator edits them in the platform admin."""

from django.db import migrations

PLANS = [
    # code, English, Chinese, seats, storage GB, price CNY, features
    ("starter", "Starter", "入门版", 10, 50, "1999.00", ["web_chat", "app", "wechat"]),
    ("growth", "Growth", "成长版", 100, 500, "15999.00", ["web_chat", "app", "wechat", "voice", "reports"]),
    ("enterprise", "Enterprise", "企业版", 500, 5000, "69999.00",
     ["web_chat", "app", "wechat", "voice", "video", "ivr", "reports", "quality"]),
]


def add_plans(apps, schema_editor):
    Plan = apps.get_model("tenants", "Plan")
    for order, (code, name, name_zh, seats, storage, price, features) in enumerate(PLANS):
        Plan.objects.get_or_create(
            code=code,
            defaults={
                "name": name, "name_zh": name_zh, "max_agents": seats, "storage_quota_gb": storage,
                "monthly_price_cny": price, "features": features, "sort_order": order,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]
    operations = [migrations.RunPython(add_plans, migrations.RunPython.noop)]

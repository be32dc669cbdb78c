from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tenants.services.platform import platform_ensure


class Command(BaseCommand):
    help = "Create the public tenant and its domain, and build the tenant template schema. Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--domain", help="The public domain (default: settings.BASE_DOMAIN)")

    def handle(self, *args: Any, **options: Any) -> None:
        public = platform_ensure(public_domain=options.get("domain"))
        self.stdout.write(self.style.SUCCESS(f"Platform ready on {public.domains.first()}"))

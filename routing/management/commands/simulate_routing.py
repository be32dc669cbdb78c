"""Replay a peak hour against the routing engine in virtual time and print the service figures.

manage.py simulate_routing --schema t_demo
manage.py simulate_routing --schema t_demo --volume 3 --rules 4,5,9   # a draft rule set, 3x volume
manage.py simulate_routing --synthetic-peak                           # 1,500 agents, no tenant needed
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import schema_context

from routing.domain.scenarios import peak_hour
from routing.domain.simulator import report_table, simulate
from routing.services.simulation import SimulationInput, live_rules, simulate_rules


class Command(BaseCommand):
    help = "Replay a peak hour in virtual time against the real routing engine (service level, ASA, abandonment)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schema", help="the tenant's schema, e.g. t_demo")
        parser.add_argument("--rules", default="", help="ids of the rules to try instead of the active ones")
        parser.add_argument("--days", type=int, default=7, help="history to find the busiest hour in (days)")
        parser.add_argument("--volume", type=float, default=1.0, help="multiply the contacts of that hour")
        parser.add_argument("--per-hour", type=int, default=600, help="contacts per hour when there is no history")
        parser.add_argument("--agents", type=float, default=1.0, help="multiply the number of agents")
        parser.add_argument("--patience", type=float, default=180.0, help="customers' mean patience (s), 0: infinite")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--synthetic-peak", action="store_true", help="the 1,500-agent promotion peak")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        if options["synthetic_peak"]:
            report = simulate(peak_hour(), options["seed"])
            self.stdout.write(report_table(report))
            self.stdout.write(f"replayed in {time.perf_counter() - started:.1f} s")
            return
        if not options["schema"]:
            raise CommandError("Give --schema (a tenant's schema) or --synthetic-peak.")
        settings_in = SimulationInput(
            history_days=max(1, options["days"]),
            volume_scale=options["volume"],
            contacts_per_hour=options["per_hour"],
            agent_scale=options["agents"],
            patience_s=options["patience"] or None,
            seed=options["seed"],
        )
        with schema_context(options["schema"]):
            rules = live_rules()
            if options["rules"]:
                from routing.models import RoutingRule

                try:
                    ids = [int(part) for part in options["rules"].split(",") if part.strip()]
                except ValueError as exc:
                    raise CommandError("--rules takes rule ids separated by commas, e.g. 4,5,9") from exc
                rules = list(RoutingRule.objects.filter(pk__in=ids).prefetch_related("tiers").order_by("position"))
                if len(rules) != len(set(ids)):
                    raise CommandError("Some of those rule ids do not exist in this tenant.")
            report, seen = simulate_rules(rules, settings_in)
        source = f"the busiest hour of {seen} past contacts" if seen else f"{options['per_hour']} contacts/hour"
        self.stdout.write(f"Arrivals: {source} x {options['volume']}")
        self.stdout.write(report_table(report))
        self.stdout.write(f"replayed in {time.perf_counter() - started:.1f} s")

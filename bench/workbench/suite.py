"""The workbench suite: the screen pop in a tenant with 100,000 customers and 2,000,000 messages.

workbench.screen_pop_api_p99_ms (target 15) and _p50_ms: ``GET /api/v1/customers/<id>/screen-pop/
?conversation=<their newest>`` through the whole Django stack (tenant middleware, session
authentication, the agent check, the read model, the JSON), in process with Django's test client
signed in as an agent, set up as a server process runs (DEBUG off, the start-up heap frozen as
callcenter/asgi.py does). workbench.screen_pop_sql_ms_p99 (target 1): the time of all the SQL
inside one request, summed by a ``connection.execute_wrapper`` (round trips included: psycopg
reads the rows within ``execute``); workbench.screen_pop_read_sql_ms_p99: the same for the
screen pop's own reads only, without the tenant, session, user and agent-check queries every
staff request makes. workbench.screen_pop_queries: the most queries one request made (one fewer
for a customer without an earlier conversation; workbench/tests/test_screen_pop.py checks the
number does not grow with the history).

The customers asked for: the 10 with the most conversations and the 10 with the most messages
(some are both) ``HEAVY_ROUNDS`` times each, and customers behind random conversations (a
contact is a conversation: a customer who writes often is asked for often) and behind random
messages (weighted by how much they wrote), shuffled together; ``WARMUP`` requests first, not
measured. Progress lines give each query's p50/p99 over the run, this thread's CPU time per
request next to the wall time (what is left is waiting: for PostgreSQL, or for a CPU on a shared
machine), and for the customers with the most conversations and the most messages each query of
their screen pop with its plan and PostgreSQL's own planning and execution time.

The data: bench/workbench/fill.py.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bench.env import progress

if TYPE_CHECKING:
    from bench.env import Results

BUDGET_S = 420.0
ALARM_S = 450
HARD_STOP_S = 470.0

SUBDOMAIN = "benchpop"  # not "benchdesk": the workbench-desk suite (first_paint.py) has that one
BY_CONVERSATION = int(os.environ.get("BENCH_WORKBENCH_BY_CONVERSATION", "600"))
BY_MESSAGE = int(os.environ.get("BENCH_WORKBENCH_BY_MESSAGE", "500"))
HEAVY = 20
HEAVY_ROUNDS = 5
WARMUP = 200
TARGET_P99_MS = 15
TARGET_SQL_MS = 1
_TABLE = re.compile(r'FROM "?([a-z]+_\w+)')  # the first table a statement reads


# What every staff API request reads before the view runs: the tenant by host name, the session,
# the user, the agent check (and now and then the seat's lease); the rest is the screen pop's.
_REQUEST_TABLES = frozenset(
    {"tenants_domain", "django_session", "auth_user", "agents_agentprofile", "agents_seatlease"}
)


def _label(sql: str) -> str:
    if sql.startswith("SET "):
        return "SET search_path"
    found = _TABLE.search(sql)
    return found.group(1) if found else sql[:30]


class SqlClock:
    """Sums the time of every statement run while installed (``connection.execute_wrapper``):
    all of them, and those of the screen pop's own reads."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.read_seconds = 0.0
        self.queries = 0
        self.by_table: dict[str, list[float]] = defaultdict(list)

    def reset(self) -> None:
        self.seconds = 0.0
        self.read_seconds = 0.0
        self.queries = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - started
            label = _label(sql)
            self.seconds += spent
            if label not in _REQUEST_TABLES and label != "SET search_path":
                self.read_seconds += spent
            self.queries += 1
            self.by_table[label].append(spent * 1000)


@dataclass
class Measured:
    total_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)  # this thread's CPU: Django, DRF, the ORM, psycopg
    sql_ms: list[float] = field(default_factory=list)
    read_sql_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    heavy_ms: list[float] = field(default_factory=list)


def _asked_for() -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """(customer id, their newest conversation id) for every measured request, shuffled; the
    heaviest customers; and of them, those with the most conversations and the most messages."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.88)")
        heavy: list[int] = []
        tops: list[int] = []
        for measure in ("count(*)", "sum(last_seq)"):
            cursor.execute(
                "SELECT customer_id FROM conversations_conversation GROUP BY customer_id "  # a fixed measure
                f"ORDER BY {measure} DESC, customer_id LIMIT %s",
                [HEAVY // 2],
            )
            rows = [row[0] for row in cursor.fetchall()]
            tops.append(rows[0])
            heavy += [customer for customer in rows if customer not in heavy]
        cursor.execute(
            "SELECT customer_id FROM conversations_conversation TABLESAMPLE BERNOULLI (5) REPEATABLE (88)"
            " ORDER BY random() LIMIT %s",
            [BY_CONVERSATION],
        )
        by_conversation = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT c.customer_id FROM conversations_message m TABLESAMPLE SYSTEM (1) REPEATABLE (88)"
            " JOIN conversations_conversation c ON c.id = m.conversation_id ORDER BY random() LIMIT %s",
            [BY_MESSAGE],
        )
        by_message = [row[0] for row in cursor.fetchall()]
        customers = heavy * HEAVY_ROUNDS + by_conversation + by_message
        cursor.execute(
            "SELECT DISTINCT ON (customer_id) customer_id, id FROM conversations_conversation"
            " WHERE customer_id = ANY(%s) ORDER BY customer_id, opened_at DESC",
            [list(set(customers))],
        )
        newest = dict(cursor.fetchall())
    random.Random(88).shuffle(customers)
    progress(
        f"asking for {len(customers)} screen pops: {len(heavy)} heaviest customers x {HEAVY_ROUNDS}, "
        f"{len(by_conversation)} behind random conversations, {len(by_message)} behind random messages"
    )
    return [(customer, newest[customer]) for customer in customers], heavy, list(dict.fromkeys(tops))


def _describe(customer_id: int) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), coalesce(sum(last_seq), 0), coalesce(max(last_seq), 0)"
            " FROM conversations_conversation WHERE customer_id = %s",
            [customer_id],
        )
        conversations, messages, longest = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM customers_order WHERE customer_id = %s", [customer_id])
        orders = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM tickets_ticket WHERE customer_id = %s", [customer_id])
        tickets = cursor.fetchone()[0]
    return (
        f"customer {customer_id}: {conversations} conversations, {messages} messages (longest {longest}), "
        f"{orders} orders, {tickets} tickets"
    )


_PLAN_NODE = re.compile(r"^\s*(?:->\s*)?([A-Z][^(]*?)\s+\(cost=")
_MS = re.compile(r"(Planning|Execution) Time: ([\d.]+) ms")


def _explain(client: Any, customer_id: int, conversation_id: int) -> None:
    """Each query of one screen pop with its plan and PostgreSQL's own planning and execution time
    (EXPLAIN ANALYZE, run right after the request), and their sum."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(f"/api/v1/customers/{customer_id}/screen-pop/", {"conversation": conversation_id})
    server_ms = {"request": 0.0, "read": 0.0}
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().lstrip("(").upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE) " + sql)
            lines = [row[0] for row in cursor.fetchall()]
        times = {found.group(1): found.group(2) for line in lines if (found := _MS.search(line))}
        planning, execution = float(times.get("Planning", 0)), float(times.get("Execution", 0))
        label = _label(sql)
        server_ms["request" if label in _REQUEST_TABLES else "read"] += planning + execution
        nodes = [found.group(1).strip() for line in lines if (found := _PLAN_NODE.match(line))]
        progress(f"  {label}: planning {planning:.3f} ms, execution {execution:.3f} ms; {' / '.join(nodes)[:240]}")
    progress(
        f"  PostgreSQL's own time (planning + execution): the screen pop's reads {server_ms['read']:.3f} ms, "
        f"the request's tenant, session, user and agent check {server_ms['request']:.3f} ms"
    )


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.99) - 1)]


def run_workbench_suite(results: Results, env: dict[str, str], started: float) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_tenants.utils import tenant_context

    from bench.workbench.fill import fill
    from callcenter.core.heap import heap_freeze_after_startup
    from callcenter.core.testing import host_of, make_tenant

    t0 = time.perf_counter()
    tenant = make_tenant(SUBDOMAIN, name="Bench screen pop")
    with tenant_context(tenant):
        filled = fill()
        user = get_user_model().objects.get(pk=filled.agent_ids[0])
        asked, heavy, heaviest = _asked_for()
    progress(
        f"{filled.customers:,} customers, {filled.identities:,} channel identities, {filled.orders:,} orders, "
        f"{filled.activities:,} activity events, {filled.conversations:,} conversations, "
        f"{filled.messages:,} messages, {filled.tickets:,} tickets written and analyzed "
        f"in {time.perf_counter() - t0:.1f}s"
    )

    client = Client(HTTP_HOST=host_of(tenant))
    newest = dict(asked)
    with tenant_context(tenant):
        client.force_login(user)  # the session lives in the tenant's schema
        for customer_id in heaviest:
            progress(f"the queries of the screen pop of {_describe(customer_id)} (EXPLAIN ANALYZE):")
            _explain(client, customer_id, newest[customer_id])

    heap_freeze_after_startup()
    measured = _measure(client, asked, set(heavy))
    totals = measured.total_ms
    progress(
        f"{len(totals)} screen pops: p50 {statistics.median(totals):.2f} ms, p99 {_p99(totals):.2f} ms, "
        f"max {max(totals):.1f} ms (the heaviest customers' p99 {_p99(measured.heavy_ms):.2f} ms); "
        f"this thread's CPU p50 {statistics.median(measured.cpu_ms):.2f} ms, p99 {_p99(measured.cpu_ms):.2f} ms"
    )
    progress(
        f"SQL per request: p50 {statistics.median(measured.sql_ms):.3f} ms, p99 {_p99(measured.sql_ms):.3f} ms "
        f"in {min(measured.queries)}-{max(measured.queries)} queries; of which the screen pop's own reads "
        f"(not the tenant, session, user and agent check): p50 {statistics.median(measured.read_sql_ms):.3f} ms, "
        f"p99 {_p99(measured.read_sql_ms):.3f} ms"
    )
    progress(f"load average now {' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} CPUs")
    results.emit("workbench.screen_pop_api_p99_ms", round(_p99(totals), 2), "ms", TARGET_P99_MS)
    results.emit("workbench.screen_pop_api_p50_ms", round(statistics.median(totals), 2), "ms", None)
    results.emit("workbench.screen_pop_sql_ms_p99", round(_p99(measured.sql_ms), 3), "ms", TARGET_SQL_MS)
    results.emit("workbench.screen_pop_read_sql_ms_p99", round(_p99(measured.read_sql_ms), 3), "ms", None)
    results.emit("workbench.screen_pop_queries", max(measured.queries), "queries", None)


def _measure(client: Any, asked: list[tuple[int, int]], heavy: set[int]) -> Measured:
    """``WARMUP`` requests, then every one asked for, as a server process runs them (DEBUG off)."""
    from django.db import connection
    from django.test import override_settings

    clock = SqlClock()
    measured = Measured()
    with override_settings(DEBUG=False), connection.execute_wrapper(clock):
        for i, (customer_id, conversation_id) in enumerate(asked[:WARMUP] + asked):
            if i == WARMUP:
                clock.by_table.clear()
            clock.reset()
            cpu = time.thread_time()
            t = time.perf_counter()
            response = client.get(f"/api/v1/customers/{customer_id}/screen-pop/", {"conversation": conversation_id})
            spent = (time.perf_counter() - t) * 1000
            cpu_spent = (time.thread_time() - cpu) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"customer {customer_id}: HTTP {response.status_code}")
            if i < WARMUP:
                continue
            measured.total_ms.append(spent)
            measured.cpu_ms.append(cpu_spent)
            measured.sql_ms.append(clock.seconds * 1000)
            measured.read_sql_ms.append(clock.read_seconds * 1000)
            measured.queries.append(clock.queries)
            if customer_id in heavy:
                measured.heavy_ms.append(spent)
    for label, times in sorted(clock.by_table.items(), key=lambda item: -sum(item[1])):
        progress(
            f"  {label}: {len(times) / len(measured.total_ms):.2f} per request, "
            f"p50 {statistics.median(times):.3f} ms, p99 {_p99(times):.3f} ms"
        )
    return measured

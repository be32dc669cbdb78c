"""One shop's customer service history, written in bulk SQL (the services would take hours).

100,000 customers (Chinese names, +86 mobile numbers, four membership tiers) known on WeChat,
the APP and the web widget; orders with logistics for 60 % of them, APP activity for 30 %,
tickets for about a fifth, and exactly ``MESSAGES`` messages over their conversations. Counts
per customer have long tails, as a shop's do: most customers wrote once or twice, a few hundred
dozens of times; most chats are short, some run to hundreds of lines. Each conversation's
``last_seq`` is its message count, ``last_message_at`` its last message's time; at most one is
open per customer. Messages are written in the order they were sent, so one conversation's
lines are spread over the table as production's are.

``random()`` is seeded before each statement: every run writes the same rows (their times
follow the clock).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

CUSTOMERS = int(os.environ.get("BENCH_WORKBENCH_CUSTOMERS", "100000"))
MESSAGES = int(os.environ.get("BENCH_WORKBENCH_MESSAGES", "2000000"))
AGENTS = 60
TEAMS = 6
MAX_CONVERSATIONS = 300  # per customer
MAX_BASE_MESSAGES = 2000  # per conversation, before scaling to MESSAGES in all

SURNAMES = [
    *"王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯",
    *"邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈",
    "欧阳",
    "上官",
]
GIVEN = [
    *"伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍",
    *"红玲宇浩凯鹏欣怡佳琪子涵梓轩晨雨思博文俊嘉一诺婷雪慧晓建国海天",
]
MOBILE_PREFIXES = "130 131 132 135 136 137 138 139 150 151 152 158 159 176 177 180 186 187 188 189 199".split()
FROM_CUSTOMER = [
    "你好，我的订单什么时候发货？",
    "快递三天没更新了，帮我查一下",
    "收到的杯子漏水，可以换一个吗？",
    "我要申请退款",
    "尺码不合适，想换大一号的",
    "发票怎么开？抬头写公司的",
    "优惠券用不了，提示不满足条件",
    "地址填错了，能改吗？改成浦东新区张江路",
    "好的，谢谢",
    "还在吗？",
    "已经拍照了，你看一下",
    "什么时候能退款到账？",
    "商品和描述的颜色不一样",
    "我是老会员了，能不能快点处理",
    "在吗",
    "包裹显示已签收，但我没收到",
    "Is there anyone who speaks English?",
    "能不能帮我备注一下，送货前打电话",
]
FROM_AGENT = [
    "您好，很高兴为您服务，请问有什么可以帮您？",
    "请提供一下订单号，我帮您查询",
    "已为您查询，包裹正在派送中，预计明天送达",
    "非常抱歉给您带来不便，我们会为您补发一个新的",
    "退款已提交，预计1-3个工作日原路退回",
    "麻烦您拍一张商品照片发给我们，方便核实",
    "地址已为您修改好了",
    "还有其他可以帮您的吗？",
    "感谢您的耐心等待",
    "已为您登记工单，处理结果会短信通知您",
    "好的，已帮您备注，快递员送货前会联系您",
]
TOPICS = ["物流查询", "退换货", "退款", "发票", "优惠券", "商品质量", "修改地址", "会员权益", ""]
TICKET_SUBJECTS = ["杯子漏水要求换货", "快递丢件", "退款未到账", "发票抬头错误", "商品少发", "积分未到账", "包裹破损"]
PRODUCTS = ["保温杯 500ml", "无线蓝牙耳机", "纯棉T恤", "跑步鞋", "电饭煲 3L", "面膜 10片装", "儿童书包"]
CARRIERS = ["顺丰速运", "中通快递", "圆通速递", "京东物流", "韵达快递"]
CARRIER_PREFIXES = ["SF", "ZT", "YT", "JD", "YD"]
CITIES = [
    "广东省深圳市",
    "浙江省杭州市",
    "上海市浦东新区",
    "北京市朝阳区",
    "江苏省南京市",
    "四川省成都市",
    "湖北省武汉市",
]
ACTIVITIES = ["viewed_order", "submitted_return_request", "viewed_product", "applied_coupon", "searched"]
WECHAT_APP_ID = "wx5f1e2d3c4b5a6978"


@dataclass(frozen=True)
class Filled:
    customers: int
    identities: int
    orders: int
    activities: int
    conversations: int
    messages: int
    tickets: int
    agent_ids: list[int]


def fill() -> Filled:
    """Everything, in the current tenant's schema (an empty, freshly provisioned one)."""
    from django.db import connection

    agent_ids, agent_teams = _agents()
    channels = _channels()
    with connection.cursor() as cursor:
        cursor.execute("SET work_mem = '256MB'")  # the sorts below stay in memory
        _customers(cursor)
        _plan(cursor)
        _identities(cursor)
        _orders(cursor)
        _activities(cursor)
        _conversations(cursor, channels)
        _messages(cursor, agent_ids)
        _tickets(cursor, agent_ids, agent_teams)
        counts = {}
        for table in (
            "customers_customer",
            "customers_channelidentity",
            "customers_order",
            "customers_activityevent",
            "conversations_conversation",
            "conversations_message",
            "tickets_ticket",
        ):
            cursor.execute(f"SELECT count(*) FROM {table}")  # our own table names
            counts[table] = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_customer, bench_conv")
        cursor.execute("RESET work_mem")
    # At rest, as production tables are: vacuumed (autovacuum may be off, or would start on the
    # new rows in the middle of the measurement), analyzed, and checkpointed.
    with connection.cursor() as cursor:
        for table in counts:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute("CHECKPOINT")
    return Filled(
        customers=counts["customers_customer"],
        identities=counts["customers_channelidentity"],
        orders=counts["customers_order"],
        activities=counts["customers_activityevent"],
        conversations=counts["conversations_conversation"],
        messages=counts["conversations_message"],
        tickets=counts["tickets_ticket"],
        agent_ids=agent_ids,
    )


def _agents() -> tuple[list[int], list[int]]:
    """Agents in teams; their user ids, and each one's team."""
    from django.contrib.auth import get_user_model

    from agents.models import AgentProfile, Team

    teams = Team.objects.bulk_create([Team(name=f"客服{n + 1}组") for n in range(TEAMS)])
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"agent{n:02d}", password="!") for n in range(AGENTS)]
    )
    AgentProfile.objects.bulk_create(
        [AgentProfile(user=user, display_name=f"客服{n:02d}", team=teams[n % TEAMS]) for n, user in enumerate(users)]
    )
    return [user.pk for user in users], [teams[n % TEAMS].pk for n in range(AGENTS)]


def _channels() -> dict[str, int]:
    from channels_app.models import Channel, ChannelKind

    made = Channel.objects.bulk_create(
        [
            Channel(kind=ChannelKind.WECHAT_OFFICIAL, name="官方公众号", config={"app_id": WECHAT_APP_ID}),
            Channel(kind=ChannelKind.APP, name="商城APP", config={}),
            Channel(kind=ChannelKind.WEB_WIDGET, name="官网客服", config={"allowed_origins": []}),
        ]
    )
    return {"wechat": made[0].pk, "app": made[1].pk, "web": made[2].pk}


def _customers(cursor: Any) -> None:
    cursor.execute("SELECT code, id FROM customers_membershiptier")
    tiers = dict(cursor.fetchall())
    cursor.execute("SELECT setseed(0.11)")
    cursor.execute(
        """
        INSERT INTO customers_customer (display_name, tier_id, phones, emails, tags, attributes, consents,
            created_at, updated_at)
        SELECT (%(surnames)s::text[])[1 + floor(random() * cardinality(%(surnames)s::text[]))::int]
               || (%(given)s::text[])[1 + floor(random() * cardinality(%(given)s::text[]))::int]
               || CASE WHEN random() < 0.7
                       THEN (%(given)s::text[])[1 + floor(random() * cardinality(%(given)s::text[]))::int]
                       ELSE '' END,
               CASE WHEN r < 0.70 THEN %(normal)s WHEN r < 0.88 THEN %(silver)s WHEN r < 0.97 THEN %(gold)s
                    ELSE %(vip)s END,
               -- 7919 is prime to 10^8: n -> the eight digits is one-to-one, every number differs
               ARRAY['+86' || (%(prefixes)s::text[])[1 + n %% cardinality(%(prefixes)s::text[])]
                     || lpad(((n * 7919) %% 100000000)::text, 8, '0')],
               CASE WHEN n %% 5 = 0 THEN ARRAY['u' || n || '@example.cn'] ELSE '{}' END,
               CASE WHEN n %% 11 = 0 THEN ARRAY['老客户'] WHEN n %% 17 = 0 THEN ARRAY['爱退货'] ELSE '{}' END,
               '{}', '{}', since, since
        FROM (SELECT n, random() AS r, now() - interval '1 day' - random() * interval '3 years' AS since
              FROM generate_series(1, %(count)s) n) s
        """,
        {
            "surnames": SURNAMES,
            "given": GIVEN,
            "prefixes": MOBILE_PREFIXES,
            "count": CUSTOMERS,
            **{code: tiers[code] for code in ("normal", "silver", "gold", "vip")},
        },
    )


def _plan(cursor: Any) -> None:
    """How much each customer has: channels, conversations (Pareto, α 1.5: 65 % one, a few
    hundred at the cap), orders, tickets, activity; 3 % are chatting right now."""
    cursor.execute("SELECT setseed(0.22)")
    cursor.execute(
        """
        CREATE TEMP TABLE bench_customer AS
        SELECT id, since, wechat, app, web OR NOT (wechat OR app) AS web, convs, chatting,
               CASE WHEN random() < 0.6
                    THEN least(60, floor(power(1 - random(), -1 / 1.3::float8))::int + convs / 4) ELSE 0 END AS orders,
               CASE WHEN random() < 0.2
                    THEN floor(power(1 - random(), -1 / 1.8::float8))::int + convs / 10 ELSE convs / 20 END AS tickets,
               CASE WHEN random() < 0.3 THEN 1 + floor(random() * 5)::int ELSE 0 END AS activities
        FROM (SELECT id, created_at AS since, random() < 0.75 AS wechat, random() < 0.5 AS app,
                     random() < 0.3 AS web, random() < 0.03 AS chatting,
                     least(%(max_convs)s, floor(power(1 - random(), -1 / 1.5::float8)))::int AS convs
              FROM customers_customer) s
        """,
        {"max_convs": MAX_CONVERSATIONS},
    )


def _identities(cursor: Any) -> None:
    cursor.execute(
        """
        INSERT INTO customers_channelidentity (customer_id, kind, namespace, external_id, verified, created_at)
        SELECT id, 'wechat_openid', %(app_id)s, 'o' || substr(md5('openid' || id), 1, 27), false, since
        FROM bench_customer WHERE wechat
        UNION ALL
        SELECT id, 'app_user', '', 'U' || (10000000 + id), true, since FROM bench_customer WHERE app
        UNION ALL
        SELECT id, 'web_visitor', '', 'v-' || md5('visitor' || id), false, since FROM bench_customer WHERE web
        """,
        {"app_id": WECHAT_APP_ID},
    )


def _orders(cursor: Any) -> None:
    cursor.execute("SELECT setseed(0.33)")
    cursor.execute(
        """
        INSERT INTO customers_order (customer_id, order_no, status, items, amount, currency, shipping_address,
            logistics_status, logistics_company, tracking_no, placed_at, source_updated_at, synced_at)
        SELECT customer_id,
               'E' || to_char(placed_at, 'YYYYMMDD') || lpad((row_number() OVER (ORDER BY placed_at))::text, 8, '0'),
               status,
               jsonb_build_array(jsonb_build_object('sku', 'SKU' || lpad(product::text, 5, '0'),
                   'name', (%(products)s::text[])[product], 'qty', 1, 'price', amount)),
               amount, 'CNY',
               jsonb_build_object('name', '收件人', 'region', (%(cities)s::text[])[city], 'detail', '幸福路 88 号'),
               CASE WHEN status IN ('paid', 'processing', 'cancelled') THEN ''
                    WHEN status = 'shipped' THEN '已揽收' WHEN status = 'in_transit' THEN '运输中'
                    WHEN status = 'returned' THEN '退货已签收' ELSE '已签收' END,
               CASE WHEN status IN ('paid', 'processing', 'cancelled') THEN ''
                    ELSE (%(carriers)s::text[])[carrier] END,
               CASE WHEN status IN ('paid', 'processing', 'cancelled') THEN ''
                    ELSE (%(carrier_prefixes)s::text[])[carrier] || lpad(floor(tracking * 1e12)::bigint::text, 12, '0')
                    END,
               placed_at, placed_at + interval '2 hours', now()
        FROM (SELECT b.id AS customer_id, placed_at, round((19 + random() * 980)::numeric, 2) AS amount,
                     1 + floor(random() * cardinality(%(products)s::text[]))::int AS product,
                     1 + floor(random() * cardinality(%(cities)s::text[]))::int AS city,
                     1 + floor(random() * cardinality(%(carriers)s::text[]))::int AS carrier,
                     random() AS tracking,
                     CASE WHEN age < 1 THEN (ARRAY['paid', 'processing'])[1 + floor(r * 2)::int]
                          WHEN age < 4 THEN (ARRAY['shipped', 'in_transit', 'in_transit'])[1 + floor(r * 3)::int]
                          WHEN age < 10 THEN (ARRAY['delivered', 'in_transit', 'refunding'])[1 + floor(r * 3)::int]
                          WHEN r < 0.86 THEN 'completed' WHEN r < 0.91 THEN 'refunded' WHEN r < 0.95 THEN 'returned'
                          ELSE 'cancelled' END AS status
              FROM (SELECT b.id, placed_at, extract(epoch FROM now() - placed_at) / 86400 AS age, random() AS r
                    FROM (SELECT b.id, b.since + ((k - 1 + random()) / b.orders) * (now() - b.since) AS placed_at
                          FROM bench_customer b, generate_series(1, b.orders) k) b) b) o
        """,
        {
            "products": PRODUCTS,
            "cities": CITIES,
            "carriers": CARRIERS,
            "carrier_prefixes": CARRIER_PREFIXES,
        },
    )


def _activities(cursor: Any) -> None:
    cursor.execute("SELECT setseed(0.44)")
    cursor.execute(
        """
        INSERT INTO customers_activityevent (customer_id, kind, occurred_at, data, external_id)
        SELECT b.id, (%(kinds)s::text[])[1 + floor(random() * cardinality(%(kinds)s::text[]))::int],
               now() - random() * interval '90 days', jsonb_build_object('source', 'app'),
               'act-' || b.id || '-' || k
        FROM bench_customer b, generate_series(1, b.activities) k
        """,
        {"kinds": ACTIVITIES},
    )


def _conversations(cursor: Any, channels: dict[str, int]) -> None:
    """The conversations' plan (bench_conv, ids in the order they were opened), its message counts
    scaled to MESSAGES exactly, then the conversations themselves."""
    from bench.env import progress

    cursor.execute("SELECT setseed(0.55)")
    cursor.execute("SELECT coalesce(max(id), 0) FROM conversations_conversation")
    first_id = cursor.fetchone()[0]
    cursor.execute(
        """
        CREATE TEMP TABLE bench_conv AS
        SELECT row_number() OVER (ORDER BY opened_at) + %(first_id)s AS id, *
        FROM (SELECT b.id AS customer_id, k = b.convs AND b.chatting AS is_open,
                     CASE WHEN k = b.convs AND b.chatting THEN now() - random() * interval '20 minutes'
                          ELSE b.since + ((k - 1 + random()) / b.convs) * (now() - interval '1 hour' - b.since)
                          END AS opened_at,
                     avail[1 + floor(random() * cardinality(avail))::int] AS first_ch,
                     -- 5 %% move on to another channel of theirs half-way (WeChat, then the APP)
                     CASE WHEN random() < 0.05 THEN avail[1 + floor(random() * cardinality(avail))::int] END
                         AS moved_ch,
                     -- Pareto, α 1.6: most chats a handful of lines, a few hundred long ones
                     least(%(max_msgs)s, 1 + floor(2.5 * power(1 - random(), -1 / 1.6::float8)))::int AS msgs,
                     15 + random() * 75 AS gap_s,
                     (%(topics)s::text[])[1 + floor(random() * cardinality(%(topics)s::text[]))::int] AS topic
              FROM (SELECT *, array_remove(ARRAY[CASE WHEN wechat THEN %(wechat)s::int END,
                                                 CASE WHEN app THEN %(app)s::int END,
                                                 CASE WHEN web THEN %(web)s::int END], NULL) AS avail
                    FROM bench_customer) b,
                   generate_series(1, b.convs) k) c
        """,
        {"first_id": first_id, "max_msgs": MAX_BASE_MESSAGES, "topics": TOPICS, **channels},
    )
    cursor.execute("SELECT sum(msgs), count(*) FROM bench_conv")
    planned, conversations = cursor.fetchone()
    if MESSAGES < conversations:
        raise RuntimeError(f"{MESSAGES} messages cannot fill {conversations} conversations.")
    cursor.execute("UPDATE bench_conv SET msgs = greatest(1, round(msgs * %s))::int", [MESSAGES / float(planned)])
    while True:  # the rounding's few thousand messages, one more or one less in random conversations
        cursor.execute("SELECT sum(msgs) FROM bench_conv")
        missing = MESSAGES - cursor.fetchone()[0]
        if missing == 0:
            break
        step, shrinkable = (1, "true") if missing > 0 else (-1, "msgs > 1")
        cursor.execute(
            f"UPDATE bench_conv SET msgs = msgs + %s WHERE id IN "  # one of two fixed conditions
            f"(SELECT id FROM bench_conv WHERE {shrinkable} ORDER BY random() LIMIT %s)",
            [step, abs(missing)],
        )
    # A long chat does not run past now: its lines come closer together.
    cursor.execute("UPDATE bench_conv SET gap_s = least(gap_s, extract(epoch FROM now() - opened_at) / (msgs + 1))")
    cursor.execute(
        """
        INSERT INTO conversations_conversation (id, customer_id, first_channel_id, last_channel_id, status, topic,
            last_seq, opened_at, last_message_at, resolved_at)
        SELECT id, customer_id, first_ch, coalesce(moved_ch, first_ch),
               CASE WHEN is_open THEN 'open' ELSE 'resolved' END, topic, msgs, opened_at,
               opened_at + (msgs - 1) * gap_s * interval '1 second',
               CASE WHEN NOT is_open THEN least(now(), opened_at + (msgs - 1 + 4) * gap_s * interval '1 second') END
        FROM bench_conv ORDER BY id
        """
    )
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence('conversations_conversation', 'id'), "
        "(SELECT max(id) FROM conversations_conversation))"
    )
    progress(f"{conversations:,} conversations planned ({planned:,} messages before scaling to {MESSAGES:,})")


def _messages(cursor: Any, agent_ids: list[int]) -> None:
    """Every conversation's lines 1…last_seq: the customer first, then agent and customer in turn
    (7 % of the customer's are pictures, 1 % of the lines system notices), in the order sent."""
    cursor.execute("SELECT setseed(0.66)")
    cursor.execute(
        """
        INSERT INTO conversations_message (conversation_id, seq, channel_id, direction, kind, sender_type,
            sender_user_id, body, attachments, client_msg_id, created_at, delivered_at, read_at)
        SELECT id, seq, channel,
               CASE WHEN who < 0.45 THEN 'in' ELSE 'out' END,
               CASE WHEN who < 0.45 AND what < 0.07 THEN 'image' WHEN who > 0.99 THEN 'event' ELSE 'text' END,
               CASE WHEN who < 0.45 THEN 'customer' WHEN who > 0.99 THEN 'system' ELSE 'agent' END,
               CASE WHEN who >= 0.45 AND who <= 0.99 THEN agent END,
               CASE WHEN who < 0.45 AND what < 0.07 THEN ''
                    WHEN who < 0.45
                    THEN (%(customer)s::text[])[1 + floor(pick * cardinality(%(customer)s::text[]))::int]
                    WHEN who > 0.99 THEN '会话已转接给其他客服'
                    ELSE (%(agent)s::text[])[1 + floor(pick * cardinality(%(agent)s::text[]))::int] END,
               CASE WHEN who < 0.45 AND what < 0.07
                    THEN jsonb_build_array(jsonb_build_object('url', 'https://cdn.example.cn/chat/' || id || '-' || seq
                         || '.jpg', 'content_type', 'image/jpeg', 'size', 200000 + floor(pick * 800000)::int))
                    ELSE '[]'::jsonb END,
               CASE WHEN who < 0.45 THEN 'm' || id || '-' || seq ELSE '' END,
               at, at, CASE WHEN who >= 0.45 THEN at + interval '4 seconds' END
        FROM (SELECT c.id, s AS seq,
                     CASE WHEN c.moved_ch IS NOT NULL AND s * 2 > c.msgs THEN c.moved_ch ELSE c.first_ch END AS channel,
                     c.opened_at + (s - 1) * c.gap_s * interval '1 second' AS at,
                     CASE WHEN s = 1 THEN 0.0 ELSE random() END AS who,
                     random() AS what, random() AS pick,
                     (%(agents)s::int[])[1 + c.id %% cardinality(%(agents)s::int[])] AS agent
              FROM bench_conv c, generate_series(1, c.msgs) s) m
        ORDER BY at
        """,
        {"customer": FROM_CUSTOMER, "agent": FROM_AGENT, "agents": agent_ids},
    )


def _tickets(cursor: Any, agent_ids: list[int], agent_teams: list[int]) -> None:
    """Tickets numbered in the order they were opened; the old ones resolved or closed, the last
    week's mostly still being worked on; the team is the assignee's."""
    cursor.execute("SELECT id FROM tickets_category ORDER BY id")
    categories = [row[0] for row in cursor.fetchall()]
    cursor.execute("SELECT coalesce(max(number), 0) FROM tickets_ticket")
    first_number = cursor.fetchone()[0]
    cursor.execute("SELECT setseed(0.77)")
    cursor.execute(
        """
        INSERT INTO tickets_ticket (number, subject, customer_id, category_id, priority, status, assignee_id,
            team_id, order_ref, created_at, updated_at, resolved_at, closed_at, sla_paused_seconds, sla_done,
            sla_breached)
        SELECT %(first)s + row_number() OVER (ORDER BY at), subject, customer_id, category, priority, status,
               (%(agents)s::int[])[1 + agent], (%(teams)s::int[])[1 + agent], '', at,
               least(now(), at + interval '2 days'),
               CASE WHEN status IN ('resolved', 'closed') THEN least(now(), at + interval '1 day') END,
               CASE WHEN status = 'closed' THEN least(now(), at + interval '2 days') END,
               0, '{}', r < 0.04
        FROM (SELECT customer_id, at, r, agent,
                     (%(subjects)s::text[])[1 + floor(pick * cardinality(%(subjects)s::text[]))::int] AS subject,
                     (%(categories)s::int[])[1 + floor(pick * cardinality(%(categories)s::int[]))::int] AS category,
                     (ARRAY['low', 'normal', 'normal', 'high', 'urgent'])[1 + floor(r * 5)::int] AS priority,
                     CASE WHEN at > now() - interval '7 days'
                          THEN (ARRAY['new', 'open', 'waiting_customer', 'waiting_third_party', 'resolved'])
                               [1 + floor(r * 5)::int]
                          WHEN r < 0.03 THEN 'open' WHEN r < 0.35 THEN 'resolved' ELSE 'closed' END AS status
              FROM (SELECT b.id AS customer_id, b.since + ((k - 1 + random()) / b.tickets) * (now() - b.since) AS at,
                           random() AS r, random() AS pick,
                           floor(random() * cardinality(%(agents)s::int[]))::int AS agent
                    FROM bench_customer b, generate_series(1, b.tickets) k) t) t
        """,
        {
            "first": first_number,
            "agents": agent_ids,
            "subjects": TICKET_SUBJECTS,
            "categories": categories,
            "teams": agent_teams,
        },
    )
    cursor.execute("SELECT coalesce(max(number), 0) FROM tickets_ticket")
    last = cursor.fetchone()[0]
    cursor.execute("UPDATE tickets_ticketcounter SET last_number = %s", [last])
    cursor.execute(
        "INSERT INTO tickets_ticketcounter (id, last_number) SELECT 1, %s "
        "WHERE NOT EXISTS (SELECT 1 FROM tickets_ticketcounter)",
        [last],
    )

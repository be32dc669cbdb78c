"""Writes of routing: contacts entering queues, rounds of offers, accepts and declines, transfers,
agent states. Every write takes the tenant's routing lock (``lock.routing_lock``), so rounds and
the decisions of agents never interleave: that, with the database's unique indexes, is what
makes two offers for one contact, or an agent above capacity, impossible with many workers."""

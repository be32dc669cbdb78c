"""The shop's APP: agents' messages reach it by a signed webhook (outbox) and by the /ws/app/ socket.

``webhooks`` signs and sends one outbox row; ``delivery`` turns domain events into outbox rows
and socket events; ``events`` names the per-APP-user group; ``selectors`` finds an APP user's
conversation. See docs/channels.md ("The shop's APP") and docs/realtime-events.md.
"""

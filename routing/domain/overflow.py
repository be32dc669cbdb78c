"""When a queue overflows to its backup agents, and when it comes back, without flapping.

A queue overflows when contacts wait and every agent of its own (primary) requirement is
busy, or when there are too many waiting contacts per ready primary agent. It comes back only
when a primary agent has room again and the ratio has fallen to a lower mark; and it never
changes state more often than ``min_hold_s``. The gap between the two marks plus the hold
time is the hysteresis: a queue near the threshold does not switch on every contact.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OverflowPolicy:
    on_ratio: float = 3.0  # waiting contacts per ready primary agent at which overflow starts
    off_ratio: float = 1.0  # ... and at or below which it may end
    min_hold_s: float = 60.0  # the least time between two changes

    def __post_init__(self) -> None:
        if self.off_ratio > self.on_ratio:
            raise ValueError("off_ratio must not exceed on_ratio, or the queue would flap")


@dataclass(frozen=True)
class QueueLoad:
    waiting: int  # contacts waiting in the queue, not counting those with a live offer
    primary_ready: int  # agents of the queue's own requirement who are signed in and ready
    primary_with_room: int  # ... of whom could take one more contact now

    @property
    def ratio(self) -> float:
        return self.waiting / max(self.primary_ready, 1)


def overflow_next(*, active: bool, changed_at: float, now: float, load: QueueLoad, policy: OverflowPolicy) -> bool:
    """Whether the queue overflows from ``now`` on."""
    if now - changed_at < policy.min_hold_s:
        return active
    if not active:
        return load.waiting > 0 and (load.primary_with_room == 0 or load.ratio >= policy.on_ratio)
    return not (load.primary_with_room > 0 and load.ratio <= policy.off_ratio)

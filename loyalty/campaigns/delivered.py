"""How many decisions of each status a delivery batch (or a job run) made."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from domain.campaign_delivery import DeliveryStatus


@dataclass
class Delivered:
    counts: Counter[DeliveryStatus] = field(default_factory=Counter)

    def add(self, other: Delivered) -> None:
        self.counts.update(other.counts)

    def total(self) -> int:
        return sum(self.counts.values())

    def __str__(self) -> str:
        return ", ".join(f"{status.value}={n}" for status, n in sorted(self.counts.items()))

"""A campaign's delivery to one member, pure: the decision from the arm and the message check.

One decision per campaign, member and occasion. The occasion names why the member is reached:
'' for a SCHEDULED campaign (once per member), `reorder:<sku>@<epoch of the cycle's last order>`
for a reorder (once per purchase cycle: a new order starts a new cycle and a new occasion), and
`at_risk:<model version>` for an at-risk campaign (once per model version: a retrained model
may reach the member again, the same model's daily re-scoring does not).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.experiments import HOLDOUT
from domain.preferences import MessageVerdict, Preferences, quiet_hours_end

SCHEDULED_OCCASION = ""
REORDER_PREFIX = "reorder:"
AT_RISK_PREFIX = "at_risk:"


class DeliveryStatus(StrEnum):
    SENT = "SENT"  # the message is due: `campaign.message_due` went to the event log
    OFFERED = "OFFERED"  # an offer-only campaign reached the member
    HELD_OUT = "HELD_OUT"  # in the holdout: nothing sent, no offer (the exposure record)
    SKIPPED = "SKIPPED"  # not sent, for `reason`; never tried again for this occasion
    DEFERRED = "DEFERRED"  # quiet hours: decided again at `due_at`


class SkipReason(StrEnum):
    NO_CONSENT = "NO_CONSENT"  # no consent to the channel's marketing purpose
    CHANNEL_OFF = "CHANNEL_OFF"  # the member switched the channel off
    CAP_REACHED = "CAP_REACHED"  # the member's weekly cap on the channel is reached
    # A DEFERRED delivery's member, when it came due again:
    NO_PROFILING = "NO_PROFILING"  # withdrew profiling consent (a behavioural campaign)
    NOT_ACTIVE = "NOT_ACTIVE"  # was suspended


@dataclass(frozen=True, slots=True)
class Decision:
    status: DeliveryStatus
    reason: SkipReason | None
    due_at: datetime  # when it was decided, or for DEFERRED when it is decided again

    @property
    def reaches(self) -> bool:
        """Whether the member gets the campaign's offer now (SENT or OFFERED)."""
        return self.status in (DeliveryStatus.SENT, DeliveryStatus.OFFERED)


_SKIPPED = {
    MessageVerdict.NO_CONSENT: SkipReason.NO_CONSENT,
    MessageVerdict.CHANNEL_OFF: SkipReason.CHANNEL_OFF,
    MessageVerdict.CAP_REACHED: SkipReason.CAP_REACHED,
}


def decide(
    *, arm: str, verdict: MessageVerdict | None, preferences: Preferences | None, now: datetime
) -> Decision:
    """HOLDOUT: HELD_OUT. No message (`verdict` None): OFFERED. Otherwise by the verdict of
    consent's one message check: SENT, DEFERRED to the end of the quiet hours on the member's
    clock, or SKIPPED with the reason."""
    if arm == HOLDOUT:
        return Decision(DeliveryStatus.HELD_OUT, None, now)
    if verdict is None:
        return Decision(DeliveryStatus.OFFERED, None, now)
    if verdict is MessageVerdict.ALLOWED:
        return Decision(DeliveryStatus.SENT, None, now)
    if verdict is MessageVerdict.QUIET_HOURS:
        assert preferences is not None
        return Decision(DeliveryStatus.DEFERRED, None, quiet_hours_end(preferences, now))
    return Decision(DeliveryStatus.SKIPPED, _SKIPPED[verdict], now)


def reorder_sku(occasion: str) -> str | None:
    """The SKU a reorder occasion names; None for other occasions."""
    if not occasion.startswith(REORDER_PREFIX) or "@" not in occasion:
        return None
    return occasion[len(REORDER_PREFIX) : occasion.rindex("@")]

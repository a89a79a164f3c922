"""What clients and the delivery job ask of the campaigns area, one command each."""

from __future__ import annotations

from dataclasses import dataclass

from backbone.bus import Command
from domain.campaigns import CampaignSpec
from loyalty.campaigns.delivered import Delivered


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateCampaign(Command[int]):
    """A DRAFT campaign; its key. Retried with the same idempotency key: created once."""

    program_id: int
    actor: str
    spec: CampaignSpec
    idempotency_key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateCampaign(Command[int]):
    """Replace a DRAFT campaign's settings whole."""

    program_id: int
    campaign_id: int
    spec: CampaignSpec


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleCampaign(Command[int]):
    """DRAFT to SCHEDULED (RUNNING at once when its start has come)."""

    program_id: int
    campaign_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelCampaign(Command[int]):
    """Stop a campaign that has not ended: no member is reached any more."""

    program_id: int
    campaign_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AdvanceCampaigns(Command[None]):
    """SCHEDULED campaigns whose start has come begin RUNNING; those past endsAt are ENDED."""


@dataclass(frozen=True, slots=True)
class Target:
    """A member to decide for, on an occasion; `deferred_id` and `arm`: the DEFERRED delivery
    to decide again and the arm it was assigned (None: a first decision)."""

    member_id: int
    occasion: str
    deferred_id: int | None = None
    arm: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliverCampaign(Command[Delivered]):
    """Decide a bounded batch of targets of one RUNNING campaign in one transaction."""

    program_id: int
    campaign_id: int
    targets: tuple[Target, ...]

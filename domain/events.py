"""Domain events: what happened, in the past tense, as facts other areas and partners react to.

An event names ids and amounts, never personal data (no email, name or birthday): it is kept in
the event log for weeks, delivered to partners, and must stay harmless when it is. Its `type` is
the dotted, stable name clients filter and subscribe by; the README lists every one with its
payload. Events are recorded inside a unit of work and exist only if that write commits.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from domain.ledger import EntryKind


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainEvent:
    """Something that happened to a program or to one of its members."""

    type: ClassVar[str]
    program_id: int
    member_id: int | None = None

    def payload(self) -> dict[str, Any]:
        """What the event says beyond whom it concerns, with camelCase keys as in the API."""
        return {
            _camel(item.name): getattr(self, item.name)
            for item in dataclasses.fields(self)
            if item.name not in ("program_id", "member_id")
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ProgramCreated(DomainEvent):
    type: ClassVar[str] = "program.created"
    currency: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ProgramUpdated(DomainEvent):
    type: ClassVar[str] = "program.updated"
    changed: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PointsConfigured(DomainEvent):
    type: ClassVar[str] = "program.points_configured"
    config_version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberEnrolled(DomainEvent):
    type: ClassVar[str] = "member.enrolled"
    member_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberUpdated(DomainEvent):
    """The names of the profile fields that changed, never their values."""

    type: ClassVar[str] = "member.updated"
    member_id: int
    changed: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberSuspended(DomainEvent):
    type: ClassVar[str] = "member.suspended"
    member_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberReactivated(DomainEvent):
    type: ClassVar[str] = "member.reactivated"
    member_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberErased(DomainEvent):
    """A member's personal data was erased on request: every area and partner forgets it. The
    ids only; `requestedBy` is the requesting role (member or admin)."""

    type: ClassVar[str] = "member.erased"
    member_id: int
    requested_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PointsPosted(DomainEvent):
    """A ledger entry: its id, the points it moved, why, and the member's spendable points after."""

    member_id: int
    entry_id: int
    points: int
    reason_code: str
    source_ref: str | None
    available_after: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PointsEarned(PointsPosted):
    type: ClassVar[str] = "points.earned"
    # When earned points wait out a return window: they count as pending until then.
    pending: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PointsRedeemed(PointsPosted):
    type: ClassVar[str] = "points.redeemed"


@dataclass(frozen=True, slots=True, kw_only=True)
class PointsReversed(PointsPosted):
    type: ClassVar[str] = "points.reversed"


@dataclass(frozen=True, slots=True, kw_only=True)
class PointsAdjusted(PointsPosted):
    type: ClassVar[str] = "points.adjusted"


@dataclass(frozen=True, slots=True, kw_only=True)
class PointsActivated(PointsPosted):
    type: ClassVar[str] = "points.activated"


@dataclass(frozen=True, slots=True, kw_only=True)
class PointsExpired(PointsPosted):
    type: ClassVar[str] = "points.expired"


@dataclass(frozen=True, slots=True, kw_only=True)
class PointsHeld(PointsPosted):
    type: ClassVar[str] = "points.held"


@dataclass(frozen=True, slots=True, kw_only=True)
class PointsReleased(PointsPosted):
    type: ClassVar[str] = "points.released"


@dataclass(frozen=True, slots=True, kw_only=True)
class PointsRefunded(PointsPosted):
    type: ClassVar[str] = "points.refunded"


@dataclass(frozen=True, slots=True, kw_only=True)
class PointsTransferredOut(PointsPosted):
    """A TRANSFER_OUT entry: points sent, or a received transfer taken back by its reversal."""

    type: ClassVar[str] = "points.transferred_out"


@dataclass(frozen=True, slots=True, kw_only=True)
class PointsTransferredIn(PointsPosted):
    """A TRANSFER_IN entry: points received, or a sent transfer given back by its reversal."""

    type: ClassVar[str] = "points.transferred_in"


@dataclass(frozen=True, slots=True, kw_only=True)
class PointsTransferred(DomainEvent):
    """A member sent points to another member of the program (`memberId` is the sender): the
    ids, the points and the two ledger entries; never the message."""

    type: ClassVar[str] = "points.transferred"
    member_id: int
    transfer_id: int
    recipient_id: int
    points: int
    sent_entry_id: int
    received_entry_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PointsTransferReversed(DomainEvent):
    """An admin reversed a transfer (`memberId` is the sender): the points taken back from the
    recipient (`debtRecorded` of them owed, as it had spent them) and given back to the sender."""

    type: ClassVar[str] = "points.transfer_reversed"
    member_id: int
    transfer_id: int
    recipient_id: int
    points: int
    debt_recorded: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RewardCreated(DomainEvent):
    type: ClassVar[str] = "reward.created"
    reward_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RewardUpdated(DomainEvent):
    """The names of the catalog fields that changed, never their values."""

    type: ClassVar[str] = "reward.updated"
    reward_id: int
    changed: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RewardCodesImported(DomainEvent):
    type: ClassVar[str] = "reward.codes_imported"
    reward_id: int
    imported: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RewardsConfigured(DomainEvent):
    type: ClassVar[str] = "program.rewards_configured"
    hold_minutes: int
    within_reach_percent: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RedemptionEvent(DomainEvent):
    """A member's redemption of a reward and the points it concerns."""

    member_id: int
    redemption_id: int
    reward_id: int
    points: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RewardRedeemed(RedemptionEvent):
    type: ClassVar[str] = "reward.redeemed"
    # Points and stock only reserved, until confirmed, cancelled or the hold expires.
    held: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class RedemptionConfirmed(RedemptionEvent):
    type: ClassVar[str] = "reward.redemption_confirmed"


@dataclass(frozen=True, slots=True, kw_only=True)
class RedemptionCancelled(RedemptionEvent):
    type: ClassVar[str] = "reward.redemption_cancelled"


@dataclass(frozen=True, slots=True, kw_only=True)
class HoldExpired(RedemptionEvent):
    type: ClassVar[str] = "reward.hold_expired"


@dataclass(frozen=True, slots=True, kw_only=True)
class RewardGranted(DomainEvent):
    """A reward given at no points cost (a gift redemption), and why (e.g. `referral:12`)."""

    type: ClassVar[str] = "reward.granted"
    member_id: int
    redemption_id: int
    reward_id: int
    source_ref: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookSubscriptionCreated(DomainEvent):
    """A partner endpoint subscribed to some of the program's events (its key only)."""

    type: ClassVar[str] = "webhook.subscription_created"
    subscription_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookSecretRotated(DomainEvent):
    """A subscription's signing secret was replaced; the previous one signs for a day more."""

    type: ClassVar[str] = "webhook.secret_rotated"
    subscription_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookEndpointDisabled(DomainEvent):
    """An endpoint kept failing and is no longer sent to (its reason is on the subscription)."""

    type: ClassVar[str] = "webhook.endpoint_disabled"
    subscription_id: int
    failures: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnerClientRegistered(DomainEvent):
    """An admin registered a partner's OAuth client (its key only; never a secret)."""

    type: ClassVar[str] = "partner.client_registered"
    client_key: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnerSecretRotated(DomainEvent):
    """A partner client got a new secret; the previous ones work until `overlapHours` pass."""

    type: ClassVar[str] = "partner.secret_rotated"
    client_key: int
    overlap_hours: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnerClientRevoked(DomainEvent):
    """A partner client was revoked: its secrets and tokens stopped working."""

    type: ClassVar[str] = "partner.client_revoked"
    client_key: int
    client_id: str  # the public id its tokens and webhook subscriptions are owned under


@dataclass(frozen=True, slots=True, kw_only=True)
class TierChanged(DomainEvent):
    """A member's tier moved (keys only): an upgrade, a downgrade, an assignment or its end."""

    type: ClassVar[str] = "tier.changed"
    member_id: int
    from_tier: str
    to_tier: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentChanged(DomainEvent):
    """A member's say on a purpose (its key) under the purpose's policy version."""

    member_id: int
    purpose: str
    policy_version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentGranted(ConsentChanged):
    type: ClassVar[str] = "consent.granted"


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentWithdrawn(ConsentChanged):
    type: ClassVar[str] = "consent.withdrawn"


@dataclass(frozen=True, slots=True, kw_only=True)
class PurposeCreated(DomainEvent):
    type: ClassVar[str] = "consent.purpose_created"
    purpose: str
    policy_version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyPublished(DomainEvent):
    """A new policy version for a purpose: earlier consents to it need re-consent."""

    type: ClassVar[str] = "consent.policy_published"
    purpose: str
    policy_version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralEvent(DomainEvent):
    """A referral's step; `member_id` is the referee, `referrer_id` the referrer's member key."""

    member_id: int
    referral_id: int
    referrer_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralAttributed(ReferralEvent):
    type: ClassVar[str] = "referral.attributed"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralConverted(ReferralEvent):
    type: ClassVar[str] = "referral.converted"
    referrer_points: int
    referee_points: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralHeld(ReferralEvent):
    type: ClassVar[str] = "referral.held"
    rule: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralRejected(ReferralEvent):
    type: ClassVar[str] = "referral.rejected"
    rule: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralReversed(ReferralEvent):
    type: ClassVar[str] = "referral.reversed"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralExpired(ReferralEvent):
    """No qualifying order within the attribution window."""

    type: ClassVar[str] = "referral.expired"


@dataclass(frozen=True, slots=True, kw_only=True)
class CommunityConfigured(DomainEvent):
    """configureCommunity replaced the program's community settings."""

    type: ClassVar[str] = "program.community_configured"
    requires_approval: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class CommunityPostEvent(DomainEvent):
    """A community post's step; `member_id` is its author. Ids and figures only, never its text:
    `kind` (REVIEW, TIP, QUESTION, ANSWER), a review's `rating` (1-5) and what it reviews (`sku`
    or `reward_id`), an answer's `question_id` (the question's post key); None where not."""

    member_id: int
    post_id: int
    kind: str
    rating: int | None
    sku: str | None
    reward_id: int | None
    question_id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CommunityPostCreated(CommunityPostEvent):
    """A member posted; `status` PENDING (awaiting moderation) or APPROVED (the program needs no
    approval: community.post_approved follows in the same write)."""

    type: ClassVar[str] = "community.post_created"
    status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CommunityPostApproved(CommunityPostEvent):
    """The post became visible to other members (at once, or by moderatePost)."""

    type: ClassVar[str] = "community.post_approved"


@dataclass(frozen=True, slots=True, kw_only=True)
class CommunityPostRejected(CommunityPostEvent):
    type: ClassVar[str] = "community.post_rejected"


@dataclass(frozen=True, slots=True, kw_only=True)
class CommunityPostRemoved(CommunityPostEvent):
    """An admin removed the post; `previous_status` says whether it had been APPROVED (its
    points are reversed, its review no longer counts) or was PENDING or REJECTED."""

    type: ClassVar[str] = "community.post_removed"
    previous_status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CommunityPostHelpful(CommunityPostEvent):
    """The post reached the program's helpfulness threshold (once per post)."""

    type: ClassVar[str] = "community.post_helpful"
    helpful_count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CommunityReactionAdded(DomainEvent):
    """`member_id` reacted (`reaction` HELPFUL or LIKE) to a post of `author_id`; a repeated
    reaction records nothing."""

    type: ClassVar[str] = "community.reaction_added"
    member_id: int
    post_id: int
    reaction: str
    author_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CommunityPostReported(DomainEvent):
    """`member_id` reported a post of `author_id` as abusive: it joins the moderation queue."""

    type: ClassVar[str] = "community.post_reported"
    member_id: int
    post_id: int
    report_id: int
    author_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ChallengeCreated(DomainEvent):
    type: ClassVar[str] = "challenge.created"
    challenge_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ChallengeUpdated(DomainEvent):
    """The names of the challenge's fields that changed (`active` for a deactivation)."""

    type: ClassVar[str] = "challenge.updated"
    challenge_id: int
    changed: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChallengeJoined(DomainEvent):
    """A member opted in to an OPT_IN challenge: its events count from now on."""

    type: ClassVar[str] = "challenge.joined"
    member_id: int
    challenge_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ChallengeCompleted(DomainEvent):
    """A member reached a challenge's goal (once): `reward_points` granted, `badge_id` if any."""

    type: ClassVar[str] = "challenge.completed"
    member_id: int
    challenge_id: int
    reward_points: int
    badge_id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class BadgeCreated(DomainEvent):
    type: ClassVar[str] = "badge.created"
    badge_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BadgeAwarded(DomainEvent):
    """A member was given a badge (once per badge), for completing `challenge_id`."""

    type: ClassVar[str] = "badge.awarded"
    member_id: int
    badge_id: int
    challenge_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class GiftGiven(DomainEvent):
    """A give-first gift: its key, kind and the points moved from its budget to the member."""

    type: ClassVar[str] = "gift.given"
    member_id: int
    gift_id: int
    kind: str
    points: int
    entry_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class GiftSkipped(DomainEvent):
    """A gift that came due and was not given, and why (BUDGET_SPENT, MEMBER_CAP, NO_CONSENT,
    NOT_ACTIVE, SWITCHED_OFF, ORDER_RETURNED, POST_REMOVED)."""

    type: ClassVar[str] = "gift.skipped"
    member_id: int
    gift_id: int
    kind: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GiftRevoked(DomainEvent):
    """A given gift undone because what it was given for no longer stands (ORDER_RETURNED,
    POST_REMOVED): its points taken back from the member and credited back to its budget."""

    type: ClassVar[str] = "gift.revoked"
    member_id: int
    gift_id: int
    kind: str
    points: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderReturned(DomainEvent):
    """A return of (part of) an order that earned points, recorded once per `return_id` whatever
    points it took back (a small partial return can take back none): what other areas that
    counted the order (challenges, surprises) undo. Amounts are decimal strings in `currency`."""

    type: ClassVar[str] = "order.returned"
    member_id: int
    order_id: str
    return_id: str
    amount: str
    currency: str
    fully_returned: bool
    points_reversed: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ChallengeReverted(DomainEvent):
    """A completion a return or a removal undid: the member fell below the goal again, the
    reward points were taken back and the badge this challenge gave removed."""

    type: ClassVar[str] = "challenge.reverted"
    member_id: int
    challenge_id: int
    points_taken_back: int
    badge_id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignMessageDue(DomainEvent):
    """A campaign's message is due to the member: the program's messaging provider renders
    `templateKey` and sends it on `channel` (consent, channel, cap and quiet hours already
    checked). Ids only: `occasion` says why ('' scheduled, reorder:<sku>@..., at_risk:...)."""

    type: ClassVar[str] = "campaign.message_due"
    member_id: int
    campaign_id: int
    delivery_id: int
    channel: str
    template_key: str
    arm: str
    occasion: str
    survey_id: int | None
    sku: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedbackSubmitted(DomainEvent):
    """A member answered a survey, once: the ids, how many questions were answered and the
    bucket of its NPS answer (PROMOTER, PASSIVE, DETRACTOR; null without one). Never a score
    of another kind, a choice or a text: what the member said stays in the survey's tables."""

    type: ClassVar[str] = "feedback.submitted"
    member_id: int
    survey_id: int
    response_id: int
    answered: int
    nps_bucket: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SegmentChanged(DomainEvent):
    """An admin created, updated or archived a segment (`change`: CREATED, UPDATED, ARCHIVED);
    `behavioural` as its rules now derive it. Never its members: they are computed on read."""

    type: ClassVar[str] = "segment.changed"
    segment_id: int
    change: str
    behavioural: bool


# One event per kind of ledger entry: the ledger's single writer records it (Account.post).
POSTED_BY_KIND: dict[EntryKind, type[PointsPosted]] = {
    EntryKind.EARN: PointsEarned,
    EntryKind.REDEEM: PointsRedeemed,
    EntryKind.REVERSE: PointsReversed,
    EntryKind.ADJUST: PointsAdjusted,
    EntryKind.ACTIVATE: PointsActivated,
    EntryKind.EXPIRE: PointsExpired,
    EntryKind.HOLD: PointsHeld,
    EntryKind.RELEASE: PointsReleased,
    EntryKind.REFUND: PointsRefunded,
    EntryKind.TRANSFER_OUT: PointsTransferredOut,
    EntryKind.TRANSFER_IN: PointsTransferredIn,
}

_ALL: tuple[type[DomainEvent], ...] = (
    ProgramCreated,
    ProgramUpdated,
    PointsConfigured,
    MemberEnrolled,
    MemberUpdated,
    MemberSuspended,
    MemberReactivated,
    MemberErased,
    *POSTED_BY_KIND.values(),
    OrderReturned,
    PointsTransferred,
    PointsTransferReversed,
    TierChanged,
    RewardCreated,
    RewardUpdated,
    RewardCodesImported,
    RewardsConfigured,
    RewardRedeemed,
    RedemptionConfirmed,
    RedemptionCancelled,
    HoldExpired,
    RewardGranted,
    WebhookSubscriptionCreated,
    WebhookSecretRotated,
    WebhookEndpointDisabled,
    ConsentGranted,
    ConsentWithdrawn,
    PurposeCreated,
    PolicyPublished,
    ReferralAttributed,
    ReferralConverted,
    ReferralExpired,
    ReferralHeld,
    ReferralRejected,
    ReferralReversed,
    PartnerClientRegistered,
    PartnerSecretRotated,
    PartnerClientRevoked,
    CommunityConfigured,
    CommunityPostCreated,
    CommunityPostApproved,
    CommunityPostRejected,
    CommunityPostRemoved,
    CommunityPostHelpful,
    CommunityReactionAdded,
    CommunityPostReported,
    ChallengeCreated,
    ChallengeUpdated,
    ChallengeJoined,
    ChallengeCompleted,
    ChallengeReverted,
    BadgeCreated,
    BadgeAwarded,
    GiftGiven,
    GiftSkipped,
    GiftRevoked,
    CampaignMessageDue,
    FeedbackSubmitted,
    SegmentChanged,
)
EVENT_TYPES: dict[str, type[DomainEvent]] = {event.type: event for event in _ALL}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)

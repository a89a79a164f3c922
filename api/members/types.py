"""GraphQL types of the members area."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from strawberry import relay

from api.auth import Role
from api.challenges import types as challenge_fields
from api.community import types as community_fields
from api.consent import fields as consent_fields
from api.consent.types import (
    Consent,
    ConsentHistoryConnection,
    DataUseConnection,
    MemberPreferences,
)
from api.context import Context
from api.enums import described_enum
from api.errors import UserError
from api.feedback import types as survey_fields
from api.insights import member_fields as insight_fields
from api.insights import predictions as prediction_fields
from api.insights.types import RfmScore, Segment
from api.points.types import LedgerEntry, LedgerEntryConnection, PointsSummary
from api.referrals import types as referral_fields
from api.referrals.types import ReferralConnection
from api.relay import AFTER, FIRST, decode_cursor, keyset_connection, page_size
from api.rewards import reach
from api.tiers.types import MemberTier, member_tier
from api.transfers import types as transfer_fields
from domain.members import MemberStatus
from loyalty.models import Member as MemberModel
from loyalty.points import reads

LEDGER_CURSOR = "entry"

described_enum(
    MemberStatus,
    name="MemberStatus",
    description="Whether a member can take part in the program.",
    values={
        "ACTIVE": "Earns, spends and appears in the program.",
        "SUSPENDED": "Frozen by the program: keeps its data but cannot earn or spend.",
        "ERASED": "Personal data erased on request; only anonymous records remain.",
    },
)


@strawberry.type(description="A person enrolled in the program.")
class Member(relay.Node):
    member_id: relay.NodeID[int]
    external_id: str = strawberry.field(description="The storefront's own id for this customer.")
    email: str = strawberry.field(description="Contact email address.")
    display_name: str = strawberry.field(description="Name shown to the member and to others.")
    birthday: date | None = strawberry.field(description="Birthday, if the member shared it.")
    locale: str = strawberry.field(description="Preferred language, BCP 47 (e.g. pt-BR).")
    status: MemberStatus = strawberry.field(description="Whether the member is active.")
    enrolled_at: datetime = strawberry.field(description="When the member was enrolled.")
    updated_at: datetime = strawberry.field(description="When the profile last changed.")

    @strawberry.field(
        description="The member's points: spendable, pending, owed, and what expires soon."
    )
    async def points(self, info: strawberry.Info[Context, Any]) -> PointsSummary:
        balance = await info.context.balance_loader.load(self.member_id)
        program = await info.context.program()
        assert balance is not None  # every member has a balance row from enrollment
        assert program is not None
        return PointsSummary(
            available=balance.available,
            pending=balance.pending,
            debt=balance.debt,
            lifetime_earned=balance.lifetime,
            held=balance.held,
            member_key=self.member_id,
            timezone=program.timezone,
        )

    @strawberry.field(
        description="The member's tier, progress toward the next, any pending downgrade and the history; null when the program has no tiers."
    )
    async def tier(self, info: strawberry.Info[Context, Any]) -> MemberTier | None:
        return await member_tier(info, self.member_id)

    @strawberry.field(description=reach.DESCRIPTION)
    async def rewards_within_reach(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[
            int, strawberry.argument(description=reach.FIRST)
        ] = reach.DEFAULT_SUGGESTIONS,
    ) -> list[reach.RewardSuggestion]:
        return await reach.within_reach(info, self.member_id, first)

    @strawberry.field(
        description="The member's ledger, newest first, each entry with its explanation."
    )
    async def ledger(
        self,
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> LedgerEntryConnection:
        limit = page_size(first, "ledger")
        before_id = decode_cursor(after, LEDGER_CURSOR)
        rows = await reads.ledger_page(self.member_id, before_id=before_id, limit=limit + 1)
        return keyset_connection(
            LedgerEntryConnection, rows, limit, LEDGER_CURSOR, LedgerEntry.from_model, after=after
        )

    @strawberry.field(
        description="The member's consent to each of the program's purposes as it stands now. "
        "The member itself and the program's staff only."
    )
    async def consents(self, info: strawberry.Info[Context, Any]) -> list[Consent]:
        return await consent_fields.consents(info, self.member_id)

    @strawberry.field(
        description="Every grant and withdrawal the member made, newest first. The member "
        "itself and the program's staff only."
    )
    async def consent_history(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> ConsentHistoryConnection:
        return await consent_fields.consent_history(info, self.member_id, first, after)

    @strawberry.field(
        description="The member's preference center. The member itself and the program's staff only."
    )
    async def preferences(self, info: strawberry.Info[Context, Any]) -> MemberPreferences:
        return await consent_fields.preferences(info, self.member_id)

    @strawberry.field(
        description="Every use of the member's personal data, newest first, in plain words: "
        "purpose, kinds of data, by whom, why, when. The member itself and the program's "
        "staff only."
    )
    async def data_usage(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
        purpose: Annotated[
            str | None, strawberry.argument(description="Only uses for this purpose (its key).")
        ] = None,
    ) -> DataUseConnection:
        return await consent_fields.data_usage(info, self.member_id, first, after, purpose)

    @strawberry.field(
        description="The member's referral code (8 characters, case-insensitive), made at "
        "enrolment. The member itself and the program's staff only."
    )
    async def referral_code(self, info: strawberry.Info[Context, Any]) -> str:
        return await referral_fields.member_code(info, self.member_id)

    @strawberry.field(
        description="The member's referral link (the program's template with its code); null "
        "until the program configures referrals. The member itself and the program's staff only."
    )
    async def referral_link(self, info: strawberry.Info[Context, Any]) -> str | None:
        return await referral_fields.member_link(info, self.member_id)

    @strawberry.field(
        description="The members this member referred, in attribution order. The member itself "
        "and the program's staff only."
    )
    async def referrals(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> ReferralConnection:
        return await referral_fields.member_referrals(info, self.member_id, first, after)

    @strawberry.field(
        description="The points transfers the member sent and received, newest first, each with "
        "its direction. The member itself and the program's staff only."
    )
    async def transfers(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> transfer_fields.PointsTransferConnection:
        return await transfer_fields.member_transfers(info, self.member_id, first, after)

    @strawberry.field(
        description="The member's own community posts in every state, newest first. The member "
        "itself and the program's staff only."
    )
    async def community_posts(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> community_fields.CommunityPostConnection:
        return await community_fields.member_posts(info, self.member_id, first, after)

    @strawberry.field(
        description="The challenges the member takes part in (joined, or AUTO and running), "
        "newest first, at most 100, with its progress and when it completed."
    )
    async def challenges(
        self, info: strawberry.Info[Context, Any]
    ) -> list[challenge_fields.ChallengeProgress]:
        return await challenge_fields.member_challenges(info, self.member_id)

    @strawberry.field(description="The badges the member holds, newest first, at most 100.")
    async def badges(
        self, info: strawberry.Info[Context, Any]
    ) -> list[challenge_fields.MemberBadge]:
        return await challenge_fields.member_badges(info, self.member_id)

    @strawberry.field(
        description="The member's RFM scores; null without its `profiling` consent or before "
        "the daily job scored it. The member itself and the program's staff only."
    )
    async def rfm(self, info: strawberry.Info[Context, Any]) -> RfmScore | None:
        return await insight_fields.member_rfm(info, self.member_id)

    @strawberry.field(
        description="The live segments the member is in now. The member itself and the "
        "storefront: the member-visible ones, only with its `profiling` consent; admins: all."
    )
    async def segments(self, info: strawberry.Info[Context, Any]) -> list[Segment]:
        return await insight_fields.member_segments(info, self.member_id)

    @strawberry.field(
        description="The member's churn probability and next order, with why and the model "
        "version; null without its `profiling` consent or before the predictions job ran. The "
        "member itself and the program's staff only."
    )
    async def prediction(
        self, info: strawberry.Info[Context, Any]
    ) -> prediction_fields.MemberPrediction | None:
        return await prediction_fields.member_prediction(info, self.member_id)

    @strawberry.field(
        description="When the member will likely reorder each product it bought at least twice "
        "(its own median gap), soonest first; empty without its `profiling` consent. The member "
        "itself and the program's staff only."
    )
    async def reorders(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[
            int, strawberry.argument(description="How many, 1 to 50 (default 10).")
        ] = prediction_fields.DEFAULT_REORDERS,
    ) -> list[prediction_fields.ReorderPrediction]:
        return await prediction_fields.member_reorders(info, self.member_id, first)

    @strawberry.field(
        description="Products that go with what the member bought and it has not bought yet; "
        "empty without its `profiling` consent or once it objected to `personalization`. The "
        "member itself and the program's staff only."
    )
    async def recommended_products(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[
            int, strawberry.argument(description="How many, 1 to 20 (default 5).")
        ] = prediction_fields.DEFAULT_PRODUCTS,
    ) -> list[prediction_fields.RecommendedProduct]:
        return await prediction_fields.member_recommended(info, self.member_id, first)

    @strawberry.field(
        description="The open surveys a campaign sent the member, and every survey it "
        "answered, newest first, at most 100, each with whether it answered. The member itself "
        "and admins only (empty for other callers)."
    )
    async def surveys(
        self, info: strawberry.Info[Context, Any]
    ) -> list[survey_fields.MemberSurvey]:
        return await survey_fields.member_surveys(info, self.member_id)

    @classmethod
    def from_model(cls, member: MemberModel) -> Member:
        return cls(
            member_id=member.id,
            external_id=member.external_id,
            email=member.email,
            display_name=member.display_name,
            birthday=member.birthday,
            locale=member.locale,
            status=member.status,
            enrolled_at=member.created_at,
            updated_at=member.updated_at,
        )


async def visible_member(info: strawberry.Info[Context, Any], key: int) -> Member | None:
    """A member by key if the caller may see it: only inside the caller's program; a member token
    sees only its own member; partners see no members."""
    context = info.context
    principal = context.require_principal()
    if principal.role is Role.PARTNER:
        return None
    if principal.role is Role.MEMBER:
        me = await context.me()
        return Member.from_model(me) if me is not None and me.id == key else None
    found = await context.member_loader.load(key)
    if found is None:
        return None
    await consent_fields.log_profile_reads(info, [found.id])
    return Member.from_model(found)


@strawberry.type(description="A page of members.")
class MemberConnection(relay.Connection[Member]):
    """Keyset-paginated: cursors stay valid while members are enrolled."""


@strawberry.input(description="A customer to enroll. Idempotent on externalId.")
class EnrollMemberInput:
    external_id: str = strawberry.field(description="The storefront's id for the customer.")
    email: str = strawberry.field(description="Contact email address.")
    display_name: str = strawberry.field(description="Name to show, 1-100 characters.")
    birthday: date | None = strawberry.field(default=None, description="Optional birthday.")
    locale: str | None = strawberry.field(
        default=None, description="BCP 47 locale; the program's default when omitted."
    )
    referral_code: str | None = strawberry.field(
        default=None,
        description="A referrer's code the customer joined with; a code that does not attribute "
        "never blocks enrolment (see the payload's referralErrors).",
    )


@strawberry.input(description="Profile changes; omitted fields keep their value.")
class UpdateMemberInput:
    id: strawberry.ID = strawberry.field(description="The member to change (its global id).")
    email: str | None = strawberry.field(default=None, description="New email address.")
    display_name: str | None = strawberry.field(default=None, description="New display name.")
    birthday: date | None = strawberry.field(default=None, description="New birthday.")
    locale: str | None = strawberry.field(default=None, description="New locale.")
    status: MemberStatus | None = strawberry.field(
        default=None, description="ACTIVE or SUSPENDED. Erasure has its own request."
    )


@strawberry.type(description="Result of enrollMember.")
class EnrollMemberPayload:
    member: Member | None = strawberry.field(description="The member; null if refused.")
    created: bool = strawberry.field(
        description="True if this call enrolled the member, false if it already existed."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")
    referral_errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why the referralCode did not attribute the member (the member is enrolled "
        "all the same); empty when it did or none was given.",
    )


@strawberry.type(description="Result of updateMember.")
class UpdateMemberPayload:
    member: Member | None = strawberry.field(description="The member; null if refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")

"""GraphQL types of the consent area: purposes, consents in force, the consent history, the
preference center and the data-usage log."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from api.enums import described_enum
from api.errors import UserError
from consent.models import ConsentPurpose as PurposeModel
from consent.models import ConsentRecord as RecordModel
from consent.models import DataUsage as UsageModel
from consent.reads import ConsentState
from domain.consent import (
    ConsentSource,
    DataCategory,
    LegalBasis,
    describe_actor,
    describe_use,
)
from domain.preferences import Channel, Preferences, format_clock

described_enum(
    LegalBasis,
    name="LegalBasis",
    description="Why the program may use members' data for a purpose, which decides the default.",
    values={
        "CONSENT": "Only once the member granted it; off until then.",
        "CONTRACT": "Needed to run the member's account: always on, cannot be withdrawn.",
        "LEGITIMATE_INTEREST": "On unless the member objects (withdraws it).",
    },
)
described_enum(
    ConsentSource,
    name="ConsentSource",
    description="Where a member granted or withdrew a purpose.",
    values={
        "APP": "The member itself, in the program's app (a member token).",
        "STOREFRONT": "A storefront, e.g. at checkout.",
        "PARTNER": "A partner's client, recorded by an admin.",
        "ADMIN": "The program's staff, e.g. consent given on paper or by phone.",
    },
)
described_enum(
    DataCategory,
    name="DataCategory",
    description="A kind of personal data a use concerns.",
    values={
        "CONTACT": "Email address and other contact details.",
        "PURCHASE_HISTORY": "Orders and returns.",
        "LOYALTY_ACTIVITY": "Points, tier, rewards and redemptions.",
        "PROFILE": "Name, birthday and locale.",
        "PREFERENCES": "The preference center's settings.",
    },
)
described_enum(
    Channel,
    name="Channel",
    description="A channel the program may message members on.",
    values={"EMAIL": "Email.", "PUSH": "Push notifications.", "SMS": "Text messages."},
)


@strawberry.type(description="Something the program uses members' data for.")
class ConsentPurpose:
    key: str = strawberry.field(description="Stable key, e.g. marketing_email.")
    description: str = strawberry.field(description="What the purpose is, for members.")
    legal_basis: LegalBasis = strawberry.field(description="Why it may be used; the default.")
    policy_version: int = strawberry.field(
        description="The current version of its policy; consents to an older one need re-consent."
    )
    withdrawable: bool = strawberry.field(
        description="Whether a member can withdraw it (false for CONTRACT purposes)."
    )

    @classmethod
    def from_model(cls, purpose: PurposeModel) -> ConsentPurpose:
        basis = LegalBasis(purpose.legal_basis)
        return cls(
            key=purpose.key,
            description=purpose.description,
            legal_basis=basis,
            policy_version=purpose.policy_version,
            withdrawable=basis is not LegalBasis.CONTRACT,
        )


@strawberry.type(description="A member's consent to one purpose as it stands now.")
class Consent:
    purpose: ConsentPurpose = strawberry.field(description="The purpose.")
    granted: bool = strawberry.field(
        description="Whether the member's data may be used for it now (its say, else the basis' default)."
    )
    since: datetime | None = strawberry.field(
        description="When the member last said so; null if it never did (the default holds)."
    )
    policy_version: int | None = strawberry.field(
        description="The policy version the member last answered; null if it never did."
    )
    needs_reconsent: bool = strawberry.field(
        description="Granted under an older policy version than the current: ask again."
    )

    @classmethod
    def from_state(cls, state: ConsentState) -> Consent:
        return cls(
            purpose=ConsentPurpose.from_model(state.purpose),
            granted=state.granted,
            since=state.since,
            policy_version=state.policy_version,
            needs_reconsent=state.needs_reconsent,
        )


@strawberry.type(description="One say of a member on a purpose, as the consent ledger keeps it.")
class ConsentHistoryEntry:
    purpose: str = strawberry.field(description="The purpose's key.")
    granted: bool = strawberry.field(description="Granted (true) or withdrawn (false).")
    policy_version: int = strawberry.field(description="The policy version answered.")
    source: ConsentSource = strawberry.field(description="Where it was said.")
    recorded_by: str = strawberry.field(description="Who recorded it, in words.")
    recorded_at: datetime = strawberry.field(description="When.")

    @classmethod
    def from_model(cls, record: RecordModel) -> ConsentHistoryEntry:
        return cls(
            purpose=record.purpose_key,
            granted=record.granted,
            policy_version=record.policy_version,
            source=ConsentSource(record.source),
            recorded_by=describe_actor(record.actor),
            recorded_at=record.recorded_at,
        )


@strawberry.type(description="An entry of the consent history with its cursor.")
class ConsentHistoryEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read on from here.")
    node: ConsentHistoryEntry = strawberry.field(description="The entry.")


@strawberry.type(description="A page of a member's consent history, newest first.")
class ConsentHistoryConnection:
    edges: list[ConsentHistoryEdge] = strawberry.field(description="The entries of the page.")
    page_info: relay.PageInfo = strawberry.field(description="Whether more pages follow.")


@strawberry.type(description="One use of the member's personal data, in plain words.")
class DataUse:
    purpose: str = strawberry.field(description="The purpose's key it was used for.")
    categories: list[DataCategory] = strawberry.field(description="Which kinds of data.")
    used_by: str = strawberry.field(
        description="Which part of the program or which client used it, in words."
    )
    reason: str = strawberry.field(description="Why, in a few words.")
    used_at: datetime = strawberry.field(
        description="When (the first use of the day for uses logged once a day)."
    )
    summary: str = strawberry.field(description="The whole use in one sentence.")

    @classmethod
    def from_model(cls, use: UsageModel) -> DataUse:
        categories = [DataCategory(c) for c in use.categories]
        return cls(
            purpose=use.purpose_key,
            categories=categories,
            used_by=describe_actor(use.actor),
            reason=use.reason,
            used_at=use.used_at,
            summary=describe_use(use.actor, use.purpose_key, categories, use.reason),
        )


@strawberry.type(description="A data use with its cursor.")
class DataUseEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read on from here.")
    node: DataUse = strawberry.field(description="The use.")


@strawberry.type(description="A page of the data-usage log, newest first.")
class DataUseConnection:
    edges: list[DataUseEdge] = strawberry.field(description="The uses of the page.")
    page_info: relay.PageInfo = strawberry.field(description="Whether more pages follow.")


@strawberry.type(description="Hours in which no marketing message is sent, on the member's clock.")
class QuietHours:
    start: str = strawberry.field(description="From, HH:MM (24-hour).")
    end: str = strawberry.field(description="Until, HH:MM; before `start` spans midnight.")


@strawberry.type(description="One channel of the preference center.")
class ChannelPreference:
    channel: Channel = strawberry.field(description="The channel.")
    enabled: bool = strawberry.field(description="Whether the member accepts messages on it.")
    weekly_cap: int | None = strawberry.field(
        description="At most this many messages a week (rolling 7 days); null: no cap."
    )
    consented: bool = strawberry.field(
        description="Whether the member consented to marketing on it (its marketing purpose)."
    )


@strawberry.type(description="The member's preference center.")
class MemberPreferences:
    channels: list[ChannelPreference] = strawberry.field(description="Email, push and SMS.")
    topics: list[str] = strawberry.field(description="Topics the member wants to hear about.")
    quiet_hours: QuietHours | None = strawberry.field(description="Null: none.")
    timezone: str = strawberry.field(
        description="The member's time zone for quiet hours (the program's unless set)."
    )
    locale: str | None = strawberry.field(
        description="Language for messages; null: the member's profile locale."
    )

    @classmethod
    def build(cls, preferences: Preferences, consented: set[Channel]) -> MemberPreferences:
        quiet = (
            QuietHours(
                start=format_clock(preferences.quiet_start),
                end=format_clock(preferences.quiet_end),
            )
            if preferences.quiet_start is not None and preferences.quiet_end is not None
            else None
        )
        return cls(
            channels=[
                ChannelPreference(
                    channel=channel,
                    enabled=preferences.enabled(channel),
                    weekly_cap=preferences.cap(channel),
                    consented=channel in consented,
                )
                for channel in Channel
            ],
            topics=list(preferences.topics),
            quiet_hours=quiet,
            timezone=preferences.timezone,
            locale=preferences.locale,
        )


@strawberry.input(description="Grant or withdraw one purpose.")
class ConsentChangeInput:
    purpose: str = strawberry.field(description="The purpose's key.")
    granted: bool = strawberry.field(description="True to grant, false to withdraw (object).")


@strawberry.input(
    description="Consent changes for one member: a member token for itself (omit the member); "
    "storefront and admin tokens name it by externalId or memberId."
)
class UpdateConsentsInput:
    changes: list[ConsentChangeInput] = strawberry.field(description="1 to 20 changes.")
    external_id: str | None = strawberry.field(
        default=None, description="The member, by the storefront's id (staff tokens)."
    )
    member_id: strawberry.ID | None = strawberry.field(
        default=None, description="The member, by its global id (staff tokens)."
    )
    source: ConsentSource | None = strawberry.field(
        default=None,
        description="Where the member said it; by default the token's (APP for a member, "
        "STOREFRONT for a storefront, ADMIN for an admin). Admins may give any.",
    )


@strawberry.type(description="Result of updateConsents.")
class UpdateConsentsPayload:
    consents: list[Consent] | None = strawberry.field(
        description="The member's consents now, every purpose; null if refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="Quiet hours, on the member's clock.")
class QuietHoursInput:
    start: str = strawberry.field(description="From, HH:MM (24-hour).")
    end: str = strawberry.field(description="Until, HH:MM; before `start` spans midnight.")


@strawberry.input(
    description="Preference changes; omitted fields keep their value, null clears a cap, the "
    "quiet hours, the time zone (back to the program's) or the locale."
)
class UpdatePreferencesInput:
    external_id: str | None = strawberry.field(
        default=None, description="The member, by the storefront's id (staff tokens)."
    )
    member_id: strawberry.ID | None = strawberry.field(
        default=None, description="The member, by its global id (staff tokens)."
    )
    email: bool | None = strawberry.field(default=None, description="Accept email.")
    push: bool | None = strawberry.field(default=None, description="Accept push notifications.")
    sms: bool | None = strawberry.field(default=None, description="Accept text messages.")
    email_weekly_cap: int | None = strawberry.field(
        default=strawberry.UNSET, description="At most this many emails a week, 0 to 1000."
    )
    push_weekly_cap: int | None = strawberry.field(
        default=strawberry.UNSET, description="At most this many pushes a week, 0 to 1000."
    )
    sms_weekly_cap: int | None = strawberry.field(
        default=strawberry.UNSET, description="At most this many texts a week, 0 to 1000."
    )
    topics: list[str] | None = strawberry.field(
        default=None, description="The topics, replacing the current ones (at most 20)."
    )
    quiet_hours: QuietHoursInput | None = strawberry.field(
        default=strawberry.UNSET, description="Quiet hours; null: none."
    )
    timezone: str | None = strawberry.field(
        default=strawberry.UNSET, description="IANA time zone; null: the program's."
    )
    locale: str | None = strawberry.field(
        default=strawberry.UNSET, description="BCP 47 locale for messages; null: the profile's."
    )


@strawberry.type(description="Result of updatePreferences.")
class UpdatePreferencesPayload:
    preferences: MemberPreferences | None = strawberry.field(
        description="The preferences now; null if refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="A new purpose for the program.")
class CreatePurposeInput:
    key: str = strawberry.field(description="2-40 lower-case letters, digits or underscores.")
    description: str = strawberry.field(description="What it is, for members, 1-500 characters.")
    legal_basis: LegalBasis = strawberry.field(description="Why data may be used for it.")


@strawberry.input(description="A new policy version for a purpose.")
class PublishPolicyVersionInput:
    purpose: str = strawberry.field(description="The purpose's key.")
    description: str | None = strawberry.field(
        default=None, description="A new description; omitted: the current one."
    )


@strawberry.type(description="Result of createPurpose and publishPolicyVersion.")
class PurposePayload:
    purpose: ConsentPurpose | None = strawberry.field(description="The purpose; null if refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")

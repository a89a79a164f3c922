"""GraphQL output types of the points area."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import strawberry
from strawberry import relay

from api.auth import Role
from api.context import Context
from api.enums import described_enum
from api.errors import ClientError, TopLevelCode, UserError
from api.points.loaders import entry_loader, expiring_loader, return_id_loader
from api.points.provenance import STAFF, BalanceChanges, LedgerActor, visible_actor
from api.why import WHY, Why
from domain import why as why_rules
from domain.ledger import EntryKind
from loyalty.points.models import PointsEntry
from loyalty.points.reads import Expiring

described_enum(
    EntryKind,
    name="LedgerEntryKind",
    description="What kind of change a ledger entry records.",
    values={
        "EARN": "Points earned for an order, an event or a grant.",
        "REDEEM": "Points spent.",
        "EXPIRE": "Unspent points that reached their expiry date.",
        "REVERSE": "Points taken back because an order was returned.",
        "ADJUST": "A manual correction by the program.",
        "ACTIVATE": "Pending points that became spendable when the return window ended.",
        "HOLD": "Points reserved for a checkout: no longer spendable, still the member's.",
        "RELEASE": "Held points given back, spendable again.",
        "REFUND": "Points of a cancelled redemption, given back as new points.",
        "TRANSFER_OUT": "Points sent to another member (transferPoints), or points received in a "
        "transfer the program reversed.",
        "TRANSFER_IN": "Points received from another member, as new points, or points sent in a "
        "transfer the program reversed, given back.",
    },
)


@strawberry.type(description="One step of how an entry's points came about.")
class ExplanationLine:
    code: str = strawberry.field(
        description="BASE, BONUS, TIER, ROUNDING, CAP, EVENT, MANUAL, RETURN, DEBT, DEBT_REPAID, ..."
    )
    label: str = strawberry.field(description="The step in words, e.g. 'x2 on category shoes'.")
    points: int = strawberry.field(description="Signed points this step contributed.")


@strawberry.type(description="A member's points at one moment.")
class PointsBalance:
    available: int = strawberry.field(
        description="Spendable now. Negative only if the program allows it."
    )
    pending: int = strawberry.field(
        description="Earned, waiting out the return window; not yet spendable."
    )
    debt: int = strawberry.field(
        description="Points owed from returns of already-spent points; repaid from new points first."
    )
    lifetime_earned: int = strawberry.field(
        description="Everything ever earned, less what returns took back."
    )
    held: int = strawberry.field(
        description="Reserved for a checkout in progress: not spendable, still the member's; "
        "spent when the redemption is confirmed, spendable again if it is cancelled."
    )


@strawberry.type(
    description="An immutable change of a member's points, with why it happened. Seen by its own "
    "member and by the program's storefront and admin tokens; partners see none."
)
class LedgerEntry(relay.Node):
    entry_id: relay.NodeID[int]
    kind: EntryKind = strawberry.field(description="What kind of change this is.")
    points: int = strawberry.field(description="The signed points this entry stands for.")
    reason_code: str = strawberry.field(
        description="ORDER, EVENT, MANUAL, REDEMPTION, RETURN, EXPIRY, ACTIVATION, ADJUSTMENT, "
        "TRANSFER or TRANSFER_REVERSAL, ..."
    )
    reason: str = strawberry.field(description="The reason in words.")
    source_reference: str | None = strawberry.field(description="What caused it, e.g. order:1001.")
    explanation: list[ExplanationLine] = strawberry.field(
        description="How the points were computed; the lines add up to `points`."
    )
    balance_after: PointsBalance = strawberry.field(
        description="The member's points right after this entry."
    )
    occurred_at: datetime = strawberry.field(description="When the entry was written.")
    changes: BalanceChanges = strawberry.field(
        description="What the entry did to each part of the balance; unlike `points`, these add "
        "up to the balance when points were pending or owed."
    )
    recorded_actor: strawberry.Private[str]
    recorded_key: strawberry.Private[str | None]

    @strawberry.field(
        description="Who wrote the entry: every role sees the kind of client, storefront and "
        "admin tokens also its id."
    )
    def actor(self, info: strawberry.Info[Context, Any]) -> LedgerActor:
        return visible_actor(self.recorded_actor, info.context.require_principal().role)

    @strawberry.field(
        description="The idempotency key of the write that made the entry. Storefront and admin "
        "tokens only (null for members); null too for entries the system wrote."
    )
    def idempotency_key(self, info: strawberry.Info[Context, Any]) -> str | None:
        return self.recorded_key if info.context.require_principal().role in STAFF else None

    @strawberry.field(
        description="For a REVERSE entry, the returnId of the return it records; null otherwise."
    )
    async def return_id(self, info: strawberry.Info[Context, Any]) -> str | None:
        if self.kind is not EntryKind.REVERSE:
            return None
        found: str | None = await return_id_loader(info.context).load(self.entry_id)
        return found

    @strawberry.field(description=WHY)
    def why(self) -> Why:
        return Why.of(
            why_rules.for_entry(
                kind=self.kind,
                points=self.points,
                reason_code=self.reason_code,
                reason=self.reason,
                source_ref=self.source_reference,
                lines=[why_rules.Line(x.code, x.label, x.points) for x in self.explanation],
            )
        )

    @classmethod
    def from_model(cls, entry: PointsEntry) -> LedgerEntry:
        return cls(
            entry_id=entry.id,
            kind=entry.kind,
            points=entry.points,
            reason_code=entry.reason_code,
            reason=entry.reason,
            source_reference=entry.source_ref,
            explanation=[ExplanationLine(**line) for line in entry.explanation["lines"]],
            balance_after=PointsBalance(
                available=entry.available_after,
                pending=entry.pending_after,
                debt=entry.debt_after,
                lifetime_earned=entry.lifetime_after,
                held=entry.held_after,
            ),
            occurred_at=entry.created_at,
            changes=BalanceChanges(
                available=entry.available_delta,
                pending=entry.pending_delta,
                debt=entry.debt_delta,
                lifetime_earned=entry.lifetime_delta,
                held=entry.held_delta,
            ),
            recorded_actor=entry.actor,
            recorded_key=entry.idempotency_key,
        )


async def visible_entry(info: strawberry.Info[Context, Any], key: int) -> LedgerEntry | None:
    """An entry by key if the caller may see its member (as `visible_member` decides): only inside
    the caller's program; a member token sees only its own entries; partners see none."""
    context = info.context
    principal = context.require_principal()
    if principal.role is Role.PARTNER:
        return None
    found = await entry_loader(context).load(key)
    if found is None:
        return None
    if principal.role is Role.MEMBER:
        me = await context.me()
        if me is None or me.id != found.member_id:
            return None
    return LedgerEntry.from_model(found)


@strawberry.type(description="A page of ledger entries, newest first.")
class LedgerEntryConnection(relay.Connection[LedgerEntry]):
    """Keyset-paginated by entry id, newest first."""


@strawberry.type(description="Points that will expire on a date unless spent.")
class ExpiringPoints:
    points: int = strawberry.field(description="How many points.")
    expires_on: date = strawberry.field(
        description="The last day they can be spent, in the program's time zone."
    )
    expires_at: datetime = strawberry.field(description="The instant they expire.")


EXPIRING_WINDOW_DAYS = 30
MAX_EXPIRING_WINDOW_DAYS = 366


@strawberry.type(description="A member's points now, and what is about to expire.")
class PointsSummary(PointsBalance):
    member_key: strawberry.Private[int]
    timezone: strawberry.Private[str]

    @strawberry.field(
        description="Spendable points expiring within `withinDays`, soonest first: use them before they go."
    )
    async def expiring_soon(
        self,
        info: strawberry.Info[Context, Any],
        within_days: Annotated[
            int, strawberry.argument(description="How far ahead to look, 1 to 366 days.")
        ] = EXPIRING_WINDOW_DAYS,
    ) -> list[ExpiringPoints]:
        if not 1 <= within_days <= MAX_EXPIRING_WINDOW_DAYS:
            raise ClientError(
                f"`withinDays` must be between 1 and {MAX_EXPIRING_WINDOW_DAYS}, got {within_days}.",
                TopLevelCode.BAD_USER_INPUT,
            )
        days = within_days
        found: list[Expiring] = await expiring_loader(info.context, days).load(self.member_key)
        return [_expiring(item, self.timezone) for item in found]


def _expiring(item: Expiring, timezone: str) -> ExpiringPoints:
    last_day = (item.expires_at.astimezone(ZoneInfo(timezone)) - timedelta(microseconds=1)).date()
    return ExpiringPoints(points=item.points, expires_on=last_day, expires_at=item.expires_at)


@strawberry.type(description="The result of a points write.")
class PointsWritePayload:
    entry: LedgerEntry | None = strawberry.field(
        description="The entry written (or first written, for a replay); null if refused or nothing changed."
    )
    balance: PointsBalance | None = strawberry.field(
        description="The member's points right after the entry (see `alreadyProcessed`)."
    )
    replayed: bool = strawberry.field(
        description="True when this idempotency key was seen before and the original result is returned."
    )
    already_processed: bool = strawberry.field(
        description="True when an earlier request under another idempotency key already did what "
        "this one asks (reverseOrder with a returnId already reversed): nothing new was written, "
        "`entry` is the earlier entry (null if it took back no points) and `balance` the member's "
        "points when this request was answered. A repeated order or event is refused instead "
        "(ALREADY_AWARDED), never awarded twice."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; nothing was written."
    )


@strawberry.type(description="Result of awardPoints: the earning entry with its explanation.")
class AwardPointsPayload(PointsWritePayload):
    pass


@strawberry.type(description="Result of redeemPoints.")
class RedeemPointsPayload(PointsWritePayload):
    pass


@strawberry.type(
    description="Result of reverseOrder; entry is null when the return takes back no points."
)
class ReverseOrderPayload(PointsWritePayload):
    pass


@strawberry.type(description="Result of adjustPoints.")
class AdjustPointsPayload(PointsWritePayload):
    pass

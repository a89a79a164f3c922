"""What a ledger entry tells an auditor beyond its points: who wrote it, and what it did to each
part of the balance."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from api.auth import Role
from api.enums import described_enum
from loyalty.points.account import SYSTEM_ACTOR


class ActorKind(StrEnum):
    """Entries store their actor as `role:subject` (the writing token's), or SYSTEM_ACTOR."""

    MEMBER = Role.MEMBER.value
    STOREFRONT = Role.STOREFRONT.value
    PARTNER = Role.PARTNER.value
    ADMIN = Role.ADMIN.value
    SYSTEM = SYSTEM_ACTOR


described_enum(
    ActorKind,
    name="ActorKind",
    description="What kind of client wrote a ledger entry.",
    values={
        "MEMBER": "A member token.",
        "STOREFRONT": "A storefront (server to server).",
        "PARTNER": "A partner's credentials.",
        "ADMIN": "The program's admin.",
        "SYSTEM": "The system itself: activations and expiries that fell due.",
    },
)
# Who may see which client wrote an entry and under which idempotency key: the program's own
# servers and admins. A member sees the kind of client only; client ids are internal.
STAFF = frozenset({Role.STOREFRONT, Role.ADMIN})


@strawberry.type(description="Who wrote a ledger entry.")
class LedgerActor:
    kind: ActorKind = strawberry.field(description="The kind of client; every role sees it.")
    subject: str | None = strawberry.field(
        description="The client's id (its token's subject, e.g. web-shop). Storefront and admin "
        "tokens only: null for members, and for SYSTEM."
    )


@strawberry.type(
    description="How one entry moved each part of a member's points. Summed over the member's "
    "whole ledger, each part equals the balance as last recorded (the newest entry's balanceAfter)."
)
class BalanceChanges:
    available: int = strawberry.field(description="Signed change of spendable points.")
    pending: int = strawberry.field(description="Signed change of points in the return window.")
    debt: int = strawberry.field(description="Signed change of points owed from returns.")
    lifetime_earned: int = strawberry.field(description="Signed change of lifetime points.")
    held: int = strawberry.field(description="Signed change of points on hold.")


def visible_actor(recorded: str, viewer: Role) -> LedgerActor:
    """The entry's stored actor as `viewer` may see it."""
    kind, _, subject = recorded.partition(":")
    shown = subject if viewer in STAFF and subject else None
    return LedgerActor(kind=ActorKind(kind), subject=shown)

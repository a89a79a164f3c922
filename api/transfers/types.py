"""GraphQL types of points transfers: a transfer as a node, a member's or a program's page of
them, and the program's transfer limits."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import strawberry
from strawberry import relay

from api.auth import Role
from api.context import Context
from api.enums import described_enum
from api.relay import decode_cursor, keyset_connection, page_size
from domain import transfers as rules
from loyalty.points import transfer_reads as reads

CURSOR = "transfer"


class TransferDirection(StrEnum):
    SENT = "SENT"
    RECEIVED = "RECEIVED"


class TransferStatus(StrEnum):
    COMPLETED = "COMPLETED"
    REVERSED = "REVERSED"


described_enum(
    TransferDirection,
    name="TransferDirection",
    description="Which way a transfer went, for the member whose transfers these are.",
    values={"SENT": "The member sent the points.", "RECEIVED": "The member received them."},
)
described_enum(
    TransferStatus,
    name="TransferStatus",
    description="Where a transfer stands.",
    values={
        "COMPLETED": "The points moved from the sender to the recipient.",
        "REVERSED": "The program reversed it: the points were taken back from the recipient "
        "and given back to the sender.",
    },
)


def _global(type_name: str, key: int) -> strawberry.ID:
    return strawberry.ID(str(relay.GlobalID(type_name, str(key))))


@strawberry.type(
    description="Points one member sent to another. Seen by both members (sender and "
    "recipient) and by the program's storefront and admin tokens; partners see none."
)
class PointsTransfer(relay.Node):
    transfer_id: relay.NodeID[int]
    points: int = strawberry.field(description="The points transferred.")
    status: TransferStatus = strawberry.field(description="Completed, or reversed.")
    direction: TransferDirection | None = strawberry.field(
        description="SENT or RECEIVED for the member whose transfers are listed (a member token: "
        "itself); null in the program's list."
    )
    message: str | None = strawberry.field(
        description="The sender's note to the recipient, if any (cleared when either is erased)."
    )
    sender_name: str = strawberry.field(description="The sender's display name.")
    recipient_name: str = strawberry.field(description="The recipient's display name.")
    sender_id: strawberry.ID = strawberry.field(description="The sender's Member id.")
    recipient_id: strawberry.ID = strawberry.field(description="The recipient's Member id.")
    sent_entry_id: strawberry.ID = strawberry.field(
        description="The sender's TRANSFER_OUT ledger entry (LedgerEntry id)."
    )
    received_entry_id: strawberry.ID = strawberry.field(
        description="The recipient's TRANSFER_IN ledger entry (LedgerEntry id)."
    )
    created_at: datetime = strawberry.field(description="When the points moved.")
    reversed_at: datetime | None = strawberry.field(description="When it was reversed, if it was.")
    reverse_reason: str | None = strawberry.field(
        description="The program's reason for the reversal, shown to both members."
    )


def transfer_of(row: dict[str, Any], perspective: int | None) -> PointsTransfer:
    direction = None
    if perspective is not None:
        sent = row["sender_id"] == perspective
        direction = TransferDirection.SENT if sent else TransferDirection.RECEIVED
    sender, recipient = _global("Member", row["sender_id"]), _global("Member", row["recipient_id"])
    sent_entry = _global("LedgerEntry", row["sent_entry_id"])
    received_entry = _global("LedgerEntry", row["received_entry_id"])
    return PointsTransfer(
        transfer_id=row["id"], points=row["points"],
        status=TransferStatus.REVERSED if row["reversed_at"] else TransferStatus.COMPLETED,
        direction=direction, message=row["message"], sender_name=row["sender_name"],
        recipient_name=row["recipient_name"], sender_id=sender, recipient_id=recipient,
        sent_entry_id=sent_entry, received_entry_id=received_entry,
        created_at=row["created_at"], reversed_at=row["reversed_at"],
        reverse_reason=row["reverse_reason"],
    )  # fmt: skip


@strawberry.type(description="A page of points transfers, newest first.")
class PointsTransferConnection(relay.Connection[PointsTransfer]):
    """Keyset-paginated by transfer id, newest first."""


@dataclass(frozen=True, slots=True)
class _Keyed:
    id: int
    row: dict[str, Any]


def connection_of(
    rows: list[dict[str, Any]], limit: int, after: str | None, perspective: int | None
) -> PointsTransferConnection:
    keyed = [_Keyed(row["id"], row) for row in rows]
    return keyset_connection(
        PointsTransferConnection, keyed, limit, CURSOR,
        lambda found: transfer_of(found.row, perspective), after=after,
    )  # fmt: skip


async def member_transfers(
    info: strawberry.Info[Context, Any], member_id: int, first: int | None, after: str | None
) -> PointsTransferConnection:
    """Member.transfers: the caller saw the member already (visible_member decided). Batched:
    the members of one page asking for the same page of transfers are read in one statement."""
    limit = page_size(first, "transfers")
    before_id = decode_cursor(after, CURSOR)
    program = await info.context.require_program()

    async def load(keys: list[tuple[int, int | None, int]]) -> list[list[dict[str, Any]]]:
        asked: dict[tuple[int | None, int], list[int]] = defaultdict(list)
        for member, before, size in keys:
            asked[(before, size)].append(member)
        pages: dict[tuple[int, int | None, int], list[dict[str, Any]]] = {}
        for (before, size), members in asked.items():
            found = await reads.member_pages(program.id, members, before_id=before, limit=size)
            pages.update({(member, before, size): found[member] for member in members})
        return [pages[key] for key in keys]

    loader = info.context.loader(("transfers.member_pages", program.id), load)
    rows = await loader.load((member_id, before_id, limit + 1))
    return connection_of(rows, limit, after, member_id)


async def visible_transfer(info: strawberry.Info[Context, Any], key: int) -> PointsTransfer | None:
    """A transfer for its program's storefront and admin tokens, and for its two members."""
    context = info.context
    principal = context.require_principal()
    program = await context.program()
    if program is None or principal.role is Role.PARTNER:
        return None
    row = await reads.transfer(program.id, key)
    if row is None:
        return None
    if principal.role is not Role.MEMBER:
        return transfer_of(row, None)
    me = await context.me()
    if me is None or me.id not in (row["sender_id"], row["recipient_id"]):
        return None
    return transfer_of(row, me.id)


@strawberry.type(
    description="The program's limits on transfers between members (the defaults until an "
    "admin sets its own). Members, storefront and admin tokens may read them."
)
class TransferSettings:
    enabled: bool = strawberry.field(description="Whether members may transfer points at all.")
    min_points: int = strawberry.field(description="The fewest points per transfer.")
    max_points: int = strawberry.field(description="The most points per transfer.")
    daily_sent_cap: int = strawberry.field(
        description="The most points a member may send per day (the program's time zone)."
    )
    daily_received_cap: int = strawberry.field(
        description="The most points a member may receive per day (the program's time zone)."
    )
    min_membership_days: int = strawberry.field(
        description="How many days a member must have been enrolled before sending points."
    )

    @classmethod
    def of(cls, settings: rules.TransferSettings) -> TransferSettings:
        return cls(
            enabled=settings.enabled, min_points=settings.min_points,
            max_points=settings.max_points, daily_sent_cap=settings.daily_sent_cap,
            daily_received_cap=settings.daily_received_cap,
            min_membership_days=settings.min_membership_days,
        )  # fmt: skip

"""A member's points account inside one transaction: locked, settled, and written to.

Checkout holds on an open account (hold, release, capture, refund) are in holds.py.

Opening an account takes the member's lock (its member row, FOR NO KEY UPDATE: loyalty/locks.py),
so every write for one member is serialised, no update is ever lost, and none commits after a
suspension it raced. Postings computed by domain/ledger.py are written as entries (the database
trigger moves the balance and checks it against the entry) and as lot changes. Due activations
and expiries are applied first, so a spend never sees stale lots.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from backbone.uow import UnitOfWork
from domain.events import POSTED_BY_KIND, PointsEarned, PointsPosted
from domain.ledger import Balance, EntryKind, Lot, LotStatus, Posting, apply
from domain.members import MemberStatus
from domain.offers import Offer
from domain.settlement import due_postings
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty.campaigns.held_offers import MULTIPLIER_OFFERS_COLUMN, parse_offers
from loyalty.points.models import PointsEntry

SYSTEM_ACTOR = "system"

# With the program's configuration version, read in the same statement (programs.in_force).
_OPEN = """
SELECT m.id, m.status, b.available, b.pending, b.debt, b.lifetime_earned, b.held,
  (SELECT p.config_version FROM program p WHERE p.id = m.program_id) AS program_version{offers}
FROM member m JOIN points_balance b ON b.member_id = m.id
WHERE m.program_id = $1 AND {match}
FOR NO KEY UPDATE OF m, b{skip}
"""
_LOTS = """
SELECT id, remaining, status, activates_at, expires_at, expired FROM points_lot
WHERE member_id = $1 AND remaining > 0
"""
# Only what is due: enough to settle before earning, whatever the member's history.
_DUE_LOTS = """
SELECT id, remaining, status, activates_at, expires_at, expired FROM points_lot
WHERE member_id = $1 AND remaining > 0
  AND ((status = 'PENDING' AND activates_at <= $2) OR (status = 'ACTIVE' AND expires_at <= $2))
"""
_LOT = (
    "SELECT id, remaining, status, activates_at, expires_at, expired FROM points_lot WHERE id = $1"
)
_SOURCE = (
    "SELECT e.source_ref FROM points_lot l JOIN points_entry e ON e.id = l.entry_id WHERE l.id = $1"
)
_INSERT_ENTRY = """
INSERT INTO points_entry (
  program_id, member_id, kind, points,
  available_delta, pending_delta, debt_delta, lifetime_delta, held_delta,
  available_after, pending_after, debt_after, lifetime_after, held_after,
  reason_code, reason, source_ref, actor, idempotency_key, explanation, created_at
) VALUES (
  $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21
)
RETURNING id
"""
# An entry that brings new points writes its lot in the same statement: one round trip less
# on every award (the lot's foreign key is checked at the statement's end, the entry there).
_INSERT_ENTRY_AND_LOT = f"""
WITH entry AS ({_INSERT_ENTRY.strip()})
INSERT INTO points_lot (program_id, member_id, entry_id, points, remaining, status, activates_at, expires_at)
SELECT $1, $2, entry.id, $22, $23, $24, $25, $26 FROM entry
RETURNING entry_id AS id, id AS lot_id
"""  # noqa: S608 - constant SQL
_TAKE = """
UPDATE points_lot SET remaining = remaining - $2, expired = expired + CASE WHEN $3 THEN $2 ELSE 0 END
WHERE id = $1 AND remaining >= $2 RETURNING id
"""
_WRITE_OFF = (
    "UPDATE points_lot SET expired = expired - $2 WHERE id = $1 AND expired >= $2 RETURNING id"
)
_RESTORE = """
UPDATE points_lot SET remaining = remaining + $2
WHERE id = $1 AND remaining + expired + $2 <= points RETURNING id
"""
_ACTIVATE = (
    "UPDATE points_lot SET status = 'ACTIVE' WHERE id = $1 AND status = 'PENDING' RETURNING id"
)


@dataclass(frozen=True, slots=True)
class Posted:
    entry_id: int
    kind: EntryKind
    lot_id: int | None
    entry: PointsEntry


@dataclass
class Account:
    uow: UnitOfWork
    program_id: int
    member_id: int
    status: MemberStatus
    balance: Balance
    lots: dict[int, Lot]
    actor: str
    now: datetime
    idempotency_key: str | None = None
    posted: list[Posted] = field(default_factory=list)
    program_version: int | None = None  # the program's config_version as the account was opened
    # The member's campaign points multipliers, read with the lock when asked for (an award).
    multiplier_offers: tuple[Offer, ...] = ()

    @property
    def connection(self) -> BaseDBAsyncClient:
        return self.uow.connection

    def require_active(self) -> None:
        if self.status is not MemberStatus.ACTIVE:
            raise InvalidInput(
                Problem(
                    ("externalId",),
                    f"The member is {self.status.lower()}.",
                    ErrorCode.MEMBER_NOT_ACTIVE,
                )
            )

    async def post(
        self, posting: Posting, *, reason_code: str, reason: str, source_ref: str | None = None
    ) -> Posted:
        """Write one entry and its lot changes; keeps the in-memory balance and lots in step."""
        after = apply(self.balance, posting)
        values: dict[str, Any] = {
            "program_id": self.program_id,
            "member_id": self.member_id,
            "kind": posting.kind,
            "points": posting.points,
            "available_delta": posting.available,
            "pending_delta": posting.pending,
            "debt_delta": posting.debt,
            "lifetime_delta": posting.lifetime,
            "held_delta": posting.held,
            "available_after": after.available,
            "pending_after": after.pending,
            "debt_after": after.debt,
            "lifetime_after": after.lifetime,
            "held_after": after.held,
            "reason_code": reason_code,
            "reason": reason[:500],
            "source_ref": source_ref,
            "actor": self.actor,
            "idempotency_key": self.idempotency_key,
            "explanation": {"lines": [asdict(line) for line in posting.lines]},
            "created_at": self.now,
        }
        row_values = [
            json.dumps(v) if k == "explanation" else v.value if k == "kind" else v
            for k, v in values.items()
        ]
        connection = self.uow.connection
        new = posting.new_lot
        if new is None:
            [row] = await connection.execute_query_dict(_INSERT_ENTRY, row_values)
        else:
            lot_values = [new.points, new.remaining, new.status.value]
            [row] = await connection.execute_query_dict(
                _INSERT_ENTRY_AND_LOT, [*row_values, *lot_values, new.activates_at, new.expires_at]
            )
        entry_id: int = row["id"]
        lot_id: int | None = row.get("lot_id")
        for take in posting.takes:
            if not await connection.execute_query_dict(
                _TAKE, [take.lot_id, take.points, take.expires]
            ):
                raise RuntimeError(f"lot {take.lot_id} cannot give {take.points} points")
            lot = self.lots[take.lot_id]
            expired = lot.expired + (take.points if take.expires else 0)
            self.lots[lot.id] = replace(lot, remaining=lot.remaining - take.points, expired=expired)
        for restore in posting.restores:
            await self.load_lot(restore.lot_id)  # as it was: the update below is counted here
            if not await connection.execute_query_dict(_RESTORE, [restore.lot_id, restore.points]):
                raise RuntimeError(f"lot {restore.lot_id} cannot take {restore.points} points back")
            lot = self.lots[restore.lot_id]
            self.lots[lot.id] = replace(lot, remaining=lot.remaining + restore.points)
        for write_off in posting.write_offs:
            if not await connection.execute_query_dict(
                _WRITE_OFF, [write_off.lot_id, write_off.points]
            ):
                raise RuntimeError(f"lot {write_off.lot_id} has not {write_off.points} expired")
            lot = self.lots[write_off.lot_id]
            self.lots[lot.id] = replace(lot, expired=lot.expired - write_off.points)
        if posting.activates_lot is not None:
            await connection.execute_query_dict(_ACTIVATE, [posting.activates_lot])
            lot = self.lots[posting.activates_lot]
            self.lots[lot.id] = replace(lot, status=LotStatus.ACTIVE)
        # The entry as written, without reading it back.
        entry = PointsEntry._init_from_db(id=entry_id, **values)
        self._add_lot(posting, lot_id)
        posted = Posted(entry_id, posting.kind, lot_id, entry)
        self.balance = after
        self.posted.append(posted)
        self.uow.record(self._event(posting, entry))
        return posted

    def _event(self, posting: Posting, entry: PointsEntry) -> PointsPosted:
        """The ledger's single writer records every entry as an event: activations and expiries
        settled inside another write too."""
        facts = {
            "program_id": self.program_id,
            "member_id": self.member_id,
            "entry_id": entry.id,
            "points": posting.points,
            "reason_code": entry.reason_code,
            "source_ref": entry.source_ref,
            "available_after": self.balance.available,
        }
        if posting.kind is EntryKind.EARN:
            return PointsEarned(**facts, pending=posting.pending > 0)
        return POSTED_BY_KIND[posting.kind](**facts)

    async def load_lot(self, lot_id: int) -> None:
        """Also load a lot with nothing left (only lots with points are loaded up front): a
        return needs its own order's lot to see what of it expired."""
        if lot_id not in self.lots:
            [row] = await self.uow.connection.execute_query_dict(_LOT, [lot_id])
            self.lots[lot_id] = _lot(row)

    async def settle_due(self) -> None:
        """Activate lots whose return window ended and expire lots past their date, oldest first.
        These entries are the system's doing, whoever's request noticed they were due."""
        actor, key = self.actor, self.idempotency_key
        self.actor, self.idempotency_key = SYSTEM_ACTOR, None
        try:
            await self._settle()
        finally:
            self.actor, self.idempotency_key = actor, key

    async def _settle(self) -> None:
        for posting in due_postings(self.balance, list(self.lots.values()), self.now):
            if posting.kind is EntryKind.ACTIVATE:
                # Named by its earning's source: what waits for the window (an order's surprise)
                # learns which order's points became spendable.
                [lot] = await self.connection.execute_query_dict(_SOURCE, [posting.activates_lot])
                await self.post(
                    posting, reason_code="ACTIVATION", reason="Return window ended",
                    source_ref=lot["source_ref"],
                )  # fmt: skip
            else:
                await self.post(
                    posting, reason_code="EXPIRY", reason="Points reached their expiry date"
                )

    def _add_lot(self, posting: Posting, lot_id: int | None) -> None:
        """The entry's new lot, as written with it, among the lots with points left."""
        new = posting.new_lot
        if new is not None and lot_id is not None and new.remaining:
            self.lots[lot_id] = Lot(
                lot_id, new.remaining, new.status, new.activates_at, new.expires_at
            )


async def open_account(
    uow: UnitOfWork,
    program_id: int,
    *,
    external_id: str | None = None,
    member_id: int | None = None,
    actor: str,
    idempotency_key: str | None = None,
    all_lots: bool = True,
    skip_locked: bool = False,
    multiplier_offers: bool = False,
) -> Account | None:
    """Lock and load a member's account by externalId or member id, inside the program.

    The write's time is read once the lock is held, not before a wait for it: the member's
    entries, in the order their ids were given, are then in the order of their times.
    Spending and returns need every lot with points left; earning needs only the due ones
    (`all_lots=False`), so a member's long history does not slow its every award. With
    `skip_locked`, a member whose lock another write holds is passed over (None): a job does
    not queue behind a request that settles the member anyway. `multiplier_offers` also reads
    the member's campaign multipliers, in the same statement."""
    match, value = (
        ("m.external_id = $2", external_id) if external_id is not None else ("m.id = $2", member_id)
    )
    query = _OPEN.format(
        match=match,
        skip=" SKIP LOCKED" if skip_locked else "",
        offers=f",\n  {MULTIPLIER_OFFERS_COLUMN}" if multiplier_offers else "",
    )
    rows = await uow.connection.execute_query_dict(query, [program_id, value])
    if not rows:
        if skip_locked:
            return None
        raise InvalidInput(
            Problem(("externalId",), "No such member in this program.", ErrorCode.MEMBER_NOT_FOUND)
        )
    row = rows[0]
    now = uow.now()
    lots = await (
        uow.connection.execute_query_dict(_LOTS, [row["id"]])
        if all_lots
        else uow.connection.execute_query_dict(_DUE_LOTS, [row["id"], now])
    )
    return Account(
        uow=uow,
        program_id=program_id,
        member_id=row["id"],
        status=MemberStatus(row["status"]),
        balance=Balance(
            row["available"], row["pending"], row["debt"], row["lifetime_earned"], row["held"]
        ),
        lots={lot["id"]: _lot(lot) for lot in lots},
        actor=actor,
        now=now,
        idempotency_key=idempotency_key,
        program_version=row["program_version"],
        multiplier_offers=parse_offers(row.get("multiplier_offers")),
    )


def _lot(row: dict[str, Any]) -> Lot:
    return Lot(
        row["id"],
        row["remaining"],
        LotStatus(row["status"]),
        row["activates_at"],
        row["expires_at"],
        row["expired"],
    )

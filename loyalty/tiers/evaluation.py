"""The evaluation job: downgrades after grace, assignments that end, evaluation moments, and
the re-evaluation an admin asked for.

Set-based in batches: per program, one statement locks a batch of due members in ascending id
order (FOR NO KEY UPDATE SKIP LOCKED: the lock order of backbone/locks.py; a member whose write
is running is passed over and stays due for the next run) and reads their buckets as arrays;
the pure rules (domain.tiers.evaluate) decide, and one statement writes every changed standing
with its history (loyalty/tiers/store.py), the batch's TierChanged events in the same
transaction. Only members with a member_tier row can be due: a member in the first tier has
nothing to lose. A re-evaluation walks every member, since lowered thresholds may lift anyone.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from tortoise import connections

from backbone.bus import MessageBus
from domain.tiers import evaluate, oldest_month
from loyalty.tiers.qualify import SYSTEM_ACTOR
from loyalty.tiers.store import Change, TierSetup, buckets_from, load_setup, save, standing_from

BATCH = 2000
# Ranges of member ids evaluated side by side, each on its own connection: one range's rows
# travel while another's are decided, as a single stream would wait for each in turn.
STREAMS = 4

_PROGRAMS = "SELECT program_id FROM tier_policy ORDER BY program_id"
_IDS = "SELECT min(id) AS low, max(id) AS high FROM member WHERE program_id = $1"
_BATCH = """
SELECT m.id, m.created_at, mt.tier_key, mt.assigned_reason, mt.assigned_until, mt.downgrade_on,
  mt.retain_since, mt.evaluate_on, bk.months, bk.points, bk.spend
FROM member m {join} member_tier mt ON mt.member_id = m.id
CROSS JOIN LATERAL (
  SELECT array_agg(b.month) AS months, array_agg(b.points) AS points, array_agg(b.spend) AS spend
  FROM tier_bucket b WHERE b.member_id = m.id AND b.month >= $4
) bk
WHERE m.program_id = $1 AND m.id > $2 AND m.id <= $6 AND {due}
ORDER BY m.id LIMIT $5
FOR NO KEY UPDATE OF m SKIP LOCKED
"""
_DUE = _BATCH.format(
    join="JOIN",
    due="(mt.evaluate_on IS NULL OR mt.evaluate_on <= $3 OR mt.downgrade_on <= $3"
    " OR mt.assigned_until <= $3)",
)
_EVERYONE = _BATCH.format(join="LEFT JOIN", due="$3::date IS NOT NULL")
_DONE = "UPDATE tier_policy SET reevaluate_reason = NULL WHERE program_id = $1"


@dataclass(frozen=True, slots=True)
class EvaluationReport:
    members: int
    changed: int
    seconds: float


async def run_evaluation(bus: MessageBus) -> EvaluationReport:
    """Evaluate every program's due members (all of them where a re-evaluation was asked)."""
    started = time.perf_counter()
    members = changed = 0
    for row in await connections.get("default").execute_query_dict(_PROGRAMS):
        seen, moved = await _program(bus, row["program_id"])
        members, changed = members + seen, changed + moved
    return EvaluationReport(members, changed, round(time.perf_counter() - started, 3))


async def _program(bus: MessageBus, program_id: int) -> tuple[int, int]:
    setup = await load_setup(connections.get("default"), program_id)
    if setup is None:
        return 0, 0
    today = bus.clock.now().astimezone(ZoneInfo(setup.timezone)).date()
    reason = setup.reevaluate_reason
    [ids] = await connections.get("default").execute_query_dict(_IDS, [program_id])
    if ids["low"] is None:
        return 0, 0
    low, high = ids["low"] - 1, ids["high"]
    step = -(-(high - low) // STREAMS)
    done = await asyncio.gather(
        *(
            _range(bus, program_id, setup, today, reason, start, min(start + step, high))
            for start in range(low, high, step)
        )
    )
    if reason is not None:
        await connections.get("default").execute_query_dict(_DONE, [program_id])
    return sum(seen for seen, _ in done), sum(moved for _, moved in done)


async def _range(
    bus: MessageBus,
    program_id: int,
    setup: TierSetup,
    today: date,
    reason: str | None,
    after: int,
    last: int,
) -> tuple[int, int]:
    """Members with ids in (after, last], batch by batch in ascending order."""
    members = changed = 0
    while True:
        seen, moved, after = await _batch(bus, program_id, setup, today, (after, last), reason)
        members, changed = members + seen, changed + moved
        if seen < BATCH:
            return members, changed


async def _batch(
    bus: MessageBus,
    program_id: int,
    setup: TierSetup,
    today: date,
    ids: tuple[int, int],
    again: str | None,
) -> tuple[int, int, int]:
    zone = ZoneInfo(setup.timezone)
    oldest = oldest_month(setup.policy, today)
    async with bus.unit_of_work() as uow:
        # Records as the driver gives them: a batch's rows are read once, by key.
        _, rows = await uow.connection.execute_query(
            _DUE if again is None else _EVERYONE, [program_id, ids[0], today, oldest, BATCH, ids[1]]
        )
        changes = []
        for row in rows:
            was = standing_from(row, setup)
            decision = evaluate(
                setup.tiers,
                setup.policy,
                was,
                buckets_from(row["months"], row["points"], row["spend"]),
                today,
                row["created_at"].astimezone(zone).date(),
                reevaluating=again is not None,
            )
            new = decision.standing
            if new == was or (row["tier_key"] is None and new.tier == 0):
                continue
            kept = row["assigned_reason"] if new.assigned else None
            note = again if decision.reason is not None else None
            changes.append(Change(row["id"], was.tier, new, decision.reason, kept, note))
        await save(uow, program_id, setup, changes, actor=SYSTEM_ACTOR)
    return len(rows), sum(c.reason is not None for c in changes), rows[-1]["id"] if rows else ids[1]

"""Admin services: configure tiers and policy, ask for a re-evaluation, assign a tier.

Configuring never moves a member by itself: members keep their tiers until their next
evaluation moment, or until a re-evaluation the admin asks for (the job applies the new
thresholds to everyone at once). A tier that members hold cannot be removed.
"""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from backbone import jobs
from backbone.uow import UnitOfWork
from domain.currency import minor_unit_exponent
from domain.members import require_external_id
from domain.tier_config import is_tier_key, policy_to_json, validate_tiers
from domain.tiers import ChangeReason, Standing, next_moment
from domain.validation import ErrorCode, InvalidInput, Problem, clean_text
from loyalty.tiers.commands import (
    AssignTier,
    Configured,
    ConfigureTiers,
    ReevaluateTiers,
    TakesEffect,
)
from loyalty.tiers.store import Change, load_setup, save, standing_from

EVALUATE_JOB = "tiers.evaluate"
REASON_MAX = 500
RECONFIGURED = "Tiers configured"  # the history note of a re-evaluation configureTiers asked for

_LOCK_PROGRAM = "SELECT id FROM program WHERE id = $1 FOR NO KEY UPDATE"
_HELD = "SELECT DISTINCT tier_key FROM member_tier WHERE program_id = $1 AND NOT tier_key = ANY($2)"
_SAVE_POLICY = """
INSERT INTO tier_policy (program_id, policy, reevaluate_reason, updated_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (program_id) DO UPDATE SET policy = EXCLUDED.policy,
  reevaluate_reason = COALESCE(EXCLUDED.reevaluate_reason, tier_policy.reevaluate_reason),
  updated_at = EXCLUDED.updated_at
RETURNING (SELECT policy FROM tier_policy WHERE program_id = $1) AS was
"""
_DROP_TIERS = "DELETE FROM tier WHERE program_id = $1"
_ADD_TIERS = """
INSERT INTO tier (program_id, key, name, description, threshold, multiplier, position)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::numeric[], $6::numeric[],
  $7::smallint[])
"""
# A changed evaluation moment: each member's next one is computed again by the job.
_RESCHEDULE = "UPDATE member_tier SET evaluate_on = NULL WHERE program_id = $1"
_REQUEST = "UPDATE tier_policy SET reevaluate_reason = $2 WHERE program_id = $1 RETURNING id"
_MEMBER = """
SELECT m.id, m.created_at, mt.tier_key, mt.assigned_reason, mt.assigned_until, mt.downgrade_on,
  mt.retain_since, mt.evaluate_on
FROM member m LEFT JOIN member_tier mt ON mt.member_id = m.id
WHERE m.program_id = $1 AND m.external_id = $2 FOR NO KEY UPDATE OF m
"""


async def configure_tiers(command: ConfigureTiers, uow: UnitOfWork) -> Configured:
    program = command.program
    tiers = validate_tiers(
        command.tiers, command.policy, currency_exponent=minor_unit_exponent(program.currency)
    )
    keys = [tier.key for tier in tiers]
    async with uow:
        connection = uow.connection
        await connection.execute_query_dict(_LOCK_PROGRAM, [program.id])
        held = await connection.execute_query_dict(_HELD, [program.id, keys])
        if held:
            names = ", ".join(sorted(row["tier_key"] for row in held))
            raise InvalidInput(
                Problem(
                    ("tiers",), f"Members hold tiers {names}: keep them.", ErrorCode.INVALID_TIERS
                )
            )
        policy = policy_to_json(command.policy)
        [saved] = await connection.execute_query_dict(
            _SAVE_POLICY,
            [
                program.id,
                json.dumps(policy),
                RECONFIGURED if command.reevaluate else None,
                uow.now(),
            ],
        )
        await connection.execute_query_dict(_DROP_TIERS, [program.id])
        await connection.execute_query_dict(
            _ADD_TIERS,
            [
                program.id,
                keys,
                [tier.name for tier in tiers],
                [tier.description for tier in tiers],
                [tier.threshold for tier in tiers],
                [tier.multiplier for tier in tiers],
                list(range(len(tiers))),
            ],
        )
        was = json.loads(saved["was"]) if saved["was"] else None
        moment = ("evaluation", "evaluation_month", "evaluation_day")
        if was is not None and any(was[k] != policy[k] for k in moment):
            await connection.execute_query_dict(_RESCHEDULE, [program.id])
        if command.reevaluate:
            await jobs.enqueue(uow, EVALUATE_JOB, dedupe_key=EVALUATE_JOB)
    effect = TakesEffect.REEVALUATION_QUEUED if command.reevaluate else TakesEffect.NEXT_EVALUATION
    return Configured(tiers, command.policy, effect)


async def reevaluate_tiers(command: ReevaluateTiers, uow: UnitOfWork) -> TakesEffect:
    reason = _reason(command.reason)
    async with uow:
        if not await uow.connection.execute_query_dict(_REQUEST, [command.program.id, reason]):
            raise _not_configured()
        await jobs.enqueue(uow, EVALUATE_JOB, dedupe_key=EVALUATE_JOB)
    return TakesEffect.REEVALUATION_QUEUED


async def assign_tier(command: AssignTier, uow: UnitOfWork) -> int:
    """Put the member in a tier by hand, whatever it qualifies for, with a reason; the
    evaluation never downgrades it before `until` (an award may still lift it higher)."""
    require_external_id(command.external_id)
    reason = _reason(command.reason)
    if not is_tier_key(command.tier_key):
        raise _no_tier()
    async with uow:
        setup = await load_setup(uow.connection, command.program.id)
        if setup is None:
            raise _not_configured()
        if command.tier_key not in [tier.key for tier in setup.tiers]:
            raise _no_tier()
        rows = await uow.connection.execute_query_dict(
            _MEMBER, [command.program.id, command.external_id]
        )
        if not rows:
            raise InvalidInput(
                Problem(("externalId",), "No such member in this program.",
                        ErrorCode.MEMBER_NOT_FOUND)
            )  # fmt: skip
        row = rows[0]
        zone = ZoneInfo(setup.timezone)
        today = uow.now().astimezone(zone).date()
        if command.until is not None and command.until <= today:
            raise InvalidInput(
                Problem(("until",), "An assignment ends after today.", ErrorCode.INVALID_TIERS)
            )
        was = standing_from(row, setup)
        enrolled = row["created_at"].astimezone(zone).date()
        standing = Standing(
            setup.index(command.tier_key),
            next_moment(setup.policy, today, enrolled),
            assigned=True,
            assigned_until=command.until,
        )
        change = Change(row["id"], was.tier, standing, ChangeReason.ASSIGNED, reason, reason)
        await save(uow, command.program.id, setup, [change], actor=command.actor)
    return int(row["id"])


def _reason(text: str) -> str:
    reason = clean_text(text, max_length=REASON_MAX)
    if reason is None:
        raise InvalidInput(
            Problem(("reason",), f"A reason of 1-{REASON_MAX} characters is required.",
                    ErrorCode.INVALID_REASON)
        )  # fmt: skip
    return reason


def _no_tier() -> InvalidInput:
    return InvalidInput(
        Problem(("tierKey",), "No tier with this key in the program.", ErrorCode.TIER_NOT_FOUND)
    )


def _not_configured() -> InvalidInput:
    return InvalidInput(
        Problem((), "The program has no tiers yet.", ErrorCode.TIERS_NOT_CONFIGURED)
    )

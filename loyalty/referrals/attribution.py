"""Configuring referrals, members' codes, and attributing a referee to a referrer.

An attribution locks both members (ascending ids: backbone/locks.py) and judges the fraud rules
that make it invalid (domain/referrals.py). A refusal rolls its write back; its audit record is
then written in its own statement, so every refused attribution leaves one.
"""

from __future__ import annotations

from tortoise import connections

from backbone import idempotency
from backbone.uow import UnitOfWork
from domain.events import DomainEvent, MemberEnrolled, ReferralAttributed
from domain.members import require_external_id
from domain.referrals import (
    RULE_ERRORS,
    RULE_MESSAGES,
    Party,
    Rule,
    Settings,
    Verdict,
    judge_attribution,
    require_code,
    still_attributes,
    validate_settings,
)
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty.referrals import store
from loyalty.referrals.commands import (
    AttributeReferral,
    ConfigureReferrals,
    EnsureReferralCode,
    RegenerateReferralCode,
)

_CODE = """
SELECT c.member_id, c.retired_at FROM referral_code c
WHERE c.program_id = $1 AND c.code = $2
"""
_REFEREE_BY_EXTERNAL_ID = "SELECT id FROM member WHERE program_id = $1 AND external_id = $2"
_LOCK = """
SELECT id, status, email, external_id, created_at FROM member
WHERE program_id = $1 AND id = ANY($2::bigint[]) ORDER BY id FOR NO KEY UPDATE
"""
_EXISTING = "SELECT id, referrer_id, brought_by FROM referral WHERE referee_id = $1"
_HAS_ORDERED = "SELECT EXISTS (SELECT 1 FROM points_order WHERE member_id = $1) AS ordered"
_INSERT = """
INSERT INTO referral (program_id, referrer_id, referee_id, code, brought_by, status,
  referrer_points, referee_points, attributed_at)
VALUES ($1, $2, $3, $4, $5, 'PENDING', 0, 0, $6) RETURNING id
"""
_LOCK_MEMBER = "SELECT id FROM member WHERE program_id = $1 AND id = $2 FOR NO KEY UPDATE"


def not_configured() -> InvalidInput:
    return InvalidInput(
        Problem(
            (),
            "The program has no referral settings yet (configureReferrals).",
            ErrorCode.REFERRALS_NOT_CONFIGURED,
        )
    )


async def configure_referrals(command: ConfigureReferrals, uow: UnitOfWork) -> Settings:
    """Every problem at once: the rules' (domain) and rewards not of the program's catalog. A
    reward withdrawn now may be named: it is judged when a referral converts."""
    settings = command.settings
    problems: list[Problem] = []
    try:
        validate_settings(settings)
    except InvalidInput as refused:
        problems.extend(refused.problems)
    async with uow:
        named = {
            field: key
            for field, key in (
                ("referrerRewardId", settings.referrer_reward_id),
                ("refereeRewardId", settings.referee_reward_id),
            )
            if key is not None
        }
        found = await store.rewards_of_program(
            uow.connection, command.program.id, list(named.values())
        )
        problems.extend(
            Problem((field,), "No such reward in this program.", ErrorCode.REWARD_NOT_FOUND)
            for field, key in named.items()
            if key not in found
        )
        if problems:
            raise InvalidInput(*problems)
        await store.save_settings(uow.connection, command.program.id, settings, uow.now())
    return settings


class _Refused(Exception):
    def __init__(self, rule: Rule, referrer_id: int, referee_id: int) -> None:
        super().__init__(rule.value)
        self.rule, self.referrer_id, self.referee_id = rule, referrer_id, referee_id


def _unknown_code() -> InvalidInput:
    return InvalidInput(
        Problem(
            ("code",),
            "No referral code of this program attributes under this text.",
            ErrorCode.INVALID_REFERRAL_CODE,
        )
    )


async def attribute_referral(command: AttributeReferral, uow: UnitOfWork) -> int:
    """One referrer per referee, the first valid attribution wins; the same attribution again
    (the same code's member) answers the same referral."""
    code = require_code(command.code)
    if command.referee_external_id is not None:
        require_external_id(command.referee_external_id, ("refereeExternalId",))
    claim = None
    if command.idempotency_key is not None:
        claim = idempotency.claim_for(
            command,
            program_id=command.program.id,
            client=command.actor,
            key=command.idempotency_key,
            leave_out=("program", "actor"),
        )
    program_id = command.program.id
    try:
        async with uow:
            if claim is not None:
                replay = await uow.claim(claim)
                if replay is not None:
                    referral_id: int = replay["referral"]
                    return referral_id
            settings = await store.load_settings(uow.connection, program_id)
            if settings is None:
                raise not_configured()
            found = await uow.connection.execute_query_dict(_CODE, [program_id, code])
            referee_id = command.referee_member_id
            if referee_id is None:
                rows = await uow.connection.execute_query_dict(
                    _REFEREE_BY_EXTERNAL_ID, [program_id, command.referee_external_id]
                )
                if not rows:
                    raise InvalidInput(
                        Problem(
                            ("refereeExternalId",),
                            "No such member in this program.",
                            ErrorCode.MEMBER_NOT_FOUND,
                        )
                    )
                referee_id = rows[0]["id"]
            if not found:
                raise _unknown_code()
            referrer_id: int = found[0]["member_id"]
            locked = await uow.connection.execute_query_dict(
                _LOCK, [program_id, sorted({referrer_id, referee_id})]
            )
            now = uow.now()
            if not still_attributes(found[0]["retired_at"], now, settings.grace_days):
                raise _unknown_code()
            parties = {
                row["id"]: Party(
                    row["id"], row["status"], row["email"], row["external_id"], row["created_at"]
                )
                for row in locked
            }
            existing = await uow.connection.execute_query_dict(_EXISTING, [referee_id])
            if existing:
                # The same attribution again answers it, but only to whoever brought it: another
                # partner must not learn of (or read) a referral that is not its own.
                if (existing[0]["referrer_id"], existing[0]["brought_by"]) == (
                    referrer_id,
                    command.actor,
                ):
                    earlier: int = existing[0]["id"]
                    if claim is not None:
                        await uow.remember({"referral": earlier})
                    return earlier
                raise InvalidInput(
                    Problem(
                        ("code",),
                        "This member was already referred; the first referral stands.",
                        ErrorCode.ALREADY_REFERRED,
                    )
                )
            [ordered] = await uow.connection.execute_query_dict(_HAS_ORDERED, [referee_id])
            rule = judge_attribution(
                parties[referrer_id],
                parties[referee_id],
                has_ordered=ordered["ordered"],
                now=now,
                window_days=settings.window_days,
            )
            if rule is not None:
                raise _Refused(rule, referrer_id, referee_id)
            [row] = await uow.connection.execute_query_dict(
                _INSERT, [program_id, referrer_id, referee_id, code, command.actor, now]
            )
            referral_id = row["id"]
            uow.record(
                ReferralAttributed(
                    program_id=program_id,
                    member_id=referee_id,
                    referral_id=referral_id,
                    referrer_id=referrer_id,
                )
            )
            if claim is not None:
                await uow.remember({"referral": referral_id})
        return referral_id
    except _Refused as refused:
        await store.audit(
            connections.get("default"),
            program_id,
            rule=refused.rule.value,
            verdict=Verdict.INVALID.value,
            actor=command.actor,
            at=uow.now(),
            referrer_id=refused.referrer_id,
            referee_id=refused.referee_id,
            code=code,
        )
        raise InvalidInput(
            Problem(("code",), RULE_MESSAGES[refused.rule], RULE_ERRORS[refused.rule])
        ) from None


async def regenerate_code(command: RegenerateReferralCode, uow: UnitOfWork) -> str:
    async with uow:
        locked = await uow.connection.execute_query_dict(
            _LOCK_MEMBER, [command.program.id, command.member_id]
        )
        if not locked:
            raise InvalidInput(
                Problem((), "No such member in this program.", ErrorCode.MEMBER_NOT_FOUND)
            )
        now = uow.now()
        await store.retire_codes(uow.connection, command.member_id, now)
        return await store.add_code(uow.connection, command.program.id, command.member_id, now)


async def ensure_code(command: EnsureReferralCode, uow: UnitOfWork) -> str:
    """No member lock: the index of current codes lets one of concurrent makers insert, and
    the others read its code once it commits (store.add_code)."""
    async with uow:
        return await store.ensure_code(
            uow.connection, command.program.id, command.member_id, uow.now()
        )


async def on_enrolled(event: DomainEvent, uow: UnitOfWork) -> None:
    """Every member gets its code in the write that enrolls it."""
    assert isinstance(event, MemberEnrolled)
    await store.add_code(uow.connection, event.program_id, event.member_id, uow.now())

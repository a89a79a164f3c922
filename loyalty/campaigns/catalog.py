"""The admins' campaigns: created as DRAFTs, changed while DRAFT, scheduled, cancelled; and the
status moves time brings (SCHEDULED to RUNNING at startsAt, to ENDED at endsAt)."""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError

from backbone import idempotency
from backbone.uow import UnitOfWork
from domain import campaigns as rules
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty.campaigns.commands import (
    AdvanceCampaigns,
    CancelCampaign,
    CreateCampaign,
    ScheduleCampaign,
    UpdateCampaign,
)
from loyalty.campaigns.models import Campaign
from loyalty.campaigns.specs import columns, spec_of

# What a campaign names must be the program's own: a plain read of each area's table.
_SEGMENT = "SELECT 1 FROM segment WHERE id = $1 AND program_id = $2 AND archived_at IS NULL"
_SURVEY = "SELECT 1 FROM survey WHERE id = $1 AND program_id = $2"
_REWARD = "SELECT 1 FROM reward WHERE id = $1 AND program_id = $2"
_NAME_TAKEN = "SELECT 1 FROM campaign WHERE program_id = $1 AND name = $2 AND id <> $3"
_START = """
UPDATE campaign SET status = 'RUNNING', updated_at = $1
WHERE status = 'SCHEDULED' AND starts_at <= $1 AND (ends_at IS NULL OR ends_at > $1)
"""
_END = """
UPDATE campaign SET status = 'ENDED', updated_at = $1
WHERE status IN ('SCHEDULED', 'RUNNING') AND ends_at <= $1
"""


def not_found() -> InvalidInput:
    return InvalidInput(
        Problem(("id",), "No such campaign in the program.", ErrorCode.CAMPAIGN_NOT_FOUND)
    )


async def _check_references(uow: UnitOfWork, program_id: int, spec: rules.CampaignSpec) -> None:
    """The segment, survey and reward the spec names exist in the program; every miss at once."""
    problems: list[Problem] = []
    checks: list[tuple[str, int | None, str, str, ErrorCode]] = [
        (_SEGMENT, spec.segment_id, "segmentId", "segment", ErrorCode.SEGMENT_NOT_FOUND),
        (_SURVEY, spec.survey_id, "surveyId", "survey", ErrorCode.SURVEY_NOT_FOUND),
        (
            _REWARD,
            spec.offer.reward_id if spec.offer else None,
            "offer.rewardId",
            "reward",
            ErrorCode.REWARD_NOT_FOUND,
        ),
    ]
    for sql, key, field, what, code in checks:
        if key is not None and not await uow.connection.execute_query_dict(sql, [key, program_id]):
            problems.append(
                Problem(tuple(field.split(".")), f"No such {what} in the program.", code)
            )
    if problems:
        raise InvalidInput(*problems)


def _name_taken() -> InvalidInput:
    return InvalidInput(
        Problem(
            ("name",),
            "Another campaign of the program has this name.",
            ErrorCode.CAMPAIGN_NAME_TAKEN,
        )
    )


async def _check_name(uow: UnitOfWork, program_id: int, name: str, campaign_id: int) -> None:
    if await uow.connection.execute_query_dict(_NAME_TAKEN, [program_id, name, campaign_id]):
        raise _name_taken()


def _clash(clash: IntegrityError) -> InvalidInput | None:
    """A write that lost a race for its name to a concurrent one (the (program_id, name) key,
    checked by the database once the other committed): CAMPAIGN_NAME_TAKEN; else None."""
    return _name_taken() if "campaign_program_name" in str(clash) else None


async def create_campaign(command: CreateCampaign, uow: UnitOfWork) -> int:
    spec = rules.check_campaign(command.spec)
    claim = idempotency.claim_for(
        command,
        program_id=command.program_id,
        client=command.actor,
        key=command.idempotency_key,
        leave_out=("actor",),
    )
    try:
        async with uow:
            replay = await uow.claim(claim)
            if replay is not None:
                replayed: int = replay["campaignId"]
                return replayed
            await _check_references(uow, command.program_id, spec)
            await _check_name(uow, command.program_id, spec.name, 0)
            now = uow.now()
            campaign = await Campaign.create(
                using_db=uow.connection,
                program_id=command.program_id,
                status=rules.Status.DRAFT.value,
                **columns(spec),
                created_at=now,
                updated_at=now,
            )
            key: int = campaign.id
            await uow.remember({"campaignId": key})
    except IntegrityError as clash:
        raise _clash(clash) or clash from clash
    return key


async def _locked(uow: UnitOfWork, program_id: int, campaign_id: int) -> Campaign:
    found = (
        await Campaign.select_for_update(no_key=True)
        .using_db(uow.connection)
        .get_or_none(id=campaign_id, program_id=program_id)
    )
    if found is None:
        raise not_found()
    return found


async def _save(uow: UnitOfWork, campaign: Campaign, changes: dict[str, Any]) -> int:
    for name, value in changes.items():
        setattr(campaign, name, value)
    campaign.updated_at = uow.now()
    await campaign.save(using_db=uow.connection, update_fields=[*changes, "updated_at"])
    key: int = campaign.id
    return key


async def update_campaign(command: UpdateCampaign, uow: UnitOfWork) -> int:
    spec = rules.check_campaign(command.spec)
    try:
        async with uow:
            campaign = await _locked(uow, command.program_id, command.campaign_id)
            rules.editable(rules.Status(campaign.status))
            await _check_references(uow, command.program_id, spec)
            await _check_name(uow, command.program_id, spec.name, campaign.id)
            return await _save(uow, campaign, columns(spec))
    except IntegrityError as clash:
        raise _clash(clash) or clash from clash


async def schedule_campaign(command: ScheduleCampaign, uow: UnitOfWork) -> int:
    async with uow:
        campaign = await _locked(uow, command.program_id, command.campaign_id)
        status = rules.scheduled(rules.Status(campaign.status), spec_of(campaign), uow.now())
        return await _save(uow, campaign, {"status": status.value})


async def cancel_campaign(command: CancelCampaign, uow: UnitOfWork) -> int:
    async with uow:
        campaign = await _locked(uow, command.program_id, command.campaign_id)
        status = rules.cancelled(rules.Status(campaign.status))
        return await _save(uow, campaign, {"status": status.value})


async def advance_campaigns(command: AdvanceCampaigns, uow: UnitOfWork) -> None:
    async with uow:
        now = uow.now()
        await uow.connection.execute_query(_END, [now])
        await uow.connection.execute_query(_START, [now])

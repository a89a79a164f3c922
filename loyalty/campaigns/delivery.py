"""A batch of one campaign's decisions, in one unit of work: each member's arm, consent's one
message check, and the delivery row, message, event and offer that follow.

Each decision is made once per (campaign, member, occasion): the row is inserted ON CONFLICT DO
NOTHING on that key, before anything it causes, so a second worker deciding the same member at
the same time waits on the key until the first commits, then finds it taken and does nothing;
the message is recorded (what frequency caps count) and the event appended in the same
transaction. Decisions that send nothing are inserted together at the end of the batch (one
statement), a message's at once (the member's next decision must count it under its cap).
A DEFERRED row is decided again by a conditional UPDATE, which a concurrent
re-decision finds no longer DEFERRED. Members are locked in id order first, so decisions of
different campaigns for one member are serialised and its weekly cap holds exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backbone.uow import UnitOfWork
from consent.published import may_message, may_use_many, record_message, record_reads
from domain import campaign_delivery as delivery
from domain import campaigns as rules
from domain.campaign_delivery import DeliveryStatus, SkipReason
from domain.consent import PROFILING, DataCategory
from domain.events import CampaignMessageDue
from domain.experiments import HOLDOUT, assign
from domain.preferences import Channel
from loyalty.campaigns.commands import DeliverCampaign, Target
from loyalty.campaigns.delivered import Delivered
from loyalty.campaigns.models import Campaign
from loyalty.campaigns.offers import grant_on_delivery
from loyalty.campaigns.specs import arms_of

ACTOR = "system:campaigns"
_LOCK_MEMBERS = """
SELECT id FROM member WHERE id = ANY($1::bigint[]) AND program_id = $2 AND status = 'ACTIVE'
ORDER BY id FOR NO KEY UPDATE
"""
_SEGMENT_BEHAVIOURAL = "SELECT behavioural FROM segment WHERE id = $1"
_INSERT = """
INSERT INTO campaign_delivery (program_id, campaign_id, member_id, occasion, arm, status, reason,
  due_at, delivered_at, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (campaign_id, member_id, occasion) DO NOTHING RETURNING id
"""
_INSERT_MANY = """
INSERT INTO campaign_delivery (program_id, campaign_id, member_id, occasion, arm, status, reason,
  due_at, delivered_at, created_at)
SELECT $1, $2, d.member_id, d.occasion, d.arm, d.status, d.reason, d.due_at, d.delivered_at, $10
FROM unnest($3::bigint[], $4::varchar[], $5::varchar[], $6::varchar[], $7::varchar[],
  $8::timestamptz[], $9::timestamptz[]) d(member_id, occasion, arm, status, reason, due_at,
  delivered_at)
ON CONFLICT (campaign_id, member_id, occasion) DO NOTHING RETURNING id, member_id, occasion
"""
_REDECIDE = """
UPDATE campaign_delivery SET status = $2, reason = $3, due_at = $4, delivered_at = $5
WHERE id = $1 AND status = 'DEFERRED' AND due_at <= $6 RETURNING id
"""


async def deliver(command: DeliverCampaign, uow: UnitOfWork) -> Delivered:
    done = Delivered()
    async with uow:
        connection = uow.connection
        targets = sorted(command.targets, key=lambda target: target.member_id)
        members = sorted({target.member_id for target in targets})
        rows = await connection.execute_query_dict(_LOCK_MEMBERS, [members, command.program_id])
        active = {row["id"] for row in rows}
        campaign = await Campaign.get_or_none(
            id=command.campaign_id, program_id=command.program_id, using_db=connection
        )
        now = uow.now()
        if campaign is None or campaign.status != rules.Status.RUNNING:
            return done
        if campaign.ends_at is not None and campaign.ends_at <= now:
            return done
        reachable = active
        if await _behavioural(uow, campaign):
            # Judged again here, in the write: a withdrawal committed since the page was read
            # keeps the member out (its DEFERRED deliveries are closed, SKIPPED, never sent).
            reachable = await may_use_many(
                connection, campaign.program_id, sorted(active), PROFILING
            )
            await record_reads(
                connection, program_id=campaign.program_id, member_ids=sorted(reachable),
                purpose=PROFILING, categories=(DataCategory.PURCHASE_HISTORY,), actor=ACTOR,
                reason=f"campaign {campaign.id} targeting", at=now, once_a_day=True,
            )  # fmt: skip
        batch = _Batch()
        for target in targets:
            if target.member_id in reachable:
                status = await _decide(uow, campaign, target, batch)
                if status is not None:
                    done.counts[status] += 1
            elif target.deferred_id is not None:
                # Deferred, then suspended or out of profiling consent: never sent, closed.
                reason = (
                    SkipReason.NO_PROFILING if target.member_id in active else SkipReason.NOT_ACTIVE
                )
                if await connection.execute_query_dict(
                    _REDECIDE,
                    [
                        target.deferred_id,
                        DeliveryStatus.SKIPPED.value,
                        reason.value,
                        now,
                        None,
                        now,
                    ],
                ):
                    done.counts[DeliveryStatus.SKIPPED] += 1
        done.counts.update(await batch.insert(uow, campaign))
    return done


async def _behavioural(uow: UnitOfWork, campaign: Campaign) -> bool:
    segment_behavioural = False
    if campaign.segment_id is not None:
        rows = await uow.connection.execute_query_dict(_SEGMENT_BEHAVIOURAL, [campaign.segment_id])
        segment_behavioural = bool(rows and rows[0]["behavioural"])
    return rules.behavioural(rules.Trigger(campaign.trigger), segment_behavioural)


@dataclass
class _Batch:
    """First decisions that send nothing (held out, offered, skipped, deferred): inserted in
    one statement at the end of the batch, in member order like every other lock here."""

    decisions: list[tuple[Target, str, delivery.Decision]] = field(default_factory=list)

    async def insert(self, uow: UnitOfWork, campaign: Campaign) -> list[delivery.DeliveryStatus]:
        if not self.decisions:
            return []
        now = uow.now()
        columns: list[list[Any]] = [[], [], [], [], [], [], []]
        for target, arm, decision in self.decisions:
            values = (
                target.member_id, target.occasion, arm, decision.status.value,
                decision.reason.value if decision.reason else None, decision.due_at,
                now if decision.reaches else None,
            )  # fmt: skip
            for column, value in zip(columns, values, strict=True):
                column.append(value)
        inserted = await uow.connection.execute_query_dict(
            _INSERT_MANY, [campaign.program_id, campaign.id, *columns, now]
        )
        made = {(row["member_id"], row["occasion"]): row["id"] for row in inserted}
        statuses = []
        for target, _, decision in self.decisions:
            delivery_id = made.get((target.member_id, target.occasion))
            if delivery_id is None:
                continue  # another run decided it first
            if decision.reaches:
                await grant_on_delivery(uow, campaign, target.member_id, delivery_id)
            statuses.append(decision.status)
        return statuses


async def _decide(
    uow: UnitOfWork, campaign: Campaign, target: Target, batch: _Batch
) -> delivery.DeliveryStatus | None:
    """One member's decision: made now when it sends a message (the next decision for the
    member must see it under its weekly cap) or decides a DEFERRED row again, else added to
    `batch`. None when another run made it first, or it waits in the batch."""
    connection, now = uow.connection, uow.now()
    arm = target.arm or assign(
        campaign.id, target.member_id, arms_of(campaign), campaign.holdout_percent
    )
    channel = Channel(campaign.channel) if campaign.channel else None
    check = None
    if channel is not None and arm != HOLDOUT:
        check = await may_message(connection, campaign.program_id, target.member_id, channel, now)
    decision = delivery.decide(
        arm=arm,
        verdict=check.decision.verdict if check else None,
        preferences=check.preferences if check else None,
        now=now,
    )
    reason = decision.reason.value if decision.reason else None
    delivered_at = now if decision.reaches else None
    if target.deferred_id is not None:
        updated = await connection.execute_query_dict(
            _REDECIDE,
            [target.deferred_id, decision.status.value, reason, decision.due_at, delivered_at, now],
        )
        if not updated:
            return None
        delivery_id = target.deferred_id
    elif decision.status is delivery.DeliveryStatus.SENT:
        inserted = await connection.execute_query_dict(
            _INSERT,
            [
                campaign.program_id, campaign.id, target.member_id, target.occasion, arm,
                decision.status.value, reason, decision.due_at, delivered_at, now,
            ],
        )  # fmt: skip
        if not inserted:
            return None
        delivery_id = inserted[0]["id"]
    else:
        batch.decisions.append((target, arm, decision))
        return None
    if decision.status is delivery.DeliveryStatus.SENT:
        assert channel is not None
        assert campaign.template_key is not None
        await record_message(connection, campaign.program_id, target.member_id, channel, now)
        uow.record(
            CampaignMessageDue(
                program_id=campaign.program_id, member_id=target.member_id,
                campaign_id=campaign.id, delivery_id=delivery_id, channel=channel.value,
                template_key=campaign.template_key, arm=arm, occasion=target.occasion,
                survey_id=campaign.survey_id, sku=delivery.reorder_sku(target.occasion),
            )
        )  # fmt: skip
    if decision.reaches:
        await grant_on_delivery(uow, campaign, target.member_id, delivery_id)
    return decision.status

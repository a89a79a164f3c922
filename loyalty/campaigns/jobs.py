"""The campaign delivery job (`campaigns.deliver`, every minute): statuses moved by time, then
for each RUNNING campaign its DEFERRED deliveries that came due and its new targets, in bounded
batches (keyset pages), each batch one unit of work (delivery.py).

Runs that overlap (two workers, or `loyalty jobs run` beside one) read the same pages and both
try; the one-decision key makes the second find every member decided and do nothing.
"""

from __future__ import annotations

from tortoise import connections

from backbone.bus import MessageBus
from domain import campaigns as rules
from loyalty.campaigns.commands import AdvanceCampaigns, DeliverCampaign, Target
from loyalty.campaigns.delivered import Delivered
from loyalty.campaigns.models import Campaign
from loyalty.campaigns.targets import deferred_page, targets_page

EVERY_MINUTE = "* * * * *"
BATCH = 200
# After a pass decides this many members, the delivery table's statistics are refreshed at once:
# the next pass's anti-join against it must not be planned on counts from before the bulk write
# (autovacuum may take minutes; a plan for an empty table re-scans 10,000 fresh rows per page).
ANALYZE_AFTER = 1_000


async def deliver_due(bus: MessageBus) -> Delivered:
    """One pass over every RUNNING campaign: what it decided, by status."""
    await bus.handle(AdvanceCampaigns())
    done = Delivered()
    running = await Campaign.filter(status=rules.Status.RUNNING.value).order_by("id")
    for campaign in running:
        decided = Delivered()
        decided.add(await _deferred(bus, campaign))
        decided.add(await _new(bus, campaign))
        if decided.total() >= ANALYZE_AFTER:
            await connections.get("default").execute_script("ANALYZE campaign_delivery")
        done.add(decided)
    return done


async def _batch(bus: MessageBus, campaign: Campaign, targets: list[Target]) -> Delivered:
    return await bus.handle(
        DeliverCampaign(
            program_id=campaign.program_id, campaign_id=campaign.id, targets=tuple(targets)
        )
    )


async def _deferred(bus: MessageBus, campaign: Campaign) -> Delivered:
    done, after = Delivered(), 0
    while True:
        page = await deferred_page(
            connections.get("default"), campaign.id, after_id=after, limit=BATCH,
            now=bus.clock.now(),
        )  # fmt: skip
        if page:
            done.add(await _batch(bus, campaign, page))
            after = page[-1].deferred_id or after
        if len(page) < BATCH:
            return done


async def _new(bus: MessageBus, campaign: Campaign) -> Delivered:
    done, after = Delivered(), (0, "")
    while True:
        page = await targets_page(
            connections.get("default"), campaign, after=after, limit=BATCH, now=bus.clock.now()
        )
        if page:
            done.add(await _batch(bus, campaign, page))
            after = (page[-1].member_id, page[-1].occasion)
        if page is None or len(page) < BATCH:
            return done

"""The campaigns area's part of the composition root: the admins' campaign commands, the
delivery batch, the delivery job, and the member's deliveries (and campaign gifts) in its
export and erasure."""

from __future__ import annotations

from backbone.bus import Registry
from backbone.jobs import Job
from domain.events import MemberErased
from loyalty.campaigns import catalog, commands, delivery, jobs, offers, privacy


def registry() -> Registry:
    part = Registry()
    part.command(commands.CreateCampaign, catalog.create_campaign)
    part.command(commands.UpdateCampaign, catalog.update_campaign)
    part.command(commands.ScheduleCampaign, catalog.schedule_campaign)
    part.command(commands.CancelCampaign, catalog.cancel_campaign)
    part.command(commands.AdvanceCampaigns, catalog.advance_campaigns)
    part.command(commands.DeliverCampaign, delivery.deliver)
    part.jobs.append(Job("campaigns.deliver", jobs.EVERY_MINUTE, jobs.deliver_due))
    part.react(MemberErased, privacy.forget_member)
    part.exports.append(privacy.export_part)
    part.exports.append(offers.export_part)
    return part

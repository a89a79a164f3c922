"""The gifts area's part of the composition root: configureGift, the welcome gift inside the
enrolment, the relay consumer of surprises and thank-yous (which also undoes them), the two gift jobs, and the member's
gifts in its export."""

from __future__ import annotations

from backbone.bus import Registry
from backbone.jobs import Job
from domain.events import MemberEnrolled
from loyalty.gifts import commands, jobs, reads, settings, triggers


def registry() -> Registry:
    part = Registry()
    part.command(commands.ConfigureGift, settings.configure_gift)
    part.command(commands.GiveGift, jobs.give_gift)
    part.command(commands.ClaimYearlyGifts, triggers.claim_yearly)
    part.react(MemberEnrolled, triggers.on_enrolled)
    part.writers.append(triggers.consumer())
    part.jobs.append(Job("gifts.yearly", jobs.HOURLY, jobs.yearly_gifts))
    part.jobs.append(Job("gifts.give", jobs.EVERY_MINUTE, jobs.give_pending))
    part.exports.append(reads.export_part)
    return part

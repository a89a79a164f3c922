"""The referrals area's part of the composition root: its commands, a code for every member at
enrolment, conversions and clawbacks inside the ledger writes that cause them, the expiry job,
and its part of a member's export."""

from __future__ import annotations

from backbone.bus import Registry
from backbone.jobs import Job
from domain.events import MemberEnrolled, PointsEarned, PointsReversed
from loyalty.referrals import attribution, commands, conversion, expiry, reads, review


def registry() -> Registry:
    part = Registry()
    part.command(commands.ConfigureReferrals, attribution.configure_referrals)
    part.command(commands.AttributeReferral, attribution.attribute_referral)
    part.command(commands.RegenerateReferralCode, attribution.regenerate_code)
    part.command(commands.EnsureReferralCode, attribution.ensure_code)
    part.command(commands.ReviewReferral, review.review_referral)
    part.react(MemberEnrolled, attribution.on_enrolled)
    part.react(PointsEarned, conversion.on_earned)
    part.react(PointsReversed, conversion.on_reversed)
    part.command(expiry.ExpireReferrals, expiry.expire_batch)
    part.jobs.append(Job("referrals.expire", expiry.HOURLY, expiry.expire_due))
    part.exports.append(reads.export_part)
    return part

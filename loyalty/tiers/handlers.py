"""The tiers area's part of the composition root: its commands, its reactions to the ledger's
events (inside the writes that record them) and its daily evaluation job."""

from __future__ import annotations

from backbone.bus import Registry
from backbone.jobs import Job
from domain.events import PointsEarned, PointsReversed
from loyalty.tiers import commands, config, evaluation, qualify

# After midnight UTC: moments are dates, and a day late at most is what a member waits.
DAILY = "15 0 * * *"


def registry() -> Registry:
    part = Registry()
    part.command(commands.ConfigureTiers, config.configure_tiers)
    part.command(commands.ReevaluateTiers, config.reevaluate_tiers)
    part.command(commands.AssignTier, config.assign_tier)
    part.react(PointsEarned, qualify.on_earned)
    part.react(PointsReversed, qualify.on_reversed)
    part.jobs.append(Job(config.EVALUATE_JOB, DAILY, evaluation.run_evaluation))
    return part

"""The rewards area's part of the composition root: its command handlers and its job."""

from __future__ import annotations

from backbone.bus import Registry
from backbone.jobs import Job
from loyalty.rewards import catalog, commands, holds, jobs, redeeming

# A hold is past its time at most a minute before its points and stock are back.
EVERY_MINUTE = "* * * * *"


def registry() -> Registry:
    part = Registry()
    part.command(commands.CreateReward, catalog.create_reward)
    part.command(commands.UpdateReward, catalog.update_reward)
    part.command(commands.ImportCodes, catalog.import_codes)
    part.command(commands.ConfigureRewards, catalog.configure_rewards)
    part.command(commands.RedeemReward, redeeming.redeem_reward)
    part.command(commands.ConfirmRedemption, holds.confirm_redemption)
    part.command(commands.CancelRedemption, holds.cancel_redemption)
    part.command(commands.MarkCodeUsed, holds.mark_code_used)
    part.command(commands.ReleaseExpiredHolds, holds.release_expired_holds)
    part.jobs.append(Job("rewards.release_expired_holds", EVERY_MINUTE, jobs.release_due))
    return part

"""The loyalty area's part of the composition root: which handler serves each command."""

from __future__ import annotations

from backbone.bus import Registry
from backbone.jobs import Job
from domain.events import MemberErased
from loyalty import commands, erasure, export_parts, members, programs
from loyalty.points import commands as points
from loyalty.points import config, earning, jobs, returns, spending

# Points fall due at any moment; a minute late is the most a member waits to see them settle
# (and every write settles its member first anyway).
EVERY_MINUTE = "* * * * *"


def registry() -> Registry:
    part = Registry()
    part.command(commands.CreateProgram, programs.create_program)
    part.command(commands.UpdateProgram, programs.update_program)
    part.command(commands.ConfigurePoints, config.configure_points)
    part.command(commands.EnrollMember, members.enroll_member)
    part.command(commands.UpdateMember, members.update_member)
    part.command(points.AwardOrder, earning.award_order)
    part.command(points.AwardEvent, earning.award_event)
    part.command(points.AwardManual, earning.award_manual)
    part.command(points.RedeemPoints, spending.redeem_points)
    part.command(points.AdjustPoints, spending.adjust_points)
    part.command(points.ReverseOrder, returns.reverse_order)
    part.command(points.SettleMember, jobs.settle_member)
    part.jobs.append(Job("points.settle", EVERY_MINUTE, jobs.run_due))
    part.react(MemberErased, erasure.forget_member)
    part.exports.extend(export_parts.PARTS)
    return part

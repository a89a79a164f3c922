"""The insights area's part of the composition root: the segment writes, the RFM scores (a daily
job, also a command for admins and tests), forgetting an erased member's scores, and a member's
scores and segments in its export."""

from __future__ import annotations

from backbone.bus import Registry
from backbone.jobs import Job
from domain.events import MemberErased
from loyalty.insights import commands, jobs, member_data, segment_writes


def registry() -> Registry:
    part = Registry()
    part.command(commands.CreateSegment, segment_writes.create_segment)
    part.command(commands.UpdateSegment, segment_writes.update_segment)
    part.command(commands.ArchiveSegment, segment_writes.archive_segment)
    part.command(commands.RecomputeRfm, jobs.recompute_rfm)
    part.jobs.append(Job("insights.rfm", jobs.DAILY, jobs.rfm_for_all_programs))
    part.react(MemberErased, member_data.forget_scores)
    part.exports.append(member_data.export_part)
    return part

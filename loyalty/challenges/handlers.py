"""The challenges area's part of the composition root: the catalog's commands, joining, and the
relay consumer that turns the event log into progress, completions and rewards, and its part
of a member's export."""

from __future__ import annotations

from backbone.bus import Registry
from loyalty.challenges import catalog, commands, progress, reads


def registry() -> Registry:
    part = Registry()
    part.command(commands.CreateBadge, catalog.create_badge)
    part.command(commands.CreateChallenge, catalog.create_challenge)
    part.command(commands.UpdateChallenge, catalog.update_challenge)
    part.command(commands.JoinChallenge, catalog.join_challenge)
    part.writers.append(progress.consumer())
    part.exports.append(reads.export_part)
    return part

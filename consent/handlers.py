"""The consent area's part of the composition root: its commands and its reaction to new
programs (the default purposes, in the write that creates the program)."""

from __future__ import annotations

from backbone.bus import Registry
from consent import commands, ledger, preferences
from domain.events import ProgramCreated


def registry() -> Registry:
    part = Registry()
    part.command(commands.UpdateConsents, ledger.update_consents)
    part.command(commands.CreatePurpose, ledger.create_purpose)
    part.command(commands.PublishPolicyVersion, ledger.publish_policy_version)
    part.command(commands.UpdatePreferences, preferences.update_preferences)
    part.react(ProgramCreated, ledger.seed_purposes)
    return part

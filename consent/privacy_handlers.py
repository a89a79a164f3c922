"""The privacy part of the composition root: export and erasure requests."""

from __future__ import annotations

from backbone.bus import Registry
from consent import erasure, export, privacy_export


def registry() -> Registry:
    part = Registry()
    part.command(export.RequestExport, export.request_export)
    part.command(erasure.EraseMember, erasure.erase_member)
    part.exports.extend(privacy_export.PARTS)
    return part

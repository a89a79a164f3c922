"""What clients and jobs ask of the insights area (scores and segments), one command each."""

from __future__ import annotations

from dataclasses import dataclass

from backbone.bus import Command
from domain.segments import SegmentDetails
from loyalty.insights.rfm import RfmReport


@dataclass(frozen=True, slots=True, kw_only=True)
class RecomputeRfm(Command[RfmReport]):
    """Score the program's consenting members now (the daily job runs it per program)."""

    program_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateSegment(Command[int]):
    """A new segment of the program: its id. `idempotency_key` (optional) makes a retry
    answer the segment the first call created."""

    program_id: int
    actor: str
    details: SegmentDetails
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateSegment(Command[None]):
    """Replace a live segment's name, description, rules and visibility."""

    program_id: int
    segment_id: int
    details: SegmentDetails


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchiveSegment(Command[None]):
    """Archive a segment: it holds nobody from now on and can no longer be changed (again: no-op)."""

    program_id: int
    segment_id: int

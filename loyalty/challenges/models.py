"""Tortoise models of the challenge tables (created by Alembic revisions 0018 and 0021).

Rows are written with SQL by loyalty/challenges/ (progress under the member's lock, in the
relay's transaction); these classes describe the schema to the ORM and to the drift test.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from domain.challenge_undoing import SUBJECT_MAX
from domain.challenges import DESCRIPTION_MAX, EVENT_TYPE_MAX, FIELD_MAX, NAME_MAX
from domain.rewards import IMAGE_URL_MAX
from loyalty.models import TORTOISE_APP, member_fk, program_fk


def _fk(model: str) -> Any:
    return fields.ForeignKeyField(
        f"{TORTOISE_APP}.{model}", related_name=False, on_delete=fields.RESTRICT
    )


def _optional_fk(model: str) -> Any:
    return fields.ForeignKeyField(
        f"{TORTOISE_APP}.{model}", related_name=False, on_delete=fields.RESTRICT, null=True
    )


class Badge(Model):
    """A badge of the program, given by completing a challenge that names it."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    name = fields.CharField(max_length=NAME_MAX)
    description = fields.CharField(max_length=DESCRIPTION_MAX)
    image_url = fields.CharField(max_length=IMAGE_URL_MAX)
    created_at = fields.DatetimeField()

    class Meta:
        table = "badge"


class Challenge(Model):
    """A goal over the event log (domain/challenges.py), its window, enrolment and reward."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    name = fields.CharField(max_length=NAME_MAX)
    description = fields.CharField(max_length=DESCRIPTION_MAX)
    goal_kind = fields.CharField(max_length=16)
    target = fields.DecimalField(max_digits=20, decimal_places=4)
    event_type = fields.CharField(max_length=EVENT_TYPE_MAX)
    matches: Any = fields.JSONField()  # [[field, equals], ...]
    counts_for = fields.CharField(max_length=FIELD_MAX, null=True)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    enrolment = fields.CharField(max_length=16)
    reward_points = fields.IntField()
    badge = _optional_fk("Badge")
    badge_id: int | None
    active = fields.BooleanField()
    completions = fields.IntField()  # kept by each completing transaction
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "challenge"
        indexes = (("program_id", "event_type"),)


class ChallengeEnrolment(Model):
    """A member taking part: its progress, and when it completed (once)."""

    id = fields.BigIntField(primary_key=True)
    challenge = _fk("Challenge")
    challenge_id: int
    member = member_fk()
    member_id: int
    progress = fields.DecimalField(max_digits=20, decimal_places=4)
    joined_at = fields.DatetimeField()
    completed_at = fields.DatetimeField(null=True)
    # The lot the completion's reward points went to: a reverted completion takes them back first.
    reward_lot = _optional_fk("PointsLot")
    reward_lot_id: int | None

    class Meta:
        table = "challenge_enrolment"
        unique_together = (("challenge", "member"),)
        indexes = (("member_id",),)


class ChallengeContribution(Model):
    """One event that counted toward an enrolment: an event delivered twice counts once."""

    id = fields.BigIntField(primary_key=True)
    challenge_enrolment = _fk("ChallengeEnrolment")
    challenge_enrolment_id: int
    event_id = fields.BigIntField()
    bucket = fields.CharField(max_length=7)  # the local month (YYYY-MM) of order goals, else ''
    amount = fields.DecimalField(max_digits=20, decimal_places=4)  # negative: a return's
    units = fields.IntField()  # +1 an event counted, -1 an event undid one, 0 a partial return
    subject = fields.CharField(max_length=SUBJECT_MAX, null=True)  # `order:<id>`, `post:<id>`

    class Meta:
        table = "challenge_contribution"
        unique_together = (("challenge_enrolment", "event_id"),)
        by_subject = Index(fields=("subject",))
        by_subject.extra = " WHERE subject IS NOT NULL"
        indexes = (by_subject,)


class MemberBadge(Model):
    """A badge a member holds (once per badge), and the challenge that gave it."""

    id = fields.BigIntField(primary_key=True)
    member = member_fk()
    member_id: int
    badge = _fk("Badge")
    badge_id: int
    challenge = _fk("Challenge")
    challenge_id: int
    awarded_at = fields.DatetimeField()

    class Meta:
        table = "member_badge"
        unique_together = (("member", "badge"),)

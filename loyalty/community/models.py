"""Tortoise models of the community tables (created by Alembic revision 0017).

Rows are written with SQL by loyalty/community/ (a post's changes under its author's member
lock); these classes describe the schema to the ORM and to the drift test.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from domain.community import REASON_MAX, TITLE_MAX
from domain.earning import REFERENCE_MAX
from domain.validation import ACTOR_MAX
from loyalty.models import TORTOISE_APP, Program, member_fk, program_fk

SUBJECT_MAX = 160  # "sku:" + a SKU, or "reward:" + a reward key


def _post() -> Any:
    return fields.ForeignKeyField(
        f"{TORTOISE_APP}.CommunityPost", related_name=False, on_delete=fields.RESTRICT
    )


class CommunitySettings(Model):
    """A program's community settings (configureCommunity); no row: the defaults."""

    id = fields.BigIntField(primary_key=True)
    program: fields.OneToOneRelation[Program] = fields.OneToOneField(
        f"{TORTOISE_APP}.Program", related_name=False, on_delete=fields.RESTRICT
    )
    program_id: int
    requires_approval = fields.BooleanField()
    posts_per_day = fields.IntField()
    reactions_per_hour = fields.IntField()
    reports_per_day = fields.IntField()
    helpful_threshold = fields.IntField()
    daily_points_cap = fields.IntField(null=True)
    weekly_points_cap = fields.IntField(null=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "community_settings"


class CommunityPost(Model):
    """A member's review, tip, question or answer, with its moderation and what it earned."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    member = member_fk()
    member_id: int
    kind = fields.CharField(max_length=16)
    status = fields.CharField(max_length=16)
    title = fields.CharField(max_length=TITLE_MAX, null=True)
    body = fields.TextField()
    rating = fields.IntField(null=True)
    sku = fields.CharField(max_length=REFERENCE_MAX, null=True)
    reward: Any = fields.ForeignKeyField(
        f"{TORTOISE_APP}.Reward", related_name=False, on_delete=fields.RESTRICT, null=True
    )
    reward_id: int | None
    question: Any = fields.ForeignKeyField(
        f"{TORTOISE_APP}.CommunityPost", related_name=False, on_delete=fields.RESTRICT, null=True
    )
    question_id: int | None
    reject_reason = fields.CharField(max_length=REASON_MAX, null=True)
    helpful_count = fields.IntField()
    like_count = fields.IntField()
    open_reports = fields.IntField()
    helpful_at = fields.DatetimeField(null=True)  # when it reached the helpfulness threshold
    # The contribution's EARN entry and points (0: none, or none left under the caps), and the
    # helpfulness bonus's, so a removal reverses exactly what the post earned.
    points_entry_id = fields.BigIntField(null=True)
    points = fields.IntField()
    bonus_entry_id = fields.BigIntField(null=True)
    bonus_points = fields.IntField()
    moderated_by = fields.CharField(max_length=ACTOR_MAX, null=True)
    moderated_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "community_post"
        indexes = (("program", "status", "id"), ("member", "id"))


class CommunityReaction(Model):
    """One member's reaction of one kind to one post: a unique key makes it once."""

    id = fields.BigIntField(primary_key=True)
    post = _post()
    post_id: int
    member = member_fk()
    member_id: int
    kind = fields.CharField(max_length=16)
    created_at = fields.DatetimeField()

    class Meta:
        table = "community_reaction"
        unique_together = (("post", "member", "kind"),)


class CommunityReport(Model):
    """A member's report of a post as abusive (once per member and post), open until moderated."""

    id = fields.BigIntField(primary_key=True)
    post = _post()
    post_id: int
    member = member_fk()
    member_id: int
    reason = fields.CharField(max_length=REASON_MAX, null=True)
    created_at = fields.DatetimeField()
    resolved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "community_report"
        unique_together = (("post", "member"),)


class CommunityReviewStats(Model):
    """The approved reviews of one SKU or reward: how many and the sum of their ratings."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    subject = fields.CharField(max_length=SUBJECT_MAX)
    review_count = fields.IntField()
    rating_sum = fields.BigIntField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "community_review_stats"
        unique_together = (("program", "subject"),)

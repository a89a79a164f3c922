"""The feedback area's part of the composition root: surveys (admins), submitFeedback
(members), erasure of a member's text answers, and its responses in the member's export.

The thank-you for an answer is no code of this area: a THANK_YOU gift configured on
`feedback.submitted` is given by the gifts engine, once per response (loyalty/gifts/triggers.py).
"""

from __future__ import annotations

from backbone.bus import Registry
from backbone.uow import UnitOfWork
from domain.events import DomainEvent, MemberErased
from loyalty.feedback import catalog, commands, reads, submitting

# An erased member's responses stay as answers of nobody (its member row is pseudonymised), so
# results still add up; the words it wrote go.
_FORGET_TEXTS = """
UPDATE survey_answer SET text = NULL
WHERE text IS NOT NULL AND response_id IN (SELECT id FROM survey_response WHERE member_id = $1)
"""


async def forget_member(event: DomainEvent, uow: UnitOfWork) -> None:
    assert isinstance(event, MemberErased)
    await uow.connection.execute_query(_FORGET_TEXTS, [event.member_id])


def registry() -> Registry:
    part = Registry()
    part.command(commands.CreateSurvey, catalog.create_survey)
    part.command(commands.UpdateSurvey, catalog.update_survey)
    part.command(commands.ChangeSurveyStatus, catalog.change_status)
    part.command(commands.SubmitFeedback, submitting.submit_feedback)
    part.react(MemberErased, forget_member)
    part.exports.append(reads.export_part)
    return part

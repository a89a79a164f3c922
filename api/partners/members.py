"""What a partner may read of a member: only members it brought in (the referees of referrals it
attributed) or that consented to `partner_sharing`; their personal data only with that consent,
and every such read recorded in the member's data-usage log (once a day per partner)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from tortoise import connections

from api.context import Context
from consent.published import use_if_allowed
from domain.consent import PARTNER_SHARING, DataCategory
from domain.members import MemberStatus, is_external_id
from domain.validation import actor
from loyalty import members
from loyalty.partners.service import tie

SHARED = frozenset({DataCategory.CONTACT, DataCategory.PROFILE, DataCategory.LOYALTY_ACTIVITY})
_SHARING_ONLY = "Null unless the member consents to partner_sharing."


@strawberry.type(
    description="A member as a partner sees it: one it brought in (a referee of a referral it "
    "attributed) or that shares its data with the program's partners. Partner tokens only."
)
class SharedMember:
    external_id: str = strawberry.field(description="The storefront's id for the customer.")
    brought_by_you: bool = strawberry.field(
        description="Whether the member is the referee of a referral this partner attributed."
    )
    sharing: bool = strawberry.field(
        description="Whether the member consents to partner_sharing now; the personal fields "
        "below are null without it."
    )
    status: MemberStatus = strawberry.field(description="Whether the member is active.")
    enrolled_at: datetime = strawberry.field(description="When the member was enrolled.")
    display_name: str | None = strawberry.field(description=f"Display name. {_SHARING_ONLY}")
    email: str | None = strawberry.field(description=f"Contact email. {_SHARING_ONLY}")
    locale: str | None = strawberry.field(description=f"Preferred language. {_SHARING_ONLY}")
    points_available: int | None = strawberry.field(
        description=f"Points the member can spend now. {_SHARING_ONLY}"
    )


async def shared_member(
    info: strawberry.Info[Context, Any], external_id: str
) -> SharedMember | None:
    """The member by externalId if this partner may see it, else null (as if there were none)."""
    context = info.context
    principal = context.require_principal()
    program = await context.program()
    if program is None or not is_external_id(external_id):
        return None
    member = await members.member_by_external_id(program.id, external_id)
    if member is None or member.status is MemberStatus.ERASED:
        return None
    found = await tie(program.id, member.id, principal.subject)
    if found is None:
        return None
    name, brought = found
    # Checks the consent and logs the read in one statement; nothing is logged without it.
    sharing = await use_if_allowed(
        connections.get("default"),
        program_id=program.id,
        member_id=member.id,
        purpose=PARTNER_SHARING,
        categories=SHARED,
        actor=actor(principal.role.value, principal.subject),
        reason=f"profile read by {name}",
        at=context.clock.now(),
    )
    if not (brought or sharing):
        return None
    balance = await context.balance_loader.load(member.id) if sharing else None
    return SharedMember(
        external_id=member.external_id,
        brought_by_you=brought,
        sharing=sharing,
        status=member.status,
        enrolled_at=member.created_at,
        display_name=member.display_name if sharing else None,
        email=member.email if sharing else None,
        locale=member.locale if sharing else None,
        points_available=balance.available if balance is not None else None,
    )

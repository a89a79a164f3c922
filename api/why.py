"""`why`: the GraphQL face of domain/why.py, on everything chosen for a member."""

from __future__ import annotations

import strawberry

from domain import why as rules


@strawberry.type(description="One thing that decided it, e.g. price 500 or BASE 1 per EUR 1.")
class WhyFactor:
    name: str = strawberry.field(description="What the factor is, e.g. price, reason, BONUS.")
    value: str = strawberry.field(description="Its value, in words or figures.")


@strawberry.type(
    description="Why the member sees this: in plain words, what decided it, which kinds of its "
    "data were used and for which purposes (consent purpose keys)."
)
class Why:
    summary: str = strawberry.field(description="The reason in one or two plain sentences.")
    factors: list[WhyFactor] = strawberry.field(description="What decided it, one by one.")
    data_used: list[str] = strawberry.field(
        description="Kinds of the member's data used, e.g. purchase history, loyalty activity."
    )
    purposes: list[str] = strawberry.field(
        description="The purposes it served (keys of consent purposes): account for points and "
        "tiers, personalization for suggestions."
    )

    @classmethod
    def of(cls, found: rules.Why) -> Why:
        return cls(
            summary=found.summary,
            factors=[WhyFactor(name=f.name, value=f.value) for f in found.factors],
            data_used=list(found.data_used),
            purposes=list(found.purposes),
        )


WHY = "Why this happened, in plain words, with what decided it and which data it used."

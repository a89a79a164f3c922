"""GraphQL types of partner clients (admins only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from api.auth import Role
from api.context import Context
from api.enums import described_enum
from api.errors import UserError
from domain.partners import Scope
from loyalty.partners import service
from loyalty.partners.service import Client, SecretInfo

WHO = "Seen by the program's admins only."

PartnerScope: Any = described_enum(
    Scope,
    name="PartnerScope",
    description="What a partner client's tokens may do; fields a partner may call name theirs.",
    values={
        "REFERRALS_WRITE": "`referrals:write`: attribute referrals (attributeReferral).",
        "REFERRALS_READ": "`referrals:read`: read the referrals the partner brought.",
        "MEMBERS_READ": "`members:read`: read members it brought or that share their data "
        "with partners (partnerMember).",
        "EVENTS_READ": "`events:read`: read the program's event log (member ids only with the "
        "member's partner_sharing consent).",
        "WEBHOOKS_MANAGE": "`webhooks:manage`: manage its own webhook subscriptions.",
    },
)


@strawberry.type(description=f"One of a client's secrets that still works. {WHO}")
class PartnerClientSecret:
    hint: str = strawberry.field(description="Its last four characters, to tell secrets apart.")
    created_at: datetime = strawberry.field(description="When it was issued.")
    expires_at: datetime | None = strawberry.field(
        description="When it stops working (set by a rotation); null while it is the current one."
    )

    @classmethod
    def of(cls, info: SecretInfo) -> PartnerClientSecret:
        return cls(hint=info.hint, created_at=info.created_at, expires_at=info.expires_at)


@strawberry.type(description="A throttling bucket of cost points (extensions.cost).")
class PartnerRateLimit:
    maximum: int = strawberry.field(description="Points the bucket holds.")
    restore_per_second: int = strawberry.field(description="Points that flow back each second.")


@strawberry.type(
    description="A partner's OAuth 2 client: it trades its id and secret at POST /oauth/token "
    f"(client credentials grant) for a short-lived token with some of its scopes. {WHO}"
)
class PartnerClient(relay.Node):
    key: relay.NodeID[int]
    client_id: str = strawberry.field(description="The public id the partner authenticates with.")
    name: str = strawberry.field(description="Who the partner is, for admins.")
    scopes: list[PartnerScope] = strawberry.field(description="What its tokens may do.")
    active: bool = strawberry.field(description="False once revoked: nothing it holds works.")
    created_at: datetime = strawberry.field(description="When it was registered.")
    revoked_at: datetime | None = strawberry.field(description="When it was revoked, if it was.")
    secrets: list[PartnerClientSecret] = strawberry.field(
        description="Its secrets that still work, newest first (never the secrets themselves)."
    )
    rate_limit: PartnerRateLimit | None = strawberry.field(
        description="Its own throttling bucket; null: the partner role's."
    )

    @classmethod
    def of(cls, client: Client) -> PartnerClient:
        return cls(
            key=client.id,
            client_id=client.client_id,
            name=client.name,
            scopes=[Scope(scope) for scope in client.scopes],
            active=client.active,
            created_at=client.created_at,
            revoked_at=client.revoked_at,
            secrets=[PartnerClientSecret.of(secret) for secret in client.secrets],
            rate_limit=(
                PartnerRateLimit(
                    maximum=client.bucket.maximum, restore_per_second=client.bucket.restore_rate
                )
                if client.bucket is not None
                else None
            ),
        )


@strawberry.type(description="A page of partner clients.")
class PartnerClientConnection(relay.Connection[PartnerClient]):
    """Keyset-paginated in registration order."""


@strawberry.type(description="Result of registerPartnerClient and rotatePartnerClientSecret.")
class PartnerClientSecretPayload:
    client: PartnerClient | None = strawberry.field(description="The client; null if refused.")
    client_secret: str | None = strawberry.field(
        description="The new secret, shown this once: only its digest is kept."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of revokePartnerClient.")
class PartnerClientPayload:
    client: PartnerClient | None = strawberry.field(description="The client; null if refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


async def visible_client(info: strawberry.Info[Context, Any], key: int) -> PartnerClient | None:
    """A client of the caller's program, for admins; nobody else sees clients."""
    if info.context.require_principal().role is not Role.ADMIN:
        return None
    program = await info.context.program()
    found = await service.lookup(program.id, key, info.context.clock.now()) if program else None
    return PartnerClient.of(found) if found is not None else None

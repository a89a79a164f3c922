"""Declared permissions: each root field names the roles that may use it and, for partners, the
scope their token must carry.

Authentication failures raise UNAUTHENTICATED, a wrong role or a missing scope FORBIDDEN; both
are top-level errors with those codes. Object-level scoping (tenant, a member's own data, a
partner's own referrals) is enforced by the loaders and services, which only ever query inside
the caller's program.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import BasePermission

from api.auth import Role
from api.context import Context
from api.errors import ClientError, TopLevelCode
from domain.partners import Scope


class _RolePermission(BasePermission):
    allowed: frozenset[Role] = frozenset()
    scopes: frozenset[Scope] = frozenset()  # what a partner's token needs; none: any token

    def has_permission(
        self, source: Any, info: strawberry.Info[Context, Any], **kwargs: Any
    ) -> bool:
        principal = info.context.require_principal()
        if principal.role not in self.allowed:
            allowed = ", ".join(sorted(self.allowed))
            raise ClientError(
                f"Forbidden: this field needs one of the roles {allowed}.", TopLevelCode.FORBIDDEN
            )
        missing = sorted(s.value for s in self.scopes if s.value not in principal.scopes)
        if principal.role is Role.PARTNER and missing:
            raise ClientError(
                f"Forbidden: this field needs a token with the scope {' and '.join(missing)}.",
                TopLevelCode.FORBIDDEN,
            )
        return True


def roles(*allowed: Role, scope: Scope | tuple[Scope, ...] = ()) -> type[BasePermission]:
    """A permission class admitting only `allowed` roles, e.g. `permission_classes=[roles(ADMIN)]`;
    partners (when allowed) only with every scope of `scope`."""
    scopes = frozenset((scope,) if isinstance(scope, Scope) else scope)
    name = "Allow" + "Or".join(role.value.title() for role in allowed)
    for needed in sorted(scopes):
        name += "With" + "".join(part.title() for part in needed.value.split(":"))
    return type(name, (_RolePermission,), {"allowed": frozenset(allowed), "scopes": scopes})


def partner_scopes(permission: type[BasePermission]) -> frozenset[Scope]:
    """The scopes a permission class asks of partners (for the schema's descriptions)."""
    found: frozenset[Scope] = getattr(permission, "scopes", frozenset())
    return found


IsAdmin = roles(Role.ADMIN)
IsStorefrontOrAdmin = roles(Role.STOREFRONT, Role.ADMIN)
IsMember = roles(Role.MEMBER)
IsAnyRole = roles(Role.MEMBER, Role.STOREFRONT, Role.PARTNER, Role.ADMIN)

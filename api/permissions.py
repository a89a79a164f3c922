"""Declared permissions: each root field names the roles that may use it.

Authentication failures raise UNAUTHENTICATED, a wrong role FORBIDDEN; both are top-level errors
with those codes. Object-level scoping (tenant, a member's own data) is enforced by the loaders and
services, which only ever query inside the caller's program.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import BasePermission

from api.auth import Role
from api.context import Context
from api.errors import ClientError, TopLevelCode


class _RolePermission(BasePermission):
    allowed: frozenset[Role] = frozenset()

    def has_permission(
        self, source: Any, info: strawberry.Info[Context, Any], **kwargs: Any
    ) -> bool:
        principal = info.context.require_principal()
        if principal.role not in self.allowed:
            allowed = ", ".join(sorted(self.allowed))
            raise ClientError(
                f"Forbidden: this field needs one of the roles {allowed}.", TopLevelCode.FORBIDDEN
            )
        return True


def roles(*allowed: Role) -> type[BasePermission]:
    """A permission class admitting only `allowed` roles, e.g. `permission_classes=[roles(ADMIN)]`."""
    name = "Allow" + "Or".join(role.value.title() for role in allowed)
    return type(name, (_RolePermission,), {"allowed": frozenset(allowed)})


IsAdmin = roles(Role.ADMIN)
IsStorefrontOrAdmin = roles(Role.STOREFRONT, Role.ADMIN)
IsMember = roles(Role.MEMBER)
IsAnyRole = roles(Role.MEMBER, Role.STOREFRONT, Role.PARTNER, Role.ADMIN)

"""Per-request GraphQL context: who is calling, for which program, and request-scoped loaders."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from strawberry.dataloader import DataLoader

from api.auth import AuthError, Principal, Role
from api.errors import ClientError, TopLevelCode
from domain.clock import Clock
from domain.members import MemberStatus
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty import members, programs
from loyalty.models import Member
from loyalty.programs import ProgramRef

LoadFn = Callable[[list[Any]], Awaitable[list[Any]]]


@dataclass
class Context:
    """Built once per request by the GraphQL view; read by permissions and resolvers.

    Lookups are shared tasks, so resolvers running side by side wait for one query rather than
    each sending their own.
    """

    clock: Clock
    principal: Principal | None = None
    auth_error: AuthError | None = None
    _program: asyncio.Task[ProgramRef | None] | None = field(default=None, repr=False)
    _me: asyncio.Task[Member | None] | None = field(default=None, repr=False)
    _member_loader: DataLoader[int, Member | None] | None = field(default=None, repr=False)
    _loaders: dict[Hashable, DataLoader[Any, Any]] = field(default_factory=dict, repr=False)

    def require_principal(self) -> Principal:
        """The authenticated caller; a top-level UNAUTHENTICATED error otherwise."""
        if self.principal is None:
            reason = str(self.auth_error) if self.auth_error else "authentication required"
            raise ClientError(f"Not authenticated: {reason}.", TopLevelCode.UNAUTHENTICATED)
        return self.principal

    async def program(self) -> ProgramRef | None:
        """The caller's program (tenant), or None if it has not been provisioned yet."""
        if self._program is None:
            self._program = asyncio.ensure_future(self._load_program(self.require_principal()))
        return await self._program

    def forget_program(self) -> None:
        """After a mutation changed the program, later fields of the same request re-read it."""
        self._program = None
        self._me = None

    async def require_program(self) -> ProgramRef:
        """The caller's program, for writes: refused with PROGRAM_NOT_FOUND until provisioned."""
        program = await self.program()
        if program is None:
            raise InvalidInput(
                Problem(
                    (),
                    "The program in your token has not been provisioned: run createProgram first.",
                    ErrorCode.PROGRAM_NOT_FOUND,
                )
            )
        return program

    async def me(self) -> Member | None:
        """For a member token: the member it speaks for, unless that member was erased."""
        if self._me is None:
            self._me = asyncio.ensure_future(self._load_me(self.require_principal()))
        return await self._me

    @property
    def member_loader(self) -> DataLoader[int, Member | None]:
        """Batches member lookups by id within the caller's program (one query per tick)."""
        if self._member_loader is None:

            async def load(ids: list[int]) -> list[Member | None]:
                program = await self.program()
                if program is None:
                    return [None] * len(ids)
                found = await members.members_by_ids(program.id, ids)
                return [found.get(i) for i in ids]

            self._member_loader = DataLoader(load_fn=load)
        return self._member_loader

    def loader(self, key: Hashable, load: LoadFn) -> DataLoader[Any, Any]:
        """The request's DataLoader for `key`, made from `load` on first use; one batch per tick."""
        if key not in self._loaders:
            self._loaders[key] = DataLoader(load_fn=load)
        return self._loaders[key]

    async def _load_program(self, principal: Principal) -> ProgramRef | None:
        found = await programs.find_program(principal.program_key)
        return programs.ref(found) if found else None

    async def _load_me(self, principal: Principal) -> Member | None:
        program = await self.program()
        if principal.role is not Role.MEMBER or program is None:
            return None
        member = await members.member_by_external_id(program.id, principal.subject)
        return member if member is not None and member.status is not MemberStatus.ERASED else None

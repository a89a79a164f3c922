"""Per-request GraphQL context: who is calling, for which program, and request-scoped loaders."""

from __future__ import annotations

from dataclasses import dataclass, field

from strawberry.dataloader import DataLoader

from api.auth import AuthError, Principal, Role
from api.errors import ClientError, TopLevelCode
from domain.clock import Clock
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty import members, programs
from loyalty.models import Member
from loyalty.programs import ProgramRef


@dataclass
class Context:
    """Built once per request by the GraphQL view; read by permissions and resolvers."""

    clock: Clock
    principal: Principal | None = None
    auth_error: AuthError | None = None
    _program: ProgramRef | None = None
    _program_loaded: bool = False
    _me: Member | None = None
    _me_loaded: bool = False
    _member_loader: DataLoader[int, Member | None] | None = field(default=None, repr=False)

    def require_principal(self) -> Principal:
        """The authenticated caller; a top-level UNAUTHENTICATED error otherwise."""
        if self.principal is None:
            reason = str(self.auth_error) if self.auth_error else "authentication required"
            raise ClientError(f"Not authenticated: {reason}.", TopLevelCode.UNAUTHENTICATED)
        return self.principal

    async def program(self) -> ProgramRef | None:
        """The caller's program (tenant), or None if it has not been provisioned yet."""
        if not self._program_loaded:
            found = await programs.find_program(self.require_principal().program_key)
            self._program = programs.ref(found) if found else None
            self._program_loaded = True
        return self._program

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
        """For a member token: the member it speaks for, in the token's program."""
        principal = self.require_principal()
        if not self._me_loaded:
            program = await self.program()
            if principal.role is Role.MEMBER and program is not None:
                self._me = await members.member_by_external_id(program.id, principal.subject)
            self._me_loaded = True
        return self._me

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

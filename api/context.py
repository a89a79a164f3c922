"""Per-request GraphQL context: who is calling, for which program, and request-scoped loaders."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from strawberry.dataloader import DataLoader

from api.auth import AuthError, Principal, Role
from api.errors import ClientError, TopLevelCode
from api.partners.gate import PartnerGate
from backbone.bus import MessageBus
from domain.clock import Clock
from domain.ledger import Balance
from domain.members import MemberStatus
from domain.throttling import DEFAULT_BUCKETS, Bucket
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty import members, programs
from loyalty.models import Member
from loyalty.points import reads
from loyalty.programs import ProgramRef

LoadFn = Callable[[list[Any]], Awaitable[list[Any]]]

# Every request needs its program; programs change rarely. Each worker process keeps them this
# long; the worker that changes one forgets it at once, others within PROGRAM_CACHE_SECONDS.
PROGRAM_CACHE_SECONDS = 5.0
_programs: dict[str, tuple[float, ProgramRef]] = {}


def clear_program_cache() -> None:
    """Forget every cached program (after a restore, or between tests that reuse keys)."""
    _programs.clear()


@dataclass
class Context:
    """Built once per request by the GraphQL view; read by permissions and resolvers.

    Lookups are shared tasks, so resolvers running side by side wait for one query rather than
    each sending their own.
    """

    clock: Clock
    bus: MessageBus
    redis: Redis | None = None
    partner_gate: PartnerGate | None = None
    principal: Principal | None = None
    auth_error: AuthError | None = None
    unavailable: bool = False  # a server needed to authenticate the caller did not answer
    # Each role's throttling bucket (LOYALTY_RATE_LIMITS; api/throttle.py).
    buckets: Mapping[str, Bucket] = field(default_factory=lambda: dict(DEFAULT_BUCKETS))
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
        """After a mutation changed the program, later fields (and this process's later
        requests) re-read it."""
        if self.principal is not None:
            _programs.pop(self.principal.program_key, None)
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
        cached = _programs.get(principal.program_key)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        found = await programs.find_program(principal.program_key)
        if found is None:
            return None  # not cached: a program provisioned by another worker shows at once
        program = programs.ref(found)
        _programs[principal.program_key] = (now + PROGRAM_CACHE_SECONDS, program)
        return program

    async def _load_me(self, principal: Principal) -> Member | None:
        program = await self.program()
        if principal.role is not Role.MEMBER or program is None:
            return None
        found = await members.member_with_balance(
            program.id, principal.subject, now=self.clock.now()
        )
        if found is None or found[0].status is MemberStatus.ERASED:
            return None
        member, balance = found
        self.balance_loader.prime(member.id, balance)
        return member

    @property
    def balance_loader(self) -> DataLoader[int, Balance | None]:
        """Members' points by member id as they stand now, batched."""

        async def load(member_ids: list[int]) -> list[Balance | None]:
            found = await reads.balances(member_ids, now=self.clock.now())
            return [found.get(member_id) for member_id in member_ids]

        loader: DataLoader[int, Balance | None] = self.loader("points.balance", load)
        return loader

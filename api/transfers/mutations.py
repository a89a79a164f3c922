"""Mutations of points transfers: a member sends points (transferPoints), an admin reverses a
transfer (reverseTransfer) or sets the program's limits (configureTransfers)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from api.context import Context
from api.errors import INPUT, UserError, user_errors
from api.permissions import IsAdmin, IsMember
from api.points.inputs import KEY
from api.points.types import PointsBalance
from api.relay import decode_global_id
from api.transfers.types import PointsTransfer, TransferSettings, transfer_of
from domain import transfers as rules
from domain.validation import ErrorCode, InvalidInput, Problem, actor
from loyalty.points import reads as points_reads
from loyalty.points import transfer_reads as reads
from loyalty.points.transfer_commands import ConfigureTransfers, ReverseTransfer, TransferPoints

DEFAULTS = rules.DEFAULTS


@strawberry.input(
    description="Points a member sends to another member of its program (member tokens only)."
)
class TransferPointsInput:
    idempotency_key: str = strawberry.field(description=KEY)
    recipient: str = strawberry.field(
        description="The recipient's referral code (what `me { referralCode }` shows it), as "
        "the recipient shared it; case, spaces and hyphens do not matter."
    )
    points: int = strawberry.field(
        description="Spendable points to send, within the program's limits (transferSettings); "
        "pending and held points cannot be sent."
    )
    message: str | None = strawberry.field(
        default=None, description=f"A note for the recipient, one line of at most "
        f"{rules.MESSAGE_MAX} characters.",
    )  # fmt: skip


@strawberry.input(description="A transfer for the program to reverse (admin tokens only).")
class ReverseTransferInput:
    idempotency_key: str = strawberry.field(description=KEY)
    transfer_id: strawberry.ID = strawberry.field(description="The PointsTransfer's id.")
    reason: str = strawberry.field(
        description=f"Why, 1-{rules.REASON_MAX} characters; both members see it."
    )


@strawberry.input(
    description="The program's transfer limits; they replace the current ones (admin tokens only)."
)
class ConfigureTransfersInput:
    enabled: bool = strawberry.field(description="Whether members may transfer points.")
    min_points: int = strawberry.field(
        default=DEFAULTS.min_points,
        description=f"Fewest points per transfer, 1-{rules.MAX_POINTS}.",
    )
    max_points: int = strawberry.field(
        default=DEFAULTS.max_points,
        description=f"Most points per transfer, minPoints to {rules.MAX_POINTS}.",
    )
    daily_sent_cap: int = strawberry.field(
        default=DEFAULTS.daily_sent_cap,
        description=f"Most points a member may send per day, maxPoints to {rules.MAX_DAILY}.",
    )
    daily_received_cap: int = strawberry.field(
        default=DEFAULTS.daily_received_cap,
        description=f"Most points a member may receive per day, maxPoints to {rules.MAX_DAILY}.",
    )
    min_membership_days: int = strawberry.field(
        default=DEFAULTS.min_membership_days,
        description=f"Days enrolled before a member may send points, 0-{rules.MAX_MEMBERSHIP_DAYS}.",
    )


@strawberry.type(description="Result of transferPoints, for the sending member.")
class TransferPointsPayload:
    transfer: PointsTransfer | None = strawberry.field(
        description="The transfer (the original one for a replay); null if refused."
    )
    balance: PointsBalance | None = strawberry.field(
        description="The sender's points now; null if refused."
    )
    replayed: bool = strawberry.field(
        description="True when this idempotency key was seen before and the original result is returned."
    )
    user_errors: list[UserError] = strawberry.field(description="Why; nothing was written.")


@strawberry.type(description="Result of reverseTransfer, for the admin.")
class ReverseTransferPayload:
    transfer: PointsTransfer | None = strawberry.field(
        description="The transfer, now REVERSED; null if refused."
    )
    replayed: bool = strawberry.field(
        description="True when this idempotency key was seen before and the original result is returned."
    )
    user_errors: list[UserError] = strawberry.field(description="Why; nothing was written.")


@strawberry.type(description="Result of configureTransfers, for the admin.")
class ConfigureTransfersPayload:
    settings: TransferSettings | None = strawberry.field(
        description="The limits now; null if refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why; nothing changed.")


@strawberry.type
class TransferMutations:
    @strawberry.mutation(
        description="Send spendable points to another member of the program, named by its "
        "referral code: taken from the sender's soonest-expiring points, given to the recipient "
        "as new points. Within the program's limits; idempotent under the key. Member tokens "
        "only (the sender is the token's member).",
        permission_classes=[IsMember],
    )
    async def transfer_points(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[TransferPointsInput, strawberry.argument(description=INPUT)],
    ) -> TransferPointsPayload:
        principal = info.context.require_principal()
        try:
            program = await info.context.require_program()
            done = await info.context.bus.handle(
                TransferPoints(
                    program=program, actor=actor(principal.role.value, principal.subject),
                    idempotency_key=input.idempotency_key, sender_external_id=principal.subject,
                    recipient_code=input.recipient, points=input.points, message=input.message,
                )
            )  # fmt: skip
        except InvalidInput as refused:
            return TransferPointsPayload(
                transfer=None, balance=None, replayed=False, user_errors=user_errors(refused)
            )
        row = await reads.transfer(program.id, done.transfer_id)
        assert row is not None
        now = info.context.clock.now()
        found = (await points_reads.balances([row["sender_id"]], now=now))[row["sender_id"]]
        balance = PointsBalance(
            available=found.available, pending=found.pending, debt=found.debt,
            lifetime_earned=found.lifetime, held=found.held,
        )  # fmt: skip
        return TransferPointsPayload(
            transfer=transfer_of(row, row["sender_id"]),
            balance=balance,
            replayed=done.replayed,
            user_errors=[],
        )

    @strawberry.mutation(
        description="Reverse a transfer, once: its points taken back from the recipient (what "
        "it already spent follows the program's clawback policy, as for returns) and given back "
        "to the sender as new points. Admin tokens only.",
        permission_classes=[IsAdmin],
    )
    async def reverse_transfer(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[ReverseTransferInput, strawberry.argument(description=INPUT)],
    ) -> ReverseTransferPayload:
        principal = info.context.require_principal()
        try:
            program = await info.context.require_program()
            key = decode_global_id(input.transfer_id, "PointsTransfer")
            if key is None:
                raise InvalidInput(
                    Problem(("transferId",), "Not a PointsTransfer id.", ErrorCode.INVALID_ID)
                )
            done = await info.context.bus.handle(
                ReverseTransfer(
                    program=program, actor=actor(principal.role.value, principal.subject),
                    idempotency_key=input.idempotency_key, transfer_id=key, reason=input.reason,
                )
            )  # fmt: skip
        except InvalidInput as refused:
            return ReverseTransferPayload(
                transfer=None, replayed=False, user_errors=user_errors(refused)
            )
        row = await reads.transfer(program.id, done.transfer_id)
        assert row is not None
        return ReverseTransferPayload(
            transfer=transfer_of(row, None), replayed=done.replayed, user_errors=[]
        )

    @strawberry.mutation(
        description="Set (replace) the program's limits on transfers between members. Admin "
        "tokens only.",
        permission_classes=[IsAdmin],
    )
    async def configure_transfers(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[ConfigureTransfersInput, strawberry.argument(description=INPUT)],
    ) -> ConfigureTransfersPayload:
        try:
            program = await info.context.require_program()
            asked = rules.TransferSettings(
                enabled=input.enabled, min_points=input.min_points, max_points=input.max_points,
                daily_sent_cap=input.daily_sent_cap, daily_received_cap=input.daily_received_cap,
                min_membership_days=input.min_membership_days,
            )  # fmt: skip
            now = await info.context.bus.handle(ConfigureTransfers(program=program, settings=asked))
        except InvalidInput as refused:
            return ConfigureTransfersPayload(settings=None, user_errors=user_errors(refused))
        return ConfigureTransfersPayload(settings=TransferSettings.of(now), user_errors=[])

"""The transfers' part of the composition root: transferPoints, reverseTransfer and
configureTransfers, what erasure forgets of transfers, and their part of a member's export."""

from __future__ import annotations

from backbone.bus import Registry
from domain.events import MemberErased
from loyalty.points import transfer_commands as commands
from loyalty.points import transfer_reads, transfer_reversal, transfer_settings, transfers


def registry() -> Registry:
    part = Registry()
    part.command(commands.TransferPoints, transfers.transfer_points)
    part.command(commands.ReverseTransfer, transfer_reversal.reverse_transfer)
    part.command(commands.ConfigureTransfers, transfer_settings.configure_transfers)
    part.react(MemberErased, transfer_reads.forget_messages)
    part.exports.append(transfer_reads.export_part)
    return part

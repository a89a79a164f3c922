"""Tombstone digests and pseudonyms (domain/privacy.py), and the why of ledger entries."""

from __future__ import annotations

import pytest

from domain.ledger import EntryKind
from domain.privacy import (
    TombstoneKind,
    erased_email,
    erased_external_id,
    pseudonym,
    tombstone_digest,
)
from domain.why import Line, for_entry

pytestmark = pytest.mark.unit

KEY = b"k" * 32


def test_a_digest_names_the_identity_without_holding_it() -> None:
    digest = tombstone_digest(KEY, TombstoneKind.EMAIL, "Ann@Example.com")
    assert digest == tombstone_digest(KEY, TombstoneKind.EMAIL, " ann@example.com ")
    assert "ann" not in digest
    assert len(digest) == 64
    assert digest != tombstone_digest(b"x" * 32, TombstoneKind.EMAIL, "ann@example.com")
    assert tombstone_digest(KEY, TombstoneKind.EXTERNAL_ID, "Ann") != tombstone_digest(
        KEY, TombstoneKind.EXTERNAL_ID, "ann"
    )
    assert tombstone_digest(KEY, TombstoneKind.EXTERNAL_ID, "a@b.co") != tombstone_digest(
        KEY, TombstoneKind.EMAIL, "a@b.co"
    )


def test_pseudonyms_are_fresh_and_link_to_nothing() -> None:
    first, second = pseudonym(), pseudonym()
    assert first != second
    assert erased_external_id(first) == f"erased:{first}"
    assert erased_email(first).endswith("@erased.invalid")


def test_a_ledger_entry_says_its_lines_in_words() -> None:
    why = for_entry(
        kind=EntryKind.REDEEM,
        points=-1,
        reason_code="REDEMPTION",
        reason="Mug",
        source_ref=None,
        lines=[Line("REDEEM", "Mug", -1)],
    )
    assert why.summary == "1 point spent: Mug."
    assert why.data_used == ("loyalty activity",)
    assert why.purposes == ("account",)

"""Fixtures of the integration tests that drive services through the message bus."""

from __future__ import annotations

import pytest

from backbone.bus import MessageBus
from loyalty.commands import CreateProgram, EnrollMember
from loyalty.programs import ProgramRef, ref


@pytest.fixture
async def acme(db: None, bus: MessageBus) -> ProgramRef:
    """Program acme (EUR, UTC) with one member, ann; modules with their own `acme` override it."""
    program = ref(
        await bus.handle(
            CreateProgram(
                key="acme", name="Acme", currency="EUR", timezone="UTC", default_locale="en"
            )
        )
    )
    await bus.handle(
        EnrollMember(program=program, external_id="ann", email="a@example.com", display_name="A")
    )
    return program

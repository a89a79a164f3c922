"""GraphQL types of data exports and erasure requests."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from api.errors import UserError
from consent.export import ExportRecord

EXPORT_PATH = "/exports/{id}"


@strawberry.type(
    description="A JSON document of everything the program holds about one member, to download "
    "with the same bearer token (that member's, or an admin's of the program) until it expires."
)
class DataExport:
    id: strawberry.ID = strawberry.field(description="The export's global id.")
    member_id: strawberry.ID = strawberry.field(description="The member's global id.")
    created_at: datetime = strawberry.field(description="When the document was made.")
    expires_at: datetime = strawberry.field(
        description="Until when it can be downloaded (24 hours after it was made)."
    )
    download_path: str = strawberry.field(
        description="Where to GET the document (application/json), relative to the API's "
        "address, with an Authorization: Bearer header; 410 once expired, 404 for anyone else."
    )

    @classmethod
    def of(cls, record: ExportRecord) -> DataExport:
        return cls(
            id=strawberry.ID(str(relay.GlobalID("DataExport", str(record.id)))),
            member_id=strawberry.ID(str(relay.GlobalID("Member", str(record.member_id)))),
            created_at=record.created_at,
            expires_at=record.expires_at,
            download_path=EXPORT_PATH.format(id=record.id),
        )


@strawberry.input(
    description="Whose data: a member token asks for itself and names nobody (or itself); an "
    "admin names one member of its program by `id` or by `externalId`."
)
class MemberChoiceInput:
    id: strawberry.ID | None = strawberry.field(
        default=None, description="The member's global id (admins)."
    )
    external_id: str | None = strawberry.field(
        default=None, description="The storefront's id of the member (admins)."
    )


@strawberry.input(description="Whose data to export.")
class RequestDataExportInput(MemberChoiceInput):
    pass


@strawberry.input(description="Whose personal data to erase, for good.")
class RequestErasureInput(MemberChoiceInput):
    pass


@strawberry.type(description="Result of requestDataExport.")
class RequestDataExportPayload:
    export: DataExport | None = strawberry.field(description="The export; null if refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of requestErasure.")
class RequestErasurePayload:
    member_id: strawberry.ID | None = strawberry.field(
        description="The erased member's global id; null if refused."
    )
    erased_at: datetime | None = strawberry.field(
        description="When the member was erased (the first request's time)."
    )
    already_erased: bool = strawberry.field(
        description="True when the member had been erased before: nothing changed."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")

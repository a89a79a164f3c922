"""The trusted documents: the first-party clients' GraphQL documents, kept in this repository
(api/trusted/documents/*.graphql), each known by the SHA-256 of its exact text.

They are read, parsed and validated against the schema once, when the app is built: a document
that no longer fits the schema stops the start (and a test), never a client's request. Clients
send a document by id (`documentId: "sha256:<hex>"`, or Apollo's
`extensions.persistedQuery.sha256Hash`), so the text is neither uploaded nor parsed per request,
and a production deployment can refuse every other document (an allow-list).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from graphql import GraphQLSchema, OperationDefinitionNode, OperationType, parse, validate

DOCUMENTS = Path(__file__).resolve().parent / "documents"
PREFIX = "sha256:"
_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class TrustedDocument:
    id: str  # sha256:<hex of the text's UTF-8 bytes>
    name: str  # its file's stem: mobile_status
    operation: str  # the operation's name: MemberStatus
    text: str
    read_only: bool  # a query: may be sent with GET and answered with an ETag


def document_id(text: str) -> str:
    return PREFIX + hashlib.sha256(text.encode()).hexdigest()


def is_hash(value: object) -> bool:
    """A SHA-256 as hex, as APQ sends it (without the `sha256:` prefix)."""
    return isinstance(value, str) and _HEX.fullmatch(value) is not None


class TrustedDocuments:
    """The documents by id, each checked against `schema` on loading."""

    def __init__(self, documents: tuple[TrustedDocument, ...]) -> None:
        self.documents = documents
        self._by_id = {document.id: document for document in documents}

    @classmethod
    def load(cls, schema: GraphQLSchema, folder: Path = DOCUMENTS) -> TrustedDocuments:
        return cls(tuple(_checked(path, schema) for path in sorted(folder.glob("*.graphql"))))

    def get(self, identifier: str) -> TrustedDocument | None:
        return self._by_id.get(identifier)

    def by_text(self, text: str) -> TrustedDocument | None:
        return self._by_id.get(document_id(text))


def _checked(path: Path, schema: GraphQLSchema) -> TrustedDocument:
    text = path.read_text(encoding="utf-8")
    document = parse(text)
    errors = validate(schema, document)
    if errors:
        raise ValueError(f"trusted document {path.name} does not fit the schema: {errors[0]}")
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].name is None:
        raise ValueError(f"trusted document {path.name} must hold one named operation")
    return TrustedDocument(
        id=document_id(text),
        name=path.stem,
        operation=operations[0].name.value,
        text=text,
        read_only=operations[0].operation is OperationType.QUERY,
    )

"""Which document a request runs: its text sent as `query`, or a trusted document named by id.

- `documentId: "sha256:<hex>"` (GraphQL over HTTP's persisted documents) names a trusted
  document; an unknown id is PERSISTED_QUERY_NOT_FOUND.
- `extensions.persistedQuery {version: 1, sha256Hash}` (Apollo's automatic persisted queries)
  names one by its hash alone, or vouches for the `query` sent with it: a hash that is not the
  query's is PERSISTED_QUERY_MISMATCH, never run. Only trusted documents are known by hash: a
  client's own document is PERSISTED_QUERY_NOT_FOUND by hash, and the client sends its text
  (Apollo's clients do so by themselves).
- With the allow-list on (LOYALTY_DOCUMENTS=trusted), any other document is
  TRUSTED_DOCUMENT_REQUIRED; a trusted document's exact text is as good as its id.
- GET runs trusted read-only documents only: a URL is logged and cached by proxies, so
  nothing else travels in one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from api.errors import TopLevelCode
from api.trusted.registry import PREFIX, TrustedDocument, TrustedDocuments, document_id, is_hash

DOCUMENT_ID = "documentId"  # moved into `extensions` when the body is read
PERSISTED_QUERY = "persistedQuery"
APQ_VERSION = 1


@dataclass(frozen=True, slots=True)
class Resolved:
    query: str | None
    trusted: TrustedDocument | None


class Refused(Exception):
    def __init__(self, message: str, code: TopLevelCode) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def resolve(
    documents: TrustedDocuments,
    *,
    query: str | None,
    extensions: Mapping[str, Any] | None,
    trusted_only: bool,
    method: str,
) -> Resolved:
    """The document to run, or Refused saying why none may run."""
    extensions = extensions or {}
    if DOCUMENT_ID in extensions:
        resolved = _by_id(documents, query, extensions[DOCUMENT_ID])
    elif PERSISTED_QUERY in extensions:
        resolved = _by_hash(documents, query, extensions[PERSISTED_QUERY])
    else:
        resolved = Resolved(query, documents.by_text(query) if query is not None else None)
    if resolved.trusted is None and resolved.query is not None:
        if trusted_only:
            raise Refused(
                "This API runs only its trusted documents: send one by documentId.",
                TopLevelCode.TRUSTED_DOCUMENT_REQUIRED,
            )
        if method == "GET":
            raise Refused(
                "GET runs trusted read-only documents only: POST this document.",
                TopLevelCode.TRUSTED_DOCUMENT_REQUIRED,
            )
    return resolved


def _by_id(documents: TrustedDocuments, query: str | None, identifier: object) -> Resolved:
    if not isinstance(identifier, str) or not is_hash(identifier.removeprefix(PREFIX)):
        raise Refused(
            "documentId must be sha256: followed by 64 lower-case hex digits.",
            TopLevelCode.PERSISTED_QUERY_NOT_FOUND,
        )
    return _known(documents, query, identifier)


def _by_hash(documents: TrustedDocuments, query: str | None, persisted: object) -> Resolved:
    if not isinstance(persisted, Mapping) or persisted.get("version") != APQ_VERSION:
        raise Refused(
            f"persistedQuery must be {{version: {APQ_VERSION}, sha256Hash}}.",
            TopLevelCode.PERSISTED_QUERY_NOT_FOUND,
        )
    digest = persisted.get("sha256Hash")
    if not is_hash(digest):
        raise Refused(
            "sha256Hash must be 64 lower-case hex digits.", TopLevelCode.PERSISTED_QUERY_NOT_FOUND
        )
    return _known(documents, query, f"{PREFIX}{digest}")


def _known(documents: TrustedDocuments, query: str | None, identifier: str) -> Resolved:
    if query is not None:
        if document_id(query) != identifier:
            raise Refused(
                "The query's SHA-256 is not the hash sent with it.",
                TopLevelCode.PERSISTED_QUERY_MISMATCH,
            )
        return Resolved(query, documents.get(identifier))
    trusted = documents.get(identifier)
    if trusted is None:
        # Apollo's clients recognise this message and send the query's text.
        raise Refused("PersistedQueryNotFound", TopLevelCode.PERSISTED_QUERY_NOT_FOUND)
    return Resolved(trusted.text, trusted)

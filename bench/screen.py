"""The mobile app's status screen, as `make bench` measures it: the member's points, tier and
progress, and the rewards within reach, in one trusted document (api/trusted/documents/). `prepare` gives the bench program
tiers and a small catalog through the public API, so the screen has something to show; `answer`
is one real response, which the raw Starlette baseline then returns verbatim."""

from __future__ import annotations

import json

import httpx

from api.trusted.registry import DOCUMENTS, document_id

# The app's own trusted documents, sent by id as the production clients send them.
STATUS_DOCUMENT = (DOCUMENTS / "mobile_status.graphql").read_text(encoding="utf-8")
STATUS_BODY = json.dumps({"documentId": document_id(STATUS_DOCUMENT)})
AWARD_DOCUMENT_ID = document_id(
    (DOCUMENTS / "storefront_award_order.graphql").read_text(encoding="utf-8")
)

_TIERS = """mutation($input: ConfigureTiersInput!) {
  configureTiers(input: $input) { userErrors { code message } } }"""
_REWARD = """mutation($input: CreateRewardInput!) {
  createReward(input: $input) { userErrors { code message } } }"""
TIERS = [
    {"key": "base", "name": "Base", "threshold": "0"},
    {"key": "silver", "name": "Silver", "threshold": "1000", "multiplier": "1.25"},
    {"key": "gold", "name": "Gold", "threshold": "5000", "multiplier": "1.5"},
]
REWARDS = [(f"Reward {n}", points) for n, points in enumerate((250, 600, 1200, 2500, 5000, 9000))]


def prepare(api: str, admin_token: str) -> None:
    """Tiers and rewards for the bench program, as its admin would set them up."""
    headers = {"Authorization": f"Bearer {admin_token}"}
    requests = [(_TIERS, {"input": {"tiers": TIERS, "policy": {}}})] + [
        (_REWARD, {"input": {"name": name, "kind": "EXPERIENCE", "pointsCost": points}})
        for name, points in REWARDS
    ]
    for query, variables in requests:
        response = httpx.post(
            f"{api}/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        payload = next(iter(response.json()["data"].values()))
        if response.status_code != 200 or payload["userErrors"]:
            raise RuntimeError(f"bench set-up refused: {response.text}")


def answer(api: str, member_token: str) -> bytes:
    """The API's own answer to the status document, for the baseline to return."""
    response = httpx.post(
        f"{api}/graphql",
        content=STATUS_BODY,
        headers={"Authorization": f"Bearer {member_token}", "Content-Type": "application/json"},
    )
    if response.status_code != 200 or "errors" in response.json():
        raise RuntimeError(f"the status document failed: {response.text}")
    return response.content

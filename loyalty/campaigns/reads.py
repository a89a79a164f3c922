"""What the campaigns area shows admins: campaigns by keyset pages, and delivery counts."""

from __future__ import annotations

from collections.abc import Sequence

from tortoise import connections

from loyalty.campaigns.models import Campaign

_COUNTS = """
SELECT campaign_id, status, count(*) AS n FROM campaign_delivery
WHERE campaign_id = ANY($1::bigint[]) GROUP BY campaign_id, status ORDER BY campaign_id, status
"""


async def campaigns_page(program_id: int, *, after_id: int | None, limit: int) -> list[Campaign]:
    query = Campaign.filter(program_id=program_id, id__gt=after_id or 0)
    return await query.order_by("id").limit(limit)


async def find_campaign(program_id: int, campaign_id: int) -> Campaign | None:
    return await Campaign.get_or_none(id=campaign_id, program_id=program_id)


async def delivery_counts(campaign_ids: Sequence[int]) -> dict[int, list[tuple[str, int]]]:
    """Each campaign's deliveries by status (statuses it has none of left out): one query."""
    rows = await connections.get("default").execute_query_dict(_COUNTS, [list(campaign_ids)])
    counts: dict[int, list[tuple[str, int]]] = {key: [] for key in campaign_ids}
    for row in rows:
        counts[row["campaign_id"]].append((row["status"], row["n"]))
    return counts

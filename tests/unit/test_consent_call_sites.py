"""Every use of members' personal data asks consent.published, and every such call site is
declared here: a new feature that uses members' data must add its line (and so be reviewed for
its purpose, its data categories and what it does without consent)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("api", "backbone", "consent", "domain", "loyalty", "bench")
CALLS = re.compile(r"\b(may_use|may_use_many|use_if_allowed|record_use|record_reads|may_message)\(")

# (file, function called): purpose, and what happens without it.
EXPECTED = {
    # personalization: no suggestions at all; the use logged once a day.
    ("loyalty/rewards/reach.py", "use_if_allowed"),
    # account (CONTRACT): staff and storefront reads of profiles, one INSERT per batch.
    ("api/consent/fields.py", "record_reads"),
    # marketing_<channel>: the preference center shows whether each channel is consented.
    ("api/consent/fields.py", "may_use_many"),
    # account (CONTRACT): a member's data export, logged in the export's write.
    ("consent/export.py", "record_use"),
    # partner_sharing: a webhook payload names the member (its global id) only with consent.
    ("loyalty/webhooks/deliveries.py", "may_use_many"),
    # partner_sharing: members whose data a partner's webhook carried, once a day per partner.
    ("loyalty/webhooks/deliveries.py", "record_reads"),
    # referral_display (CONSENT): a referee's display name shown to its referrer; null without.
    ("api/referrals/types.py", "may_use_many"),
    # partner_sharing (CONSENT): a partner reads a member's profile only with it, logged once
    # a day per partner; without it, only whether the partner brought the member in.
    ("api/partners/members.py", "use_if_allowed"),
    # partner_sharing: the event log shows a partner a member's id only with consent.
    ("api/events/types.py", "may_use_many"),
    # partner_sharing: members whose data the event log showed a partner, once a day.
    ("api/events/types.py", "record_reads"),
    # personalization: a personalised gift (a DRAW, or flagged) is skipped as NO_CONSENT
    # without it; given, the use of the member's activity is logged once a day.
    ("loyalty/gifts/giving.py", "use_if_allowed"),
    # profiling (CONSENT): a page of members' predictions and reorder dates is read only for
    # those with it (null / empty without), the use logged once a day; recommended products
    # need it and personalization too, whose use is logged once a day.
    ("loyalty/insights/prediction_reads.py", "may_use_many"),
    ("loyalty/insights/prediction_reads.py", "record_reads"),
    # profiling (CONSENT): a member's RFM scores are read only with it (null without), and its
    # segments shown to the member or the storefront only with it (empty without); the use is
    # logged once a day, one check and one log for a page of members. (Segments themselves
    # judge consent in SQL, set-based.)
    ("loyalty/insights/reads.py", "may_use_many"),
    ("loyalty/insights/reads.py", "record_reads"),
    # profiling (CONSENT): a behavioural campaign (a reorder or at-risk trigger, a behavioural
    # segment) decides only for members who consent, judged again in the delivery's write;
    # without it, no delivery at all. The use is logged once a day per member.
    ("loyalty/campaigns/delivery.py", "may_use_many"),
    ("loyalty/campaigns/delivery.py", "record_reads"),
    # marketing_<channel>: a campaign's message is SENT, SKIPPED (no consent, channel off, cap)
    # or DEFERRED (quiet hours) by the one message check.
    ("loyalty/campaigns/delivery.py", "may_message"),
}


def test_every_purpose_using_call_site_is_declared() -> None:
    found = set()
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if relative == "consent/published.py":
                continue  # the definitions themselves
            found |= {(relative, call) for call in CALLS.findall(path.read_text())}
    assert found - EXPECTED == set(), "declare each new call site in EXPECTED"

"""The preference center's rules: channels, weekly caps, topics, quiet hours in the member's
time zone, locale; and the one decision "may this member be messaged on this channel now?".

Pure: no I/O. The consent area stores preferences and counts messages; this decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from domain.programs import is_timezone
from domain.validation import ErrorCode, ProblemCollector

MAX_WEEKLY_CAP = 1000
MAX_TOPICS = 20
TOPIC_MAX = 40
_TOPIC = re.compile(r"[a-z][a-z0-9_-]{0,39}", re.ASCII)


class Channel(StrEnum):
    EMAIL = "EMAIL"
    PUSH = "PUSH"
    SMS = "SMS"

    @property
    def purpose(self) -> str:
        """The consent purpose a marketing message on this channel needs."""
        return f"marketing_{self.value.lower()}"


class MessageVerdict(StrEnum):
    ALLOWED = "ALLOWED"
    NO_CONSENT = "NO_CONSENT"
    CHANNEL_OFF = "CHANNEL_OFF"
    CAP_REACHED = "CAP_REACHED"
    QUIET_HOURS = "QUIET_HOURS"


@dataclass(frozen=True, slots=True)
class MessageDecision:
    verdict: MessageVerdict

    @property
    def allowed(self) -> bool:
        return self.verdict is MessageVerdict.ALLOWED


@dataclass(frozen=True, slots=True)
class Preferences:
    """Channels on or off, a weekly cap per channel (None: no cap), topics, quiet hours as
    minutes after midnight in `timezone` (both None: none; start after end spans midnight),
    and a locale (None: the member's profile locale)."""

    email: bool
    push: bool
    sms: bool
    email_weekly_cap: int | None
    push_weekly_cap: int | None
    sms_weekly_cap: int | None
    topics: tuple[str, ...]
    quiet_start: int | None
    quiet_end: int | None
    timezone: str
    locale: str | None

    @classmethod
    def defaults(cls, timezone: str) -> Preferences:
        """Every channel on, no cap, no topic, no quiet hours, the program's time zone. Channels
        on do not mean messages: marketing also needs the channel's consent."""
        return cls(True, True, True, None, None, None, (), None, None, timezone, None)

    def enabled(self, channel: Channel) -> bool:
        return bool(getattr(self, channel.value.lower()))

    def cap(self, channel: Channel) -> int | None:
        value: int | None = getattr(self, f"{channel.value.lower()}_weekly_cap")
        return value


def in_quiet_hours(preferences: Preferences, now: datetime) -> bool:
    """Whether `now` falls in the quiet hours, read on the member's clock."""
    if preferences.quiet_start is None or preferences.quiet_end is None:
        return False
    local = now.astimezone(ZoneInfo(preferences.timezone))
    minute = local.hour * 60 + local.minute
    start, end = preferences.quiet_start, preferences.quiet_end
    if start == end:
        return False
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end  # across midnight


def quiet_hours_end(preferences: Preferences, now: datetime) -> datetime:
    """When the quiet hours `now` falls in end: the next `quiet_end` on the member's clock
    (today's, or tomorrow's once it has passed), as an instant in the member's zone."""
    if preferences.quiet_end is None:
        raise ValueError("no quiet hours")
    zone = ZoneInfo(preferences.timezone)
    local = now.astimezone(zone)
    hour, minute = divmod(preferences.quiet_end, 60)
    end = datetime.combine(local.date(), time(hour, minute), tzinfo=zone)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), time(hour, minute), tzinfo=zone)
    return end


def decide_message(
    *, consented: bool, preferences: Preferences, channel: Channel, sent: int, now: datetime
) -> MessageDecision:
    """Consent first, then the channel, the weekly cap (`sent` in the last 7 days), quiet hours."""
    if not consented:
        return MessageDecision(MessageVerdict.NO_CONSENT)
    if not preferences.enabled(channel):
        return MessageDecision(MessageVerdict.CHANNEL_OFF)
    cap = preferences.cap(channel)
    if cap is not None and sent >= cap:
        return MessageDecision(MessageVerdict.CAP_REACHED)
    if in_quiet_hours(preferences, now):
        return MessageDecision(MessageVerdict.QUIET_HOURS)
    return MessageDecision(MessageVerdict.ALLOWED)


_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])", re.ASCII)


def parse_clock(text: str) -> int | None:
    """Minutes after midnight of a 24-hour `HH:MM`, or None."""
    match = _CLOCK.fullmatch(text)
    return int(match[1]) * 60 + int(match[2]) if match else None


def format_clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def apply_changes(
    current: Preferences, changes: dict[str, Any], *, canonical_locale: Any
) -> Preferences:
    """`current` with `changes` (field name to new value; None clears a cap, quiet hours or the
    locale), every problem reported at once. `canonical_locale` normalises a locale tag."""
    problems = ProblemCollector()
    updated = dict(changes)
    for channel in Channel:
        name = f"{channel.value.lower()}_weekly_cap"
        cap = changes.get(name)
        if cap is not None and not 0 <= cap <= MAX_WEEKLY_CAP:
            problems.add(
                _camel(name),
                f"A weekly cap is 0 to {MAX_WEEKLY_CAP} messages (none: no cap).",
                ErrorCode.INVALID_PREFERENCES,
            )
    if "topics" in changes:
        topics = changes["topics"]
        if len(topics) > MAX_TOPICS:
            problems.add("topics", f"At most {MAX_TOPICS} topics.", ErrorCode.INVALID_PREFERENCES)
        for index, topic in enumerate(topics[:MAX_TOPICS]):
            if _TOPIC.fullmatch(topic) is None:
                problems.add(
                    ("topics", str(index)),
                    "A topic is 1-40 lower-case letters, digits, '-' or '_', starting with a letter.",
                    ErrorCode.INVALID_PREFERENCES,
                )
        updated["topics"] = tuple(dict.fromkeys(topics))
    zone = changes.get("timezone")
    if zone is not None and not is_timezone(zone):
        problems.add(
            "timezone", f"{zone!r} is not an IANA time zone name.", ErrorCode.INVALID_TIMEZONE
        )
    if changes.get("locale") is not None:
        tag = canonical_locale(changes["locale"])
        if tag is None:
            problems.add(
                "locale",
                f"{changes['locale']!r} is not a locale tag such as en or pt-BR.",
                ErrorCode.INVALID_LOCALE,
            )
        updated["locale"] = tag
    problems.raise_if_any()
    result = replace(current, **updated)
    if (result.quiet_start is None) != (result.quiet_end is None):
        problems.add(
            "quietHours",
            "Quiet hours need both a start and an end.",
            ErrorCode.INVALID_PREFERENCES,
        )
        problems.raise_if_any()
    return result


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)

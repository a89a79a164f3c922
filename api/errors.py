"""How failures reach clients.

Expected failures of a mutation are `userErrors` in its payload (HTTP 200, typed codes). Top-level
GraphQL errors are reserved for documents and variables the schema refuses, authentication,
authorisation, bad query arguments and outages, each with an `extensions.code`
(api/error_policy.py); anything else is a bug and is masked so no internals leak.
"""

from __future__ import annotations

from enum import StrEnum

import strawberry
from graphql import GraphQLError

from api.enums import described_enum
from backbone.metrics import USER_ERRORS
from domain.validation import ErrorCode, InvalidInput

described_enum(
    ErrorCode,
    name="UserErrorCode",
    description="Why an input was refused. Stable: clients may switch on these codes.",
    values={
        "INVALID_PROGRAM_KEY": "The program key is not a 2-63 character lower-case slug.",
        "INVALID_NAME": "The name is empty, too long or not on one line.",
        "INVALID_CURRENCY": "Not an active ISO 4217 currency code.",
        "INVALID_TIMEZONE": "Not an IANA time zone name.",
        "INVALID_LOCALE": "Not a BCP 47 locale tag such as en or pt-BR.",
        "INVALID_EMAIL": "Not a valid email address.",
        "INVALID_EXTERNAL_ID": "The externalId is empty, too long or has unsupported characters.",
        "INVALID_DISPLAY_NAME": "The display name is empty, too long or not on one line.",
        "INVALID_BIRTHDAY": "The birthday is in the future or before 1900.",
        "INVALID_STATUS_CHANGE": "That status change is not allowed (erasure has its own request).",
        "INVALID_ID": "The id is not a well-formed id of the expected type.",
        "PROGRAM_NOT_FOUND": "The token's program has not been provisioned yet.",
        "PROGRAM_ALREADY_EXISTS": "The program exists with other settings.",
        "MEMBER_NOT_FOUND": "No such member in the caller's program.",
        "DUPLICATE_EXTERNAL_ID": "Another member with other details has this externalId.",
        "MEMBER_NOT_ACTIVE": "The member is suspended or erased: it cannot earn or spend.",
        "ERASED_MEMBER": "This email or externalId belonged to a member erased on request; it is not enrolled again.",
        "INVALID_POINTS_CONFIG": "The points configuration breaks a rule; the message says which.",
        "INVALID_AMOUNT": "An amount or number of points is out of range or too precise.",
        "POINTS_OUT_OF_RANGE": "The points, a line of their explanation or a balance would leave the 32-bit range every client can read.",
        "INVALID_ORDER": "The order's id or lines are malformed.",
        "INVALID_REASON": "A reason is required: 1-500 characters on one line.",
        "INVALID_IDEMPOTENCY_KEY": "The idempotency key must be 1-200 printable characters.",
        "CURRENCY_MISMATCH": "The amount is not in the program's currency; nothing is converted.",
        "UNKNOWN_EVENT": "The program awards no points for that event.",
        "ALREADY_AWARDED": "This order or event already earned points.",
        "ORDER_NOT_FOUND": "No order with this id earned points in the program.",
        "RETURN_EXCEEDS_ORDER": "The returns would exceed the order's total.",
        "RETURN_ID_REUSED": "This returnId was already used with another amount.",
        "INSUFFICIENT_POINTS": "The member does not have that many spendable points.",
        "CLAWBACK_DENIED": "The member already spent these points and the program denies going below zero.",
        "IDEMPOTENCY_KEY_REUSED": "This idempotency key was used with a different input.",
        "DUPLICATE_RULE": "Two rules of the points configuration name the same event, SKU or category.",
        "INVALID_TIERS": "The tiers or the tier policy break a rule; the message says which.",
        "TIER_NOT_FOUND": "No tier with this key in the caller's program.",
        "TIERS_NOT_CONFIGURED": "The program has no tiers yet (configureTiers).",
        "INVALID_REWARD": "A field of the reward breaks a catalog rule; the message says which.",
        "INVALID_REWARDS_CONFIG": "The rewards settings are out of range.",
        "INVALID_CODE": "A discount code to import is malformed or listed twice.",
        "REWARD_NOT_FOUND": "No such reward in the caller's program.",
        "REDEMPTION_NOT_FOUND": "No such redemption in the caller's program.",
        "OUT_OF_STOCK": "The reward has no units (or pool codes) left; no points were taken.",
        "LIMIT_REACHED": "The member already redeemed this reward as often as its period allows.",
        "TIER_REQUIRED": "The reward is for members of other tiers.",
        "NOT_AVAILABLE": "The reward is inactive or outside its availability window.",
        "HOLD_EXPIRED": "The checkout hold ran out; its points and stock are (being) returned.",
        "NOT_REFUNDABLE": "The reward's policy allows no refund, or its code was already used.",
        "INVALID_REDEMPTION_STATE": "The redemption is not in a state that allows this (e.g. confirming a cancelled one).",
        "INVALID_WEBHOOK_URL": "The webhook URL is refused: https only (http to the loopback host in development), no credentials, and in production no private, loopback, link-local or metadata address.",
        "INVALID_EVENT_TYPES": "Name 1-50 event types, each a type of the event log.",
        "INVALID_DESCRIPTION": "The description must be at most 500 characters on one line.",
        "WEBHOOK_SUBSCRIPTION_NOT_FOUND": "No such webhook subscription of the caller's (a partner sees only its own).",
        "WEBHOOK_DELIVERY_NOT_FOUND": "No such webhook delivery of the caller's subscriptions.",
        "UNKNOWN_PURPOSE": "No consent purpose with this key in the caller's program.",
        "INVALID_PURPOSE": "The purpose's key or description breaks a rule; the message says which.",
        "PURPOSE_EXISTS": "The program already has a purpose with this key.",
        "INVALID_CONSENT_CHANGE": "The consent changes are empty, too many, or name a purpose twice.",
        "NOT_WITHDRAWABLE": "The purpose rests on the member's contract with the program: it cannot be withdrawn.",
        "INVALID_CONSENT_SOURCE": "The token's role may not record consent from that source.",
        "INVALID_PREFERENCES": "A preference is out of range or malformed; the message says which.",
        "INVALID_REFERRAL_CODE": "No referral code of this program attributes under this text (unknown, malformed, or retired past its grace period).",
        "INVALID_REFERRAL_CONFIG": "The referral settings break a rule; the message says which.",
        "REFERRALS_NOT_CONFIGURED": "The program has no referral settings yet (configureReferrals).",
        "ALREADY_REFERRED": "The referee already has a referrer: the first valid attribution wins.",
        "SELF_REFERRAL": "The code belongs to the referee itself (the same member, email or externalId).",
        "REFEREE_ALREADY_MEMBER": "The referee was a member before the attribution window, or has already ordered.",
        "REFERRER_NOT_ACTIVE": "The code's member is suspended or erased; its codes do not attribute.",
        "REFERRAL_NOT_FOUND": "No such referral in the caller's program.",
        "INVALID_REFERRAL_STATE": "The referral is not held for review.",
        "INVALID_SCOPES": "Partner scopes must be one or more of the known scopes.",
        "INVALID_RATE_LIMIT": "A partner client's rate limit is out of bounds: maximum 5010-1000000 points, restorePerSecond 1-100000.",
        "INVALID_OVERLAP": "The secret overlap is out of range (0-720 hours).",
        "PARTNER_CLIENT_NOT_FOUND": "No such partner client in the caller's program.",
        "PARTNER_CLIENT_REVOKED": "The partner client is revoked; its credentials no longer work.",
        "INVALID_POST": "A field of the community post breaks a rule (length, rating 1-5, what its kind may carry); the message says which.",
        "POST_NOT_FOUND": "No such community post that the caller may see (an answer's question must be an approved question).",
        "INVALID_MODERATION": "The moderation decision does not apply to the post's status (e.g. rejecting a removed post).",
        "INVALID_COMMUNITY_CONFIG": "The community settings are out of range; the message says which.",
        "RATE_LIMITED": "Too many posts, reactions or reports in the period: retry after the seconds the message and retryAfterSeconds give.",
        "OWN_POST": "Members do not react to or report their own posts.",
        "INVALID_CHALLENGE": "The challenge's goal, window or reward breaks a rule; the message says which.",
        "CHALLENGE_NOT_FOUND": "No such challenge in the caller's program.",
        "CHALLENGE_NOT_OPEN": "The challenge is inactive or has ended: it can no longer be joined.",
        "INVALID_BADGE": "The badge's image URL is not an https URL of at most 2048 characters.",
        "BADGE_NOT_FOUND": "No such badge in the caller's program.",
        "INVALID_GIFT_CONFIG": "The gift settings break a rule (amounts, budget, cap, the surprise rule, the trigger); the message says which.",
        "TRANSFERS_DISABLED": "The program does not allow points transfers between members.",
        "TRANSFER_BELOW_MINIMUM": "The transfer is below the program's minimum points per transfer.",
        "TRANSFER_ABOVE_MAXIMUM": "The transfer is above the program's maximum points per transfer.",
        "TRANSFER_DAILY_SENT_CAP": "The sender would send more than the program allows per day.",
        "TRANSFER_DAILY_RECEIVED_CAP": "The recipient would receive more than the program allows per day.",
        "MEMBERSHIP_TOO_RECENT": "The sender has not been enrolled long enough to transfer points.",
        "SELF_TRANSFER": "Members cannot transfer points to themselves.",
        "RECIPIENT_UNAVAILABLE": "No active member of the program has this referral code (unknown, retired, suspended and erased look alike).",
        "INVALID_TRANSFER_MESSAGE": "The transfer's message is not one line of at most 140 printable characters.",
        "INVALID_TRANSFER_SETTINGS": "The transfer limits are out of range or inconsistent; field and message say which.",
        "TRANSFER_NOT_FOUND": "No such points transfer in the caller's program.",
        "TRANSFER_ALREADY_REVERSED": "The transfer was reversed already: a transfer is reversed once.",
        "INVALID_SURVEY": "The survey breaks a rule (name, 1-10 questions, keys, kinds, prompts, 2-10 options of a CHOICE); field and message say which.",
        "INVALID_SURVEY_STATE": "The survey cannot do this in its status: only a DRAFT changes or opens, only an OPEN survey closes.",
        "SURVEY_NOT_FOUND": "No such survey in the caller's program.",
        "SURVEY_NAME_TAKEN": "Another survey of the program already has this name.",
        "SURVEY_NOT_OPEN": "The survey takes no answers: it is closed (a draft is SURVEY_NOT_FOUND to members).",
        "INVALID_ANSWERS": "The answers do not fit the survey's questions (an unknown or repeated key, a required answer missing, a wrong kind, a score out of range, an unknown choice, a text too long); field and message say which.",
        "ALREADY_ANSWERED": "The member has already answered this survey with other answers; a survey is answered once.",
        "INVALID_SEGMENT_RULES": "A segment condition breaks a rule (field, operator, value range, withinDays, too many conditions); field and message say which.",
        "SEGMENT_NOT_FOUND": "No such segment in the caller's program, or it is archived.",
        "SEGMENT_NAME_TAKEN": "Another segment of the program already has this name.",
        "TOO_MANY_SEGMENTS": "The program has as many live segments as it may (200): archive one first.",
        "INVALID_CAMPAIGN": "The campaign breaks a rule (name, window, trigger settings, message, offer shape and bounds, arms, holdout, conversion window); field and message say which.",
        "INVALID_CAMPAIGN_STATE": "The campaign cannot do this in its status: only a DRAFT changes or is scheduled, an ENDED or CANCELLED one is not cancelled.",
        "CAMPAIGN_NOT_FOUND": "No such campaign in the caller's program.",
        "CAMPAIGN_NAME_TAKEN": "Another campaign of the program already has this name.",
    },
)


@strawberry.type(description="A problem with a mutation's input. Nothing was changed.")
class UserError:
    field: list[str] | None = strawberry.field(
        description="Path to the input field at fault, e.g. ['input', 'email']; null if general."
    )
    message: str = strawberry.field(description="What is wrong, for a human.")
    code: ErrorCode = strawberry.field(description="What is wrong, for a program.")

    def __post_init__(self) -> None:
        # Every userError a mutation answers is built here, whichever fields the client selects.
        USER_ERRORS.labels(self.code.value).inc()


INPUT = "The mutation's input; problems with it come back as userErrors."


def user_errors(error: InvalidInput) -> list[UserError]:
    """Every problem of a refused input, with field paths rooted at the mutation's `input`."""
    return [
        UserError(field=["input", *p.field] if p.field else None, message=p.message, code=p.code)
        for p in error.problems
    ]


class TopLevelCode(StrEnum):
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    PERSISTED_QUERY_MISMATCH = "PERSISTED_QUERY_MISMATCH"
    TRUSTED_DOCUMENT_REQUIRED = "TRUSTED_DOCUMENT_REQUIRED"
    THROTTLED = "THROTTLED"


class ClientError(GraphQLError):
    """A top-level error meant for the client: shown as is, never masked."""

    def __init__(self, message: str, code: TopLevelCode) -> None:
        super().__init__(message, extensions={"code": code.value})

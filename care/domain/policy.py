"""The CARE policy: every threshold of SPEC §2, validated, with its default.

Loaded from the `[rules]`, `[tags]`, `[survey]` and `[business_hours]` tables of
`care.toml` by `care.settings.load`; rules read it and never anything else.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from difflib import get_close_matches
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from care.domain.model import Priority

# Every rule name `rules.disabled` may list, as care/rules names them (a test holds the two
# together: the rules import this module, so it cannot import them).
RULE_NAMES = (
    "connect.greeting",
    "connect.loyal_customer",
    "assist.faq",
    "assist.repeat_contact",
    "assist.error_page",
    "assist.proactive_outreach",
    "resolve.response_sla",
    "resolve.two_interactions",
    "resolve.passed_around",
    "enhance.survey",
)

# Bounds an ops engineer would never need to go past; far beyond them a number is a typo,
# and a huge one (1e308 hours) overflows the date arithmetic of every poll.
SlaHours = Annotated[float, Field(gt=0, le=8760)]  # a reply within a year at the most


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tags(_Section):
    """Tag names without the prefix; `Policy.tag("escalated")` gives `care_escalated`."""

    prefix: str = Field("care_", max_length=40)
    greeted: str = "greeted"
    loyal_customer: str = "loyal_customer"
    faq_suggested: str = "faq_suggested"
    repeat_contact: str = "repeat_contact"
    proactive: str = "proactive"
    outreach: str = "outreach"
    sla_warning: str = "sla_warning"
    sla_breached: str = "sla_breached"
    escalated: str = "escalated"
    passed_around: str = "passed_around"
    survey_solved: str = "survey_solved"
    survey_unsolved: str = "survey_unsolved"
    no_survey: str = "no_survey"

    @field_validator("prefix")
    @classmethod
    def _a_tag_zendesk_keeps(cls, value: str) -> str:
        # Zendesk lowercases tags and splits them on spaces: "CARE " would be stored as
        # "care_…", never match our own tags again, and every tag would be added anew.
        if value != value.lower() or any(c.isspace() for c in value):
            raise ValueError("must be lowercase, without spaces (helpdesks store tags that way)")
        return value


class Greeting(_Section):
    mode: Literal["note", "reply"] = "note"
    mention_tenure_after_days: int = Field(30, ge=0, le=36500)  # "with us for …" from a month


class LoyalCustomer(_Section):
    min_tenure_days: int = Field(730, ge=0, le=36500)  # two years


class Faq(_Section):
    catalogue: str | None = None  # path to a FAQ catalogue (TOML); None: the bundled one
    max_articles: int = Field(3, ge=1, le=10)
    min_score: float = Field(4.0, ge=0, le=1000)  # BM25 score an article needs to be suggested
    min_matching_words: int = Field(2, ge=1, le=100)  # ... on at least this many distinct words


class RepeatContact(_Section):
    min_tickets: int = Field(3, ge=2, le=1000)
    window_days: float = Field(7, gt=0, le=365)


class ErrorPage(_Section):
    tag: str = "error_page"  # the tag the product's error page sets
    channels: tuple[str, ...] = ("error_page",)
    min_priority: Priority = Priority.HIGH


class ProactiveOutreach(_Section):
    """`assist.proactive_outreach`: reach out first when the product shows a customer an
    error (SPEC §2, §4b)."""

    helpdesk: str | None = None  # where the ticket opens; None: the first configured one
    mode: Literal["note", "reply"] = "note"  # an internal note for an agent, or a reply
    same_error_hours: float = Field(24, gt=0, le=24 * 365)  # per customer and fingerprint
    cooldown_days: float = Field(7, ge=0, le=365)  # per customer, any error
    max_event_age_hours: float = Field(24, gt=0, le=24 * 30)  # older events: too late
    link_days: float = Field(3, ge=0, le=90)  # a ticket the customer opens this soon after
    # is linked to the outreach ticket (a note naming it); 0: never
    # Allow-lists; empty: every error. Kinds match the fingerprint or the error code
    # exactly; URL patterns are shell-style globs ("https://app.acme.com/checkout/*").
    error_kinds: tuple[str, ...] = ()
    url_patterns: tuple[str, ...] = ()
    subject: str = Field("About the error you just met: {title}", max_length=200)

    @field_validator("subject")
    @classmethod
    def _one_subject_line(cls, value: str) -> str:
        if any(c in value for c in "\r\n\0"):
            raise ValueError("must be one line: no carriage return, line feed or NUL")
        try:
            value.format(title="")
        except (KeyError, IndexError, ValueError):
            raise ValueError("may hold {title} and no other {…} field") from None
        return value


class ResponseSla(_Section):
    target_hours: SlaHours = 24
    targets_by_priority: dict[Priority, SlaHours] = Field(default_factory=dict)
    warning_ratio: float = Field(0.75, gt=0, lt=1)

    def target(self, priority: Priority | None) -> timedelta:
        hours = self.targets_by_priority.get(priority, self.target_hours) if priority else None
        return timedelta(hours=hours if hours is not None else self.target_hours)


class TwoInteractions(_Section):
    min_agent_replies: int = Field(2, ge=1, le=100)
    escalation_group_id: str | None = None
    call_booking_url: str | None = None


class PassedAround(_Section):
    min_group_hops: int = Field(3, ge=1, le=100)
    min_assignee_hops: int = Field(3, ge=1, le=100)


class Survey(_Section):
    delay_hours: float = Field(24, ge=0, le=24 * 30)
    max_late_hours: float = Field(48, gt=0, le=24 * 90)  # this late: skipped, not sent
    cooldown_days: float = Field(7, ge=0, le=365)  # per requester
    sender: str = "Support <support@example.com>"
    subject: str = "Did we solve it? {subject}"
    outbox_dir: str = "outbox"  # used when no SMTP host is configured
    reopen_on_unsolved: bool = True  # a "No, not yet" answer sets the ticket back to open

    @field_validator("sender", "subject")
    @classmethod
    def _one_header_line(cls, value: str) -> str:
        # A line break in a header value starts a header of its own (Bcc: …) in every e-mail.
        if any(c in value for c in "\r\n\x00"):
            raise ValueError("must be one line: no carriage return, line feed or NUL")
        return value


class BusinessHours(_Section):
    """Optional calendar: SLA clocks only run inside these hours."""

    timezone: str = "UTC"
    days: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] = (
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
    )
    start: time = time(9, 0)
    end: time = time(17, 0)
    holidays: tuple[date, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone (use an IANA name such as Europe/Berlin)") from None
        return value

    @model_validator(mode="after")
    def _start_before_end(self) -> BusinessHours:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        if not self.days:
            raise ValueError("days must name at least one weekday")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Rules(_Section):
    greeting: Greeting = Greeting()
    loyal_customer: LoyalCustomer = LoyalCustomer()
    faq: Faq = Faq()
    repeat_contact: RepeatContact = RepeatContact()
    error_page: ErrorPage = ErrorPage()
    proactive_outreach: ProactiveOutreach = ProactiveOutreach()
    response_sla: ResponseSla = ResponseSla()
    two_interactions: TwoInteractions = TwoInteractions()
    passed_around: PassedAround = PassedAround()
    disabled: tuple[str, ...] = ()  # rule names to switch off, e.g. ["assist.faq"]

    @field_validator("disabled")
    @classmethod
    def _known_rules(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # A misspelt name would leave the rule on without a word.
        for name in value:
            if name not in RULE_NAMES:
                raise ValueError(unknown_rule(name))
        return value


def looks_like_a_rule(name: str) -> bool:
    """Whether `name` may be shown in an error: a rule name, not a pasted secret."""
    return len(name) <= 40 and name.replace(".", "").replace("_", "").isalpha()


def unknown_rule(name: str) -> str:
    """ "'assist.faqs' is not a rule; did you mean assist.faq?" The name is shown only when
    it looks like one: a value pasted into the wrong key may be a secret."""
    close = get_close_matches(name, RULE_NAMES, n=1, cutoff=0.6)
    shown = repr(name) if looks_like_a_rule(name) else "an item"
    hint = f"did you mean {close[0]}?" if close else f"the rules are {', '.join(RULE_NAMES)}"
    return f"{shown} is not a rule; {hint}"


class Policy(_Section):
    rules: Rules = Rules()
    tags: Tags = Tags()
    survey: Survey = Survey()
    business_hours: BusinessHours | None = None
    templates_dir: str | None = None  # folder whose *.j2 files override the bundled ones

    def tag(self, name: str) -> str:
        """The full tag for a default tag name, e.g. tag("escalated") -> "care_escalated"."""
        return self.tags.prefix + getattr(self.tags, name)

    def enabled(self, rule: str) -> bool:
        return rule not in self.rules.disabled

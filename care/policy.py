"""The CARE policy: every threshold of SPEC §2, validated, with its default.

Loaded from the `[rules]`, `[tags]`, `[survey]` and `[business_hours]` tables of
`care.toml` by `care.config`; rules read it and never anything else.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from care.model import Priority


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tags(_Section):
    """Tag names without the prefix; `Policy.tag("escalated")` gives `care_escalated`."""

    prefix: str = "care_"
    greeted: str = "greeted"
    loyal_customer: str = "loyal_customer"
    faq_suggested: str = "faq_suggested"
    repeat_contact: str = "repeat_contact"
    proactive: str = "proactive"
    sla_warning: str = "sla_warning"
    sla_breached: str = "sla_breached"
    escalated: str = "escalated"
    passed_around: str = "passed_around"
    survey_solved: str = "survey_solved"
    survey_unsolved: str = "survey_unsolved"
    no_survey: str = "no_survey"


class Greeting(_Section):
    mode: Literal["note", "reply"] = "note"
    mention_tenure_after_days: int = Field(30, ge=0)  # "with us for …" from one month


class LoyalCustomer(_Section):
    min_tenure_days: int = Field(730, ge=0)  # two years


class Faq(_Section):
    catalogue: str | None = None  # path to a FAQ catalogue (TOML); None: the bundled one
    max_articles: int = Field(3, ge=1, le=10)
    min_score: float = Field(4.0, ge=0)  # BM25 score an article needs to be suggested
    min_matching_words: int = Field(2, ge=1)  # ... on at least this many distinct words


class RepeatContact(_Section):
    min_tickets: int = Field(3, ge=2)
    window_days: float = Field(7, gt=0)


class ErrorPage(_Section):
    tag: str = "error_page"  # the tag the product's error page sets
    channels: tuple[str, ...] = ("error_page",)
    min_priority: Priority = Priority.HIGH


class ResponseSla(_Section):
    target_hours: float = Field(24, gt=0)
    targets_by_priority: dict[Priority, float] = Field(default_factory=dict)
    warning_ratio: float = Field(0.75, gt=0, lt=1)

    @field_validator("targets_by_priority")
    @classmethod
    def _positive(cls, value: dict[Priority, float]) -> dict[Priority, float]:
        for priority, hours in value.items():
            if hours <= 0:
                raise ValueError(f"target for {priority.value} must be > 0 hours, got {hours}")
        return value

    def target(self, priority: Priority | None) -> timedelta:
        hours = self.targets_by_priority.get(priority, self.target_hours) if priority else None
        return timedelta(hours=hours if hours is not None else self.target_hours)


class TwoInteractions(_Section):
    min_agent_replies: int = Field(2, ge=1)
    escalation_group_id: str | None = None
    call_booking_url: str | None = None


class PassedAround(_Section):
    min_group_hops: int = Field(3, ge=1)
    min_assignee_hops: int = Field(3, ge=1)


class Survey(_Section):
    delay_hours: float = Field(24, ge=0)
    max_late_hours: float = Field(48, gt=0)  # a survey this late is skipped, not sent
    cooldown_days: float = Field(7, ge=0)  # per requester
    sender: str = "Support <support@example.com>"
    subject: str = "Did we solve it? {subject}"
    outbox_dir: str = "outbox"  # used when no SMTP host is configured
    reopen_on_unsolved: bool = True  # a "No, not yet" answer sets the ticket back to open


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
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)"
            ) from None
        return value

    @model_validator(mode="after")
    def _start_before_end(self) -> BusinessHours:
        if self.start >= self.end:
            raise ValueError(f"start {self.start} must be before end {self.end}")
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
    response_sla: ResponseSla = ResponseSla()
    two_interactions: TwoInteractions = TwoInteractions()
    passed_around: PassedAround = PassedAround()
    disabled: tuple[str, ...] = ()  # rule names to switch off, e.g. ["assist.faq"]


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

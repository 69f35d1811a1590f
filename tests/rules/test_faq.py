"""FAQ search: BM25 over the catalogue, and catalogue validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from care.faq import FaqArticle, FaqIndex, analyze
from care.policy import Faq

DEFAULT_MIN_SCORE = Faq().min_score


@pytest.fixture(scope="module")
def bundled() -> FaqIndex:
    return FaqIndex.load()


def best_ids(index: FaqIndex, text: str, limit: int = 3) -> list[str]:
    return [a.id for a, _ in index.search(text, limit, DEFAULT_MIN_SCORE)]


def test_password_question_ranks_the_password_article_first(bundled: FaqIndex) -> None:
    assert best_ids(bundled, "How do I reset my password?")[0] == "password-reset"


@pytest.mark.parametrize(
    ("text", "article"),
    [
        ("I was charged twice this month and would like a refund", "refund-policy"),
        ("Please cancel our subscription at the end of the month", "cancel-subscription"),
        ("I lost my phone and can't get the 2FA verification code", "two-factor-authentication"),
        ("Our integration gets 429 Too Many Requests from your API", "rate-limits"),
        ("How can I change the e-mail address I log in with?", "change-email"),
        ("Okta SAML login fails for all our users", "single-sign-on"),
    ],
)
def test_typical_tickets_find_their_article(bundled: FaqIndex, text: str, article: str) -> None:
    assert best_ids(bundled, text)[0] == article


@pytest.mark.parametrize(
    "text",
    ["The weather is lovely today and I like pizza", "Feature request: dark mode please", ""],
)
def test_unrelated_text_suggests_nothing(bundled: FaqIndex, text: str) -> None:
    assert bundled.search(text, 3, DEFAULT_MIN_SCORE) == []


def test_results_are_best_first_and_limited(bundled: FaqIndex) -> None:
    hits = bundled.search("invoice refund billing cancel subscription plan", 2, 0.0)
    assert len(hits) == 2
    assert hits[0][1] >= hits[1][1] > 0


def test_plurals_and_ing_forms_meet_their_stem() -> None:
    assert list(analyze("Resetting passwords")) == list(analyze("reset password"))
    assert list(analyze("invoices invoiced invoice")) == ["invoic"] * 3


def test_stopwords_and_punctuation_are_ignored() -> None:
    assert list(analyze("Hi! How do I... export?")) == ["export"]


def test_a_repeated_query_word_does_not_outweigh_the_others(bundled: FaqIndex) -> None:
    once = bundled.search("refund", 1)[0][1]
    assert bundled.search("refund refund refund refund", 1)[0][1] == pytest.approx(once)


def test_an_index_can_be_built_from_articles_directly() -> None:
    index = FaqIndex([FaqArticle("vpn", "Connect to the VPN", "https://x/vpn", "Use WireGuard.")])
    assert [a.id for a, _ in index.search("vpn connection fails", 3)] == ["vpn"]


# --- catalogue files ----------------------------------------------------------------

GOOD = """
[[article]]
id = "one"
title = "First article"
url = "https://help.example.com/one"
body = "About widgets."
keywords = ["widget"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "faq.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_bundled_catalogue_is_a_real_help_centre(bundled: FaqIndex) -> None:
    assert len(bundled) >= 20
    assert all(a.url.startswith("https://help.example.com/articles/") for a in bundled.articles)
    assert all(a.keywords and len(a.body) > 100 for a in bundled.articles)


def test_a_custom_catalogue_file_is_loaded(tmp_path: Path) -> None:
    index = FaqIndex.load(write(tmp_path, GOOD))
    assert [a.id for a in index.articles] == ["one"]
    assert index.articles[0].keywords == ("widget",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD + '[[article]]\nid = "two"\nurl = "https://x"\nbody = "b"\n', "#2 (id 'two')"),
        (GOOD + GOOD, "duplicate id 'one'"),
        (GOOD.replace("https://help", "help"), "must start with https://"),
        (GOOD.replace('["widget"]', '"widget"'), "'keywords' must be a list"),
        (GOOD + 'colour = "red"\n', "unknown key 'colour'"),
        ("[[article]\nid = 1", "not valid TOML"),
        ('title = "no articles"\n', "one or more [[article]] tables"),
    ],
    ids=["missing-title", "duplicate", "bad-url", "bad-keywords", "unknown-key", "toml", "empty"],
)
def test_a_bad_catalogue_names_the_file_and_the_entry(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ValueError) as caught:
        FaqIndex.load(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_a_missing_catalogue_file_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"nowhere\.toml"):
        FaqIndex.load(tmp_path / "nowhere.toml")


def test_one_shared_word_is_not_enough_for_a_suggestion(bundled: FaqIndex) -> None:
    engraving = "Custom engraving\nCan you engrave our logo on the lamp?"
    assert [a.id for a, _ in bundled.search(engraving, 3, 4.0, 1)] == ["custom-domain"]
    assert bundled.search(engraving, 3, 4.0, 2) == []
    domain = "How do I set up a custom domain with a CNAME record?"
    assert bundled.search(domain, 3, 4.0, 2)[0][0].id == "custom-domain"

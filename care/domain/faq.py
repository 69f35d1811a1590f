"""The FAQ catalogue and its search: which help articles answer a ticket?

Articles are scored with Okapi BM25 over title, keywords and body. Title and
keyword terms count more than body terms (a simple BM25F), because an article's
title says what it is about while its body also mentions neighbouring topics.
Every term's contribution to every article is precomputed into an inverted
index, so scoring a ticket costs one dictionary look-up per distinct query term.

A catalogue is a TOML file of `[[article]]` tables:

    [[article]]
    id = "password-reset"
    title = "Reset your password"
    url = "https://help.example.com/articles/password-reset"
    keywords = ["forgot password", "locked out"]
    body = "Open the sign-in page and choose Forgot password …"
"""

from __future__ import annotations

import heapq
import math
import string
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

K1 = 1.2
B = 0.75
FIELD_WEIGHTS = {"title": 3, "keywords": 3, "body": 1}
MAX_QUERY_CHARS = 4_000  # the start of a ticket says what it is about; quoted threads follow

_REQUIRED = ("id", "title", "url", "body")
_ALLOWED = {*_REQUIRED, "keywords"}
# Splitting on a translated string is three times faster than a regex over ticket text.
_SPLIT = str.maketrans(
    dict.fromkeys(string.punctuation + "‘“”„–—…«»•·¡¿×\u00a0", " ") | {"'": None, "’": None}
)

_STOPWORD_TEXT = """
    a about above after again all am an and any are as at be because been before being
    below between both but by can cannot could did do does doing don done down during each
    few for from further get got had has have having he her here hers him his how i if in
    into is it its itself just let me more most my myself no nor not now of off on once
    only or other our ours out over own please same she should so some still such than
    thank thanks that the their theirs them then there these they this those through to
    too under until up very was we were what when where which while who whom why will with
    would you your yours yourself hi hello hey regards dear best also im ive cant dont
    doesnt didnt isnt wont us one two like want need know tried trying try see seem show make
    work use get go going way thing time day today yesterday morning please
    help support ticket question issue problem request asap urgent
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
"""English function words plus support small talk ("please help, urgent issue"),
checked before and after stemming."""


@dataclass(frozen=True, slots=True)
class FaqArticle:
    id: str
    title: str
    url: str
    body: str
    keywords: tuple[str, ...] = ()


class FaqIndex:
    """An immutable BM25 index over FAQ articles. Build once, search many tickets."""

    def __init__(self, articles: Sequence[FaqArticle]) -> None:
        self.articles: tuple[FaqArticle, ...] = tuple(articles)
        self._postings = _postings([_weighted_terms(a) for a in self.articles])

    @classmethod
    def load(cls, path: str | Path | None = None) -> FaqIndex:
        """Load a catalogue file; None loads the bundled `care/data/faq.toml`.

        Raises ValueError naming the file (and the entry) when it is unreadable or invalid.
        """
        if path is None:
            source = resources.files("care").joinpath("data/faq.toml")
            name = "care/data/faq.toml (bundled)"
            text = source.read_text(encoding="utf-8")
        else:
            name = str(path)
            try:
                text = Path(path).read_text(encoding="utf-8")
            except OSError as exc:
                raise ValueError(f"FAQ catalogue {name}: cannot read it ({exc.strerror})") from exc
        return cls(parse_catalogue(text, name))

    def __len__(self) -> int:
        return len(self.articles)

    def search(
        self, text: str, limit: int = 3, min_score: float = 0.0, min_terms: int = 1
    ) -> list[tuple[FaqArticle, float]]:
        """The best `limit` articles for `text` scoring at least `min_score` on at least
        `min_terms` distinct words, best first.

        One shared word is weak evidence however rare it is ("custom engraving" is not
        about custom domains), so the rule asks for two.
        """
        scores: dict[int, float] = {}
        matched: dict[int, int] = {}
        postings = self._postings
        for term in query_terms(text[:MAX_QUERY_CHARS]):
            for doc, weight in postings.get(term, ()):
                scores[doc] = scores.get(doc, 0.0) + weight
                matched[doc] = matched.get(doc, 0) + 1
        hits = [
            (score, -doc)
            for doc, score in scores.items()
            if score >= min_score and score > 0 and matched[doc] >= min_terms
        ]
        best = heapq.nlargest(limit, hits)
        return [(self.articles[-neg_doc], score) for score, neg_doc in best]


def parse_catalogue(text: str, name: str) -> list[FaqArticle]:
    """Validate a TOML catalogue; `name` is how errors refer to the file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"FAQ catalogue {name}: not valid TOML ({exc})") from None
    entries = data.get("article")
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"FAQ catalogue {name}: expected one or more [[article]] tables")
    articles: list[FaqArticle] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        article = _article(entry, f"FAQ catalogue {name}: article #{number}")
        if article.id in seen:
            raise ValueError(
                f"FAQ catalogue {name}: article #{number}: duplicate id {article.id!r}"
            )
        seen.add(article.id)
        articles.append(article)
    return articles


def _article(entry: Any, where: str) -> FaqArticle:
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: expected a table")
    if isinstance(entry.get("id"), str) and entry["id"]:
        where = f"{where} (id {entry['id']!r})"
    unknown = sorted(set(entry) - _ALLOWED)
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} (allowed: {sorted(_ALLOWED)})")
    for key in _REQUIRED:
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise ValueError(f"{where}: {key!r} is missing or not a non-empty string")
    if not entry["url"].startswith(("https://", "http://")):
        raise ValueError(f"{where}: url {entry['url']!r} must start with https://")
    keywords = entry.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        raise ValueError(f"{where}: 'keywords' must be a list of strings")
    return FaqArticle(
        id=entry["id"].strip(),
        title=entry["title"].strip(),
        url=entry["url"].strip(),
        body=entry["body"].strip(),
        keywords=tuple(k.strip() for k in keywords if k.strip()),
    )


# --- text analysis ------------------------------------------------------------------


def analyze(text: str) -> Iterator[str]:
    """Lowercase, split on non-letters/digits, drop stopwords, fold light suffixes."""
    for token in _tokens(text):
        term = _TERMS.get(token)
        if term is None:
            term = _term(token)
        if term:
            yield term


def query_terms(text: str) -> set[str]:
    """The distinct terms of `text`: what a search sums over (each term counts once)."""
    terms: set[str] = set()
    cache = _TERMS
    for token in set(_tokens(text)):
        term = cache.get(token)
        if term is None:
            term = _term(token)
        if term:
            terms.add(term)
    return terms


def _tokens(text: str) -> list[str]:
    """Lowercase words; apostrophes vanish (don't -> dont), other punctuation splits."""
    return text.lower().translate(_SPLIT).split()


_TERMS: dict[str, str] = {}  # token -> term, "" for a stopword


def _term(token: str) -> str:
    term = "" if token in STOPWORDS else stem(token)
    if term in STOPWORDS:
        term = ""
    if len(_TERMS) < 200_000:  # ticket text brings typos and ids; keep the cache bounded
        _TERMS[token] = term
    return term


def stem(word: str) -> str:
    """Fold plurals, -ing, -ed and a final -e so that reset/resets/resetting meet."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # resetting -> resett -> reset
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]  # invoice/invoices/invoiced all become "invoic"
    return word


# --- index construction -------------------------------------------------------------


def _weighted_terms(article: FaqArticle) -> dict[str, int]:
    """Term frequencies of an article, with title and keyword terms counted more."""
    fields = {
        "title": article.title,
        "keywords": " ".join(article.keywords),
        "body": article.body,
    }
    freqs: dict[str, int] = {}
    for field_name, text in fields.items():
        weight = FIELD_WEIGHTS[field_name]
        for term in analyze(text):
            freqs[term] = freqs.get(term, 0) + weight
    return freqs


def _postings(docs: Sequence[dict[str, int]]) -> dict[str, tuple[tuple[int, float], ...]]:
    """term -> ((doc, BM25 contribution), …), ready to be summed per query."""
    if not docs:
        return {}
    lengths = [sum(d.values()) for d in docs]
    average = sum(lengths) / len(docs) or 1.0
    doc_freq: dict[str, int] = {}
    for freqs in docs:
        for term in freqs:
            doc_freq[term] = doc_freq.get(term, 0) + 1
    postings: dict[str, list[tuple[int, float]]] = {}
    for doc, freqs in enumerate(docs):
        norm = K1 * (1 - B + B * lengths[doc] / average)
        for term, tf in freqs.items():
            weight = _idf(len(docs), doc_freq[term]) * tf * (K1 + 1) / (tf + norm)
            postings.setdefault(term, []).append((doc, weight))
    return {term: tuple(entries) for term, entries in postings.items()}


def _idf(total: int, containing: int) -> float:
    # The "+1" variant (Lucene's) never goes negative for very common terms.
    return math.log(1 + (total - containing + 0.5) / (containing + 0.5))

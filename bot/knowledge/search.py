"""Ranking of knowledge-base entries for a free-text question (BM25 over jieba words,
character bigrams and English words), with a confidence that lets us say "not found".

Character bigrams make typos and unsegmented colloquial text still match ("红旗团之部"
shares 红旗 and 旗团 with 红旗团支部); jieba words carry the meaning for the confidence.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.knowledge.loader import Entry, KnowledgeBase

if TYPE_CHECKING:
    import jieba

# BM25 parameters; b is low because entry length mostly reflects keyword lists.
K1 = 1.2
B = 0.4
# Field weights: what an entry is called matters more than where a word appears in it.
TITLE_WEIGHT = 3.0
KEYWORD_WEIGHT = 2.0
TEXT_WEIGHT = 1.0
SECTION_WEIGHT = 0.5
# Confidence: a word found only in an entry's body is weaker evidence than one in its
# title or keywords; a corrected typo a little weaker than the word as typed; an unknown
# word weighs like a fairly rare known one (it is what the question is about), unless it
# is a single character.
BODY_SHARE = 0.6
TYPO_SHARE = 0.8
UNKNOWN_WEIGHT = 2.0
SINGLE_CHAR_SHARE = 0.3
RERANK_DEPTH = 10
COVERAGE_BLEND = 1.0


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


ZH_STOPWORDS = _words(
    """
    的 了 吗 呢 吧 啊 呀 哦 嘛 么 是 有 没 没有 不 在 和 与 及 或 也 都 就 还 又 要 想 能 会
    可以 需要 应该 得 该 我 我们 你 你们 他 她 它 咱 咱们 这 那 这个 那个 哪 哪个 哪些 哪里
    什么 啥 怎么 怎么样 怎样 如何 多少 几 几个 多久 为什么 为啥 请问 请 问 一下 一个 个
    吗？ 谁 对 把 被 给 让 从 到 上 下 里 中 具体 指 是不是 有没有 讲 说 一 弄 搞
    最少 至少 最多 一般 大概 大约 目前 现在 一定 必须 情况 方面 东西 事情 问题 准备 知道 想问
    怎么办 咋办 咋 办 行不行 可不可以 能不能
    """
)
# Words every question about criteria uses: they rank entries but say nothing about which
# part of the plan is meant, so they do not count toward the confidence.
GENERIC_WORDS = frozenset("w:" + w for w in _words("要求 条件 标准 规定 内容 基本 基本要求"))
# Colloquial forms of the same words, rewritten before segmentation.
_SPOKEN = (("每个月", "每月"), ("一个月", "每月"), ("几个钟", "几小时"), ("钟头", "小时"))
EN_STOPWORDS = _words(
    """
    a an the of for to in on at by with and or is are be do does did what which who whom how
    many much when where why can could should would will shall i me my we our you your it its
    this that there any some get need needs have has about as per from into than then
    """
)
_RUN_RE = re.compile(r"[\u3400-\u9fff]+|[a-z]+(?:'[a-z]+)?|\d+(?:\.\d+)?%?")
_PLACEHOLDER_RE = re.compile(r"\{[a-z_]+\}")


@dataclass(frozen=True)
class Hit:
    entry_id: str
    score: float
    confidence: float  # share of the question's meaningful words the entry contains, 0..1


def _stem(word: str) -> str:
    """A tiny English stemmer: enough to match plural and -ing forms."""
    for suffix, keep in (("ies", "y"), ("ing", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + keep
    return word


_base_lock = threading.Lock()
_base: jieba.Tokenizer | None = None


def _base_dictionary() -> jieba.Tokenizer:
    """jieba's dictionary, loaded once per process (about half a second)."""
    global _base
    import jieba  # lazily: importing it alone takes a noticeable part of a second

    with _base_lock:
        if _base is None:
            jieba.setLogLevel(logging.WARNING)  # it logs every dictionary load at INFO
            base = jieba.Tokenizer()
            base.initialize()
            _base = base
        return _base


class Tokenizer:
    """jieba with the knowledge base's keywords added, in a private copy of its dictionary
    (so a reloaded knowledge base starts clean and nothing else sees our words)."""

    def __init__(self, extra_words: set[str]) -> None:
        base = _base_dictionary()
        self._jieba = type(base)()
        self._jieba.FREQ = dict(base.FREQ)
        self._jieba.total = base.total
        self._jieba.initialized = True
        for word in sorted(extra_words):
            self._jieba.add_word(word)

    def terms(self, text: str) -> tuple[list[str], list[str]]:
        """(words, character bigrams) of `text`: jieba words in search mode without
        stopwords, English stems and numbers; bigrams of every run of Chinese characters."""
        text = unicodedata.normalize("NFKC", text).lower()
        for spoken, written in _SPOKEN:
            text = text.replace(spoken, written)
        words: list[str] = []
        bigrams: list[str] = []
        for run in _RUN_RE.findall(text):
            first = run[0]
            if "\u3400" <= first <= "\u9fff":
                words += [
                    "w:" + w for w in self._jieba.cut_for_search(run) if w not in ZH_STOPWORDS
                ]
                bigrams += ["b:" + run[i : i + 2] for i in range(len(run) - 1)]
            elif first.isdigit():
                words.append("n:" + run)
            elif run not in EN_STOPWORDS:
                words.append("e:" + _stem(run))
        return words, bigrams


class SearchIndex:
    """An immutable BM25 index over the entries of one KnowledgeBase."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        extra = {
            word
            for entry in kb.entries.values()
            for word in entry.keywords
            if any("\u3400" <= ch <= "\u9fff" for ch in word)
        }
        self.tokenizer = Tokenizer(extra)
        self._ids: list[str] = []
        self._tf: list[dict[str, float]] = []
        self._strong: list[frozenset[str]] = []  # terms of the title and keywords
        for entry in kb.entries.values():
            tf, strong = self._entry_terms(entry)
            self._ids.append(entry.id)
            self._tf.append(tf)
            self._strong.append(strong)
        self._lengths = [sum(tf.values()) for tf in self._tf]
        self._avg_length = sum(self._lengths) / len(self._lengths)
        df = Counter(term for tf in self._tf for term in tf)
        n = len(self._ids)
        self._idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self._postings: dict[str, list[tuple[int, float]]] = {}
        for doc, tf in enumerate(self._tf):
            norm = K1 * (1 - B + B * self._lengths[doc] / self._avg_length)
            for term, freq in tf.items():
                weight = self._idf[term] * freq * (K1 + 1) / (freq + norm)
                self._postings.setdefault(term, []).append((doc, weight))
        self._variants = self._typo_table(set().union(*self._strong))

    def _entry_terms(self, entry: Entry) -> tuple[dict[str, float], frozenset[str]]:
        tf: Counter[str] = Counter()
        strong: set[str] = set()
        fields: list[tuple[str, float]] = [(kw, KEYWORD_WEIGHT) for kw in entry.keywords]
        for local in entry.texts.values():
            fields += [
                (local.title, TITLE_WEIGHT),
                (local.text, TEXT_WEIGHT),
                (local.section, SECTION_WEIGHT),
            ]
        for text, weight in fields:
            words, bigrams = self.tokenizer.terms(_PLACEHOLDER_RE.sub(" ", text))
            for term in words + bigrams:
                tf[term] += weight
            if weight > TEXT_WEIGHT:
                strong.update(words)
        return dict(tf), frozenset(strong)

    @staticmethod
    def _typo_table(words: set[str]) -> dict[str, set[str]]:
        """Chinese words by pattern with one character blanked: 团之部 finds 团支部."""
        table: dict[str, set[str]] = {}
        for term in words:
            word = term[2:]
            if term.startswith("w:") and len(word) >= 3:
                for i in range(len(word)):
                    table.setdefault(term[:2] + word[:i] + "?" + word[i + 1 :], set()).add(term)
        return table

    def _corrections(self, term: str) -> set[str]:
        word = term[2:]
        found: set[str] = set()
        for i in range(len(word)):
            found |= self._variants.get(term[:2] + word[:i] + "?" + word[i + 1 :], set())
        return found

    def search(self, question: str, limit: int = 5) -> list[Hit]:
        """The best entries for `question`, best first (empty when nothing matches)."""
        words, bigrams = self.tokenizer.terms(question)
        # Each meaningful word, as asked or as corrected, with its weight in the confidence.
        meaning: dict[str, tuple[float, set[str]]] = {}
        for term in set(words) - GENERIC_WORDS:
            if term in self._idf:
                meaning[term] = (self._idf[term], {term})
                continue
            corrected = (
                self._corrections(term) if term.startswith("w:") and len(term) >= 5 else set()
            )
            single = term.startswith("w:") and len(term) == 3
            meaning[term] = (UNKNOWN_WEIGHT * (SINGLE_CHAR_SHARE if single else 1), corrected)
        query = set(bigrams) | (set(words) & GENERIC_WORDS)
        query = query.union(*(alts for _, alts in meaning.values()))
        scores: dict[int, float] = {}
        for term in query:
            for doc, weight in self._postings.get(term, ()):
                scores[doc] = scores.get(doc, 0.0) + weight
        if not scores:
            return []
        total = sum(weight for weight, _ in meaning.values())
        # Rerank the BM25 shortlist: an entry that answers all of the question beats one
        # that matches part of it many times.
        shortlist = sorted(scores.items(), key=lambda item: -item[1])[:RERANK_DEPTH]
        hits = [
            Hit(self._ids[doc], score, self._coverage(doc, meaning, total) if total else 0.0)
            for doc, score in shortlist
        ]
        hits.sort(key=lambda hit: -hit.score * (COVERAGE_BLEND + hit.confidence))
        return hits[:limit]

    def _coverage(
        self, doc: int, meaning: dict[str, tuple[float, set[str]]], total: float
    ) -> float:
        tf, strong = self._tf[doc], self._strong[doc]
        covered = 0.0
        for term, (weight, alternatives) in meaning.items():
            share = 1.0 if term in alternatives else TYPO_SHARE
            if alternatives & strong:
                covered += weight * share
            elif any(alt in tf for alt in alternatives):
                covered += weight * share * BODY_SHARE
        return covered / total

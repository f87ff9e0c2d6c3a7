"""Quality and speed of criteria answers on bench/qa_eval_set.yaml.

    .venv/bin/python bench/qa_eval.py [--verbose]

Prints top-1 accuracy (the answer is an acceptable entry) and top-3 accuracy (one is among
the first three entries the user is shown: the answer and its related buttons, or the
suggestions when nothing matched well enough) over the plan questions — personal
questions and small talk count when recognised as such — the off-topic rejection rate
(no entry given as the answer), the index load time, and latency per question (p50/p99)
once the index is loaded.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.knowledge.answer import MAX_RELATED, related_ids  # noqa: E402
from bot.knowledge.intent import Intent, Resolution, resolve  # noqa: E402
from bot.knowledge.loader import load_knowledge_base  # noqa: E402
from bot.knowledge.search import SearchIndex  # noqa: E402

EVAL_SET = Path(__file__).resolve().parent / "qa_eval_set.yaml"
SPECIAL = {
    "@my_progress": {Intent.MY_PROGRESS},
    "@group_progress": {Intent.GROUP_PROGRESS},
    "@smalltalk": {Intent.GREETING, Intent.THANKS},
}


@dataclass(frozen=True)
class Case:
    question: str
    expected: tuple[str, ...]  # acceptable entry ids, or one "@special", or () for off-topic
    kind: str


@dataclass
class Report:
    top1: float
    top3: float
    rejected: float
    on_topic: int
    off_topic: int
    failures: list[str]


def load_cases(path: Path = EVAL_SET) -> list[Case]:
    cases = []
    for item in yaml.safe_load(path.read_text(encoding="utf-8")):
        expect = item["expect"]
        expected = () if expect is None else tuple([expect] if isinstance(expect, str) else expect)
        cases.append(Case(str(item["q"]), expected, item.get("kind", "")))
    return cases


def shown_entries(index: SearchIndex, resolution: Resolution) -> list[str]:
    """The entries the user sees, in order: the answer and its related buttons, or the
    suggestions offered when nothing matched well enough."""
    if resolution.intent is Intent.ENTRY:
        answer = resolution.hits[0].entry_id
        return [answer, *related_ids(index.kb, answer, resolution.hits[1:])]
    if resolution.intent is Intent.NO_MATCH:
        return [hit.entry_id for hit in resolution.hits[:MAX_RELATED]]
    return []


def _rank(index: SearchIndex, case: Case, resolution: Resolution) -> int | None:
    """1-based rank of an acceptable entry among the first 3 shown, or None."""
    if case.expected[0] in SPECIAL:
        return 1 if resolution.intent in SPECIAL[case.expected[0]] else None
    for rank, entry_id in enumerate(shown_entries(index, resolution)[:3], start=1):
        if entry_id in case.expected:
            return rank
    return None


def evaluate(index: SearchIndex, cases: list[Case]) -> Report:
    top1 = top3 = rejected = on_topic = off_topic = 0
    failures = []
    for case in cases:
        resolution = resolve(index, case.question)
        got = resolution.entry_id or resolution.intent.value
        if not case.expected:
            off_topic += 1
            if resolution.intent is not Intent.ENTRY:
                rejected += 1
            else:
                failures.append(f"off-topic answered: {case.question!r} -> {got}")
            continue
        on_topic += 1
        rank = _rank(index, case, resolution)
        answered = rank == 1 and (resolution.intent is Intent.ENTRY or case.expected[0] in SPECIAL)
        top1 += answered
        top3 += rank is not None
        if not answered:
            alternatives = [
                f"{h.entry_id}:{h.score:.1f}/{h.confidence:.2f}" for h in resolution.hits
            ]
            failures.append(
                f"[{case.kind}] {case.question!r}: expected {case.expected[0]}, got {got} "
                f"(rank {rank}) {alternatives[:3]}"
            )
    return Report(
        top1=top1 / on_topic if on_topic else 0.0,
        top3=top3 / on_topic if on_topic else 0.0,
        rejected=rejected / off_topic if off_topic else 1.0,
        on_topic=on_topic,
        off_topic=off_topic,
        failures=failures,
    )


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list every miss")
    parser.add_argument("--rounds", type=int, default=20, help="latency rounds over the set")
    args = parser.parse_args()

    started = time.perf_counter()
    kb = load_knowledge_base()
    index = SearchIndex(kb)
    load_seconds = time.perf_counter() - started
    cases = load_cases()
    report = evaluate(index, cases)

    # Baseline in the same run: segmentation alone, the floor any jieba-based ranking pays.
    latencies, baseline = [], []
    for _ in range(args.rounds):
        for case in cases:
            t0 = time.perf_counter()
            resolve(index, case.question)
            t1 = time.perf_counter()
            index.tokenizer.terms(case.question)
            t2 = time.perf_counter()
            latencies.append((t1 - t0) * 1000)
            baseline.append((t2 - t1) * 1000)

    print(f"knowledge base: {len(kb.entries)} entries; eval set: {len(cases)} questions")
    print(f"  on-topic {report.on_topic} (with personal and small talk), off {report.off_topic}")
    print(f"top-1 accuracy:        {report.top1:6.1%}   (target ≥ 90%)")
    print(f"top-3 accuracy:        {report.top3:6.1%}   (target ≥ 98%)")
    print(f"off-topic rejected:    {report.rejected:6.1%}   (target ≥ 95%)")
    print(f"index load time:       {load_seconds * 1000:6.0f} ms (jieba dictionary + index)")
    print(
        f"latency per question:  p50 {_percentile(latencies, 0.5):.2f} ms, "
        f"p99 {_percentile(latencies, 0.99):.2f} ms, max {max(latencies):.2f} ms "
        f"({len(latencies)} runs; target p99 ≤ 5 ms)"
    )
    print(
        f"baseline (segmentation only): p50 {_percentile(baseline, 0.5):.2f} ms, "
        f"p99 {_percentile(baseline, 0.99):.2f} ms; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    if args.verbose:
        for line in report.failures:
            print("  miss:", line)


if __name__ == "__main__":
    main()

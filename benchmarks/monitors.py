"""Reward-hacking monitor cost per 10,000-word answer (goal: under 10 ms of CPU each).

Run: ``PYTHONPATH=. .venv/bin/python -m benchmarks monitors`` (a few seconds).

Each monitor of ``rewards.monitors`` on one English and one Chinese 10,000-unit answer, CPU time
of this process (the machine is shared; CPU time is what one core spends), min and median over
repeats. Baseline measured in the same run: ``rollout.text.count_words`` on the same text (the
one pass every reward already pays), so the ratio says how many word counts a monitor costs.
"""

from __future__ import annotations

import random
import statistics
import time

from rewards.monitors import (
    NgramReference,
    compression_ratio,
    distinct_n,
    intra_group_similarity,
    near_duplicate_share,
    overused_ngrams,
)
from rewards.segment import units
from rollout.text import count_words

UNITS = 10_000
PARA = 80
REPEATS = 15
_EN = (
    "river city market trade grain harvest season flood canal record state king temple merchant "
    "boat copper timber stone valley mountain rain drought farmer village road bridge law tax army "
    "war peace treaty empire province language writing scribe school library history memory story "
    "the a of and to in is that for it as with on be by this are from at or an which we can will"
).split()
_ZH = list(
    "河城市集贸易粮食收获季节洪水运河记录国家王庙商人船铜木石谷山雨旱农村路桥法税军战和约帝省语言写学校书历史记忆故事"
)


def _text(rng: random.Random, vocab: list[str], sep: str) -> str:
    paras, left = [], UNITS
    while left > 0:
        n = min(PARA, left)
        paras.append(sep.join(rng.choice(vocab) for _ in range(n)) + ("." if sep else "。"))
        left -= n
    return "\n\n".join(paras)


def _cpu_ms(fn, repeats: int = REPEATS) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        times.append((time.process_time() - t0) * 1000)
    return min(times), statistics.median(times)


def measure() -> list[tuple[str, str, float, float]]:
    """(language, monitor, min ms, median ms) rows, the count_words baseline first."""
    rng = random.Random(0)
    rows = []
    for lang, text in (("en", _text(rng, _EN, " ")), ("zh", _text(rng, _ZH, ""))):
        assert abs(count_words(text) - UNITS) <= 1, count_words(text)
        ref = NgramReference.from_texts(
            [_text(random.Random(1), _EN if lang == "en" else _ZH, " " if lang == "en" else "")]
        )
        group = [text, _text(random.Random(2), _EN if lang == "en" else _ZH, " " if lang == "en" else "")]
        shared = units(text)
        cases = {
            "count_words (baseline)": lambda t=text: count_words(t),
            "units (shared pass)": lambda t=text: units(t),
            "distinct-1,2,3 (on the shared units)": lambda u=shared: [distinct_n(u, n) for n in (1, 2, 3)],
            "compression_ratio": lambda t=text: compression_ratio(t),
            "near_duplicate_share": lambda t=text: near_duplicate_share(t),
            "overused_ngrams": lambda t=text, r=ref: overused_ngrams([t], r),
            "intra_group_similarity (per answer of 2)": lambda g=group: intra_group_similarity(g),
        }
        for name, fn in cases.items():
            lo, med = _cpu_ms(fn)
            if name.startswith("intra_group"):
                lo, med = lo / 2, med / 2
            rows.append((lang, name, lo, med))
    return rows


def main() -> None:
    """Print the table: CPU ms per 10,000-unit answer and the ratio to count_words."""
    rows = measure()
    base = {lang: med for lang, name, _, med in rows if name.startswith("count_words")}
    print(f"{'lang':<5}{'monitor':<38}{'min ms':>9}{'median ms':>11}{'x count_words':>15}{'< 10 ms':>9}")
    for lang, name, lo, med in rows:
        ok = "yes" if med < 10 else "NO"
        print(f"{lang:<5}{name:<38}{lo:>9.2f}{med:>11.2f}{med / base[lang]:>15.1f}{ok:>9}")


if __name__ == "__main__":
    main()

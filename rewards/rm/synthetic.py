"""Synthetic preference pairs for the CPU reward-model run: a coherent answer against a degraded one.

No model writes here, so answers are generated from templates: a request ("Write an essay of about
N words about TOPIC.") and answers built from one pool of body paragraphs per prompt (one
paragraph per point of the topic's vocabulary): an introduction announcing 3-5 points in order,
their paragraphs, and a conclusion. The rejected side is **degraded at the level of content**,
built from the same paragraphs and sentences, so no word or phrase marks a side (``kind``):

* ``shuffled`` - an answer's own sentences in a random order, paragraph sizes kept;
* ``repeated`` - one announced point's paragraph replaced by a copy of another's (one point is
  discussed twice, one never);
* ``drift`` - one announced point's paragraph replaced by one about another topic's subject
  matter (the sentences still name the requested topic, so its name gives nothing away);
* ``dropped`` - one announced point (not the first nor the last) never comes.

Both sides draw their number of body paragraphs (3-5) independently, so for every kind the
rejected answer is longer in some pairs, shorter in others and as long in the rest: a reward
model that only prefers length, or more distinct words, cannot pass. A bag-of-words classifier
(:func:`rewards.rm.evaluate.lexical_pair_scores`) stays near chance; what separates the sides is
order, repetition, relevance to the request and keeping what the introduction announces.
Deterministic for a seed. English only (the tiny tokenizer and MiniLM both read it).
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

__all__ = [
    "TOPICS",
    "KINDS",
    "make_answer",
    "degrade",
    "synthetic_pairs",
    "write_synthetic_pairs",
]

#: topic -> its own vocabulary (nouns / noun phrases the answer talks about).
TOPICS: dict[str, list[str]] = {
    "ocean tides": ["the moon", "gravity", "high tide", "low tide", "the coastline", "fishermen", "harbours"],
    "city gardens": ["rooftop beds", "compost", "tomatoes", "neighbours", "rainwater", "bees", "vacant lots"],
    "mountain railways": [
        "steep tracks",
        "tunnels",
        "steam engines",
        "passengers",
        "snow",
        "bridges",
        "valleys",
    ],
    "early printing": ["movable type", "ink", "paper mills", "printers", "pamphlets", "literacy", "books"],
    "desert plants": [
        "cactus spines",
        "deep roots",
        "dry seasons",
        "night flowers",
        "seeds",
        "shade",
        "sand",
    ],
    "jazz history": ["trumpets", "improvisation", "dance halls", "records", "swing bands", "rhythm", "radio"],
    "honey bees": ["the hive", "the queen", "pollen", "nectar", "wax combs", "swarms", "orchards"],
    "solar energy": ["panels", "sunlight", "batteries", "rooftops", "the grid", "silicon", "inverters"],
    "ancient roads": ["paved stones", "milestones", "soldiers", "traders", "bridges", "maps", "empires"],
    "coffee farming": [
        "coffee cherries",
        "shade trees",
        "harvest",
        "roasting",
        "farmers",
        "highlands",
        "beans",
    ],
    "river deltas": ["silt", "wetlands", "floods", "rice fields", "channels", "birds", "the sea"],
    "public libraries": [
        "librarians",
        "reading rooms",
        "catalogues",
        "children",
        "archives",
        "books",
        "loans",
    ],
    "volcano science": [
        "magma",
        "ash clouds",
        "lava flows",
        "craters",
        "seismometers",
        "eruptions",
        "islands",
    ],
    "bicycle design": ["frames", "gears", "chains", "tyres", "riders", "brakes", "steel tubes"],
    "winter birds": ["feeders", "seeds", "migration", "feathers", "cold nights", "flocks", "berries"],
    "glass making": ["furnaces", "sand", "glassblowers", "windows", "colours", "molten glass", "kilns"],
    "tea ceremonies": ["tea bowls", "hosts", "guests", "whisks", "seasons", "silence", "tea rooms"],
    "lighthouse keepers": ["lamps", "storms", "ships", "logbooks", "the tower", "fog horns", "rocky islands"],
    "paper kites": ["kite strings", "wind", "festivals", "bamboo frames", "tails", "children", "hills"],
    "cheese making": ["milk", "rennet", "curds", "caves", "salt", "cheesemakers", "aging"],
    "forest fires": [
        "dry brush",
        "firefighters",
        "smoke",
        "lightning",
        "new growth",
        "fire breaks",
        "pine cones",
    ],
    "clock towers": ["gears", "bells", "town squares", "pendulums", "clockmakers", "hours", "stone walls"],
    "sea turtles": ["nesting beaches", "hatchlings", "shells", "currents", "jellyfish", "eggs", "moonlight"],
    "violin making": ["spruce tops", "varnish", "strings", "luthiers", "bows", "maple backs", "sound posts"],
    "salt marshes": ["tidal creeks", "cordgrass", "crabs", "mud flats", "herons", "storm surges", "peat"],
    "rice terraces": [
        "hillsides",
        "irrigation",
        "farmers",
        "seedlings",
        "stone walls",
        "harvest",
        "water channels",
    ],
    "radio astronomy": [
        "antennas",
        "distant galaxies",
        "signals",
        "telescopes",
        "pulsars",
        "noise",
        "dishes",
    ],
    "wool weaving": ["looms", "sheep", "dyes", "weavers", "patterns", "spindles", "blankets"],
    "street markets": ["stalls", "vendors", "fruit", "bargaining", "crowds", "spices", "morning trade"],
    "arctic foxes": ["white fur", "snow burrows", "lemmings", "tundra", "cubs", "winter storms", "ice"],
    "canal boats": ["locks", "towpaths", "horses", "cargo", "narrow boats", "lock keepers", "bridges"],
    "wind mills": ["sails", "millstones", "grain", "millers", "wind", "flour", "wooden towers"],
}

KINDS = ("shuffled", "repeated", "drift", "dropped")
_BODY = (
    "{A} shapes how people think about {topic}, and {b} explains much of it.",
    "When we look closely at {a}, we see that {b} matters for {topic} as well.",
    "Many accounts of {topic} begin with {a}, because {b} depends on it.",
    "The link between {a} and {b} is a central part of {topic}.",
    "Observers of {topic} often describe {a} together with {b}.",
    "Over the years {a} changed, and {b} changed with it.",
    "Without {a}, the story of {topic} would lose {b}.",
)
_BODIES = (3, 5)  # body paragraphs of an answer (inclusive range)


def body_pool(
    rng: random.Random, topic: str, sentences: int = 3, words: list[str] | None = None
) -> dict[str, str]:
    """One body paragraph per point of ``words`` (default ``topic``'s vocabulary): "Consider
    POINT." and ``sentences`` sentences about it, naming ``topic`` (the pool a prompt's answers
    are built from; with another topic's words, the paragraphs a ``drift`` draws on)."""
    words = words or TOPICS[topic]
    out = {}
    for point in words:
        said = []
        for _ in range(sentences):
            b = rng.choice([w for w in words if w != point])
            said.append(rng.choice(_BODY).format(A=point.capitalize(), a=point, b=b, topic=topic))
        out[point] = f"Consider {point}. " + " ".join(said)
    return out


def make_answer(
    topic: str, points: list[str], pool: dict[str, str], bodies: list[str] | None = None
) -> list[str]:
    """The paragraphs of an answer about ``topic``: an introduction announcing ``points`` in
    order, the body paragraphs (default: the pool's paragraph of each announced point, which is a
    coherent answer), a conclusion naming the first and the last point."""
    intro = (
        f"This essay is about {topic}. It looks at {', '.join(points[:-1])} and {points[-1]}, "
        f"in that order, and explains why each of them matters."
    )
    outro = (
        f"In conclusion, {topic} brings together {points[0]} and {points[-1]}, and the essay has shown how."
    )
    return [intro, *(bodies if bodies is not None else [pool[p] for p in points]), outro]


def _sentences(paragraph: str) -> list[str]:
    return [s if s.endswith(".") else s + "." for s in paragraph.split(". ") if s]


def degrade(
    rng: random.Random, topic: str, pool: dict[str, str], kind: str, n_body: int, foreign: dict[str, str]
) -> list[str]:
    """A degraded answer about ``topic`` with ``n_body`` body paragraphs from ``pool`` (see the
    module docstring for each ``kind``); ``foreign`` is another topic's pool, the source of
    ``drift``. The size is drawn independently of the chosen answer's, so the rejected side is
    longer in some pairs and shorter in others for every kind."""
    if kind == "shuffled":
        points = rng.sample(list(pool), n_body)
        paras = make_answer(topic, points, pool)
        sizes = [len(_sentences(p)) for p in paras]
        order = [s for p in paras for s in _sentences(p)]
        first = order[:]
        while order == first:
            rng.shuffle(order)
        out, at = [], 0
        for n in sizes:
            out.append(" ".join(order[at : at + n]))
            at += n
        return out
    if kind == "repeated":  # n_body announced and written, one of them twice: one never comes
        points = rng.sample(list(pool), n_body)
        bodies = [pool[p] for p in points]
        src, dst = rng.sample(range(n_body), 2)
        bodies[dst] = bodies[src]
        return make_answer(topic, points, pool, bodies)
    if kind == "drift":  # one announced point's paragraph is about another topic
        points = rng.sample(list(pool), n_body)
        bodies = [pool[p] for p in points]
        bodies[rng.randrange(n_body)] = foreign[rng.choice(list(foreign))]
        return make_answer(topic, points, pool, bodies)
    if kind == "dropped":  # n_body + 1 announced, one never comes
        points = rng.sample(list(pool), n_body + 1)
        gone = rng.randrange(1, n_body)  # not the first nor the last (the conclusion names them)
        return make_answer(topic, points, pool, [pool[p] for k, p in enumerate(points) if k != gone])
    raise ValueError(f"unknown degradation {kind!r}; choose one of {', '.join(KINDS)}")


def synthetic_pairs(n_prompts: int = 64, pairs_per_prompt: int = 3, seed: int = 0) -> list[dict]:
    """``n_prompts x pairs_per_prompt`` pair rows (``id, prompt, chosen, rejected, kind``),
    cycling through the topics with varied word targets. Each prompt has one pool of body
    paragraphs (:func:`body_pool`); both sides of its pairs are built from it, each with 3-5 body
    paragraphs drawn independently; each kind equally often, in a random order. A ``drift``
    paragraph names the requested topic but discusses the vocabulary of another topic drawn at
    random (so the topic's name does not give it away)."""
    if n_prompts < 2:
        raise ValueError(
            "synthetic pairs need at least 2 prompts (drift borrows another prompt's paragraphs)"
        )
    rng = random.Random(seed)
    topics = list(TOPICS)
    prompts = []
    for i in range(n_prompts):
        topic = topics[i % len(topics)]
        target = 50 * rng.randint(3, 8)
        style = rng.choice(("an essay", "a short article", "a report"))
        prompt = f"Write {style} of about {target} words about {topic}. (request {i})"
        prompts.append((prompt, topic, body_pool(rng, topic)))
    kinds = [KINDS[k % len(KINDS)] for k in range(n_prompts * pairs_per_prompt)]
    rng.shuffle(kinds)
    rows = []
    for i, (prompt, topic, pool) in enumerate(prompts):
        others = [k for k in range(n_prompts) if prompts[k][1] != topic]
        for j in range(pairs_per_prompt):
            kind = kinds[i * pairs_per_prompt + j]
            chosen = make_answer(topic, rng.sample(list(pool), rng.randint(*_BODIES)), pool)
            # drift: the request's topic named, another topic's subject matter discussed
            foreign = body_pool(rng, topic, words=TOPICS[prompts[rng.choice(others)][1]])
            rejected = degrade(rng, topic, pool, kind, rng.randint(*_BODIES), foreign)
            rows.append(
                {
                    "id": f"syn-{i}-{j}",
                    "prompt": prompt,
                    "chosen": "\n\n".join(chosen),
                    "rejected": "\n\n".join(rejected),
                    "kind": kind,
                }
            )
    return rows


def write_synthetic_pairs(
    path: str | os.PathLike, n_prompts: int = 64, pairs_per_prompt: int = 3, seed: int = 0
) -> Path:
    """Write :func:`synthetic_pairs` as jsonl to ``path`` (the input of ``longwrite rm data``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in synthetic_pairs(n_prompts, pairs_per_prompt, seed):
            fh.write(json.dumps(row) + "\n")
    return path

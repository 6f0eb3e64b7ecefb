"""Synthetic preference pairs for the CPU reward-model run: a coherent answer against a degraded one.

No model writes here, so answers are generated from templates: a request ("Write an essay of about
N words about TOPIC.") and an answer with an introduction, numbered body paragraphs built from
the topic's own vocabulary, and a conclusion. The rejected side is the same answer degraded in
one of these ways (``kind``):

* ``shuffled`` - the paragraphs in another order (the conclusion first, the introduction last);
* ``repeated`` - one body paragraph repeated in place of the others (same length);
* ``repeated_long`` - the whole answer followed by repeats of its paragraphs (longer);
* ``off_topic`` - the body paragraphs drift to an unrelated subject (:data:`OFF_TOPICS`);
* ``filler`` - the body paragraphs replaced by generic filler sentences;
* ``broken`` - one block without paragraph breaks, the conclusion dropped, cut mid-sentence
  (shorter).

The kinds are drawn so that the chosen answer is longer in some pairs and shorter in others, so a
reward model that only prefers length cannot pass the held-out accuracy bar. Deterministic for a
seed. English only (the tiny tokenizer and MiniLM both read it).
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

__all__ = [
    "TOPICS",
    "OFF_TOPICS",
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

#: unrelated subjects the ``off_topic`` paragraphs drift into (never a requested topic).
OFF_TOPICS: dict[str, list[str]] = {
    "football scores": ["the striker", "penalties", "the league table", "goalkeepers", "the referee", "fans"],
    "cake recipes": ["butter", "sugar", "the oven", "icing", "flour", "baking tins"],
    "car insurance": ["premiums", "claims", "the policy", "deductibles", "drivers", "brokers"],
    "phone contracts": ["data plans", "monthly fees", "handsets", "roaming", "the network", "upgrades"],
}

KINDS = ("shuffled", "repeated", "repeated_long", "off_topic", "filler", "broken")
_SENTENCES = 2
_ORDINALS = ("First", "Second", "Third", "Fourth", "Fifth", "Sixth")
_BODY = (
    "{A} shapes how people think about {topic}, and {b} explains much of it.",
    "When we look closely at {a}, we see that {b} matters for {topic} as well.",
    "Many accounts of {topic} begin with {a}, because {b} depends on it.",
    "The link between {a} and {b} is a central part of {topic}.",
    "Observers of {topic} often describe {a} together with {b}.",
    "Over the years {a} changed, and {b} changed with it.",
    "Without {a}, the story of {topic} would lose {b}.",
)
_FILLER = (
    "It is important to note that many things are important in many ways.",
    "As mentioned before, this is something that matters for various reasons.",
    "There are many aspects to consider, and each of them is an aspect.",
    "In many cases, things can be said about things in general terms.",
    "This point is worth making again, because it is a point worth making.",
    "Some people think one thing, while other people think another thing.",
)


def _sentence(rng: random.Random, topic: str, words: list[str]) -> str:
    a, b = rng.sample(words, 2)
    return rng.choice(_BODY).format(A=a.capitalize(), a=a, b=b, topic=topic)


def make_answer(rng: random.Random, topic: str, n_body: int, sentences: int = 2) -> list[str]:
    """The paragraphs of a coherent answer about ``topic``: introduction, ``n_body`` numbered body
    paragraphs of ``sentences`` sentences each (the topic's own vocabulary), conclusion."""
    words = TOPICS[topic]
    intro = (
        f"This essay is about {topic}. It looks at {words[0]}, {words[1]} and {words[2]}, "
        f"and explains why each of them matters."
    )
    body = [
        f"{_ORDINALS[i]}, consider {words[i % len(words)]}. "
        + " ".join(_sentence(rng, topic, words) for _ in range(sentences))
        for i in range(n_body)
    ]
    outro = f"In conclusion, {topic} brings together {words[0]} and {words[-1]}, and the essay has shown how."
    return [intro, *body, outro]


def degrade(rng: random.Random, paras: list[str], kind: str, topic: str) -> list[str]:
    """A degraded copy of the answer ``paras`` (see the module docstring for each ``kind``)."""
    intro, body, outro = paras[0], paras[1:-1], paras[-1]
    if kind == "shuffled":
        middle = body[:]
        rng.shuffle(middle)
        return [outro, *middle, intro]
    if kind == "repeated":
        return [intro, *([body[0]] * len(body)), outro]
    if kind == "repeated_long":
        return [*paras, *body, *body]
    if kind == "off_topic":
        other = rng.choice(list(OFF_TOPICS))
        words = OFF_TOPICS[other]
        drift = [
            f"{_ORDINALS[i]}, consider {words[i % len(words)]}. "
            + " ".join(_sentence(rng, other, words) for _ in range(_SENTENCES))
            for i in range(len(body))
        ]
        return [intro, *drift, outro]
    if kind == "filler":
        return [intro, *(" ".join(rng.sample(_FILLER, 4)) for _ in body), outro]
    if kind == "broken":
        block = " ".join([intro, *body])
        cut = block[: int(len(block) * rng.uniform(0.5, 0.7))]
        return [cut.rsplit(" ", 1)[0]]
    raise ValueError(f"unknown degradation {kind!r}; choose one of {', '.join(KINDS)}")


def synthetic_pairs(n_prompts: int = 64, pairs_per_prompt: int = 3, seed: int = 0) -> list[dict]:
    """``n_prompts x pairs_per_prompt`` pair rows (``id, prompt, chosen, rejected, kind``),
    cycling through the topics with varied word targets, body sizes and degradations."""
    rng = random.Random(seed)
    topics = list(TOPICS)
    rows = []
    for i in range(n_prompts):
        topic = topics[i % len(topics)]
        n_body = rng.randint(2, 4)
        target = 50 * rng.randint(3, 8)
        style = rng.choice(("an essay", "a short article", "a report"))
        prompt = f"Write {style} of about {target} words about {topic}. (request {i})"
        for j in range(pairs_per_prompt):
            paras = make_answer(rng, topic, n_body)
            kind = KINDS[(i * pairs_per_prompt + j) % len(KINDS)]
            rejected = degrade(rng, paras, kind, topic)
            rows.append(
                {
                    "id": f"syn-{i}-{j}",
                    "prompt": prompt,
                    "chosen": "\n\n".join(paras),
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

"""Write long_requests_blind.jsonl: a fresh, blind held-out set for the length parser (issue 23).

Run from the repository root: ``python tests/rewards/length/data/make_blind_requests.py``. The
output is deterministic (seeded). It was written, labelled and frozen (its sha256 is pinned in
tests/rewards/length/test_blind_set.py) BEFORE the parser was run on any of its rows and before any
parser change; a later edit must make a new blind set, not change this one.

What is new here, against make_long_requests.py: the material kinds (lab notebooks, supply
contracts, product reviews, code-review threads, call and podcast transcripts, recipes, train
timetables, survey results, bilingual parallel text, JSON and CSV pastes, markdown match tables,
incident logs, property listings, e-mail threads, release notes, course pages, funding calls),
each built as a document with its own structure; the phrasings of the length requirement
("roughly", "or so", "2k words", "Word count: 700–900", "between ... and", "no more than",
"minimum ... maximum", full-width digits, 两千字左右, 1.5万字, 八百到一千字, 不少于两千, 三千字以上);
and the traps: lengths written inside the material (a contract clause on report length, a
"600-word complaint" in a review, "word_count" fields in JSON, a course page's essay length),
section-level limits, page / slide / chapter / screenshot counts, and numbers with other units.

Labelling rule, decided by reading each request as a person would (LongWriter-Zero's ranges):
about N ("about", "around", "roughly", "or so", "aim for", a bare "N-word", N字, N字左右, 约N字,
控制在N字左右) -> [0.9N, 1.1N]; at most N ("no more than", "under", "max", "不超过", "不要超过",
"以内") -> [0.9N, N]; at least N ("at least", "minimum", "不少于", "以上") -> [N, 1.1N]; a range,
or a minimum and a maximum stated together -> itself; K parts "each about N" -> K x the part's
range; every section given a length and no total -> the sum of the sections' ranges. "none" when
the whole response's length is not stated: only one section limited, only pages / slides /
screenshots / chapters counted, or no length at all. Ambiguous cases, decided so:
(a) a length inside pasted material is NOT the response's length, unless the instruction adopts
    it for the very text it asks for (the course page's "Final essay: 3,000 words (±10%)" with
    "write my final essay" -> [2700, 3300]; a contract's report-length clause with "summarise the
    contract" -> not);
(b) when the response IS one named section ("Draft just the lay summary (max 250 words)"), that
    section's limit is the whole response's;
(c) "2k words" is 2,000 words; full-width digits are digits; 1.5万字 is 15,000 characters.
Units: "words" (English words) or "chars" (Chinese characters), as rollout.text counts them.
"""

from __future__ import annotations

import json
import random
import textwrap
from pathlib import Path

OUT = Path(__file__).resolve().parent / "long_requests_blind.jsonl"
SEED = 20261205


def _about(n: int, unit: str) -> dict:
    return {"lower": round(0.9 * n), "upper": round(1.1 * n), "unit": unit}


def _most(n: int, unit: str) -> dict:
    return {"lower": round(0.9 * n), "upper": n, "unit": unit}


def _least(n: int, unit: str) -> dict:
    return {"lower": n, "upper": round(1.1 * n), "unit": unit}


def _range(a: int, b: int, unit: str) -> dict:
    return {"lower": a, "upper": b, "unit": unit}


def _grow(rng: random.Random, make, goal: tuple[int, int], sep: str = "\n") -> str:
    """Join entries from ``make(rng, i)`` until the text reaches a length drawn from ``goal``."""
    want = rng.randint(*goal)
    out: list[str] = []
    i = 0
    while len(sep.join(out)) < want:
        out.append(make(rng, i))
        i += 1
    return sep.join(out)


# ---------------------------------------------------------------------------------------------
# Material kinds (English)
# ---------------------------------------------------------------------------------------------

REAGENTS = ["Tris base", "sodium chloride", "EDTA disodium", "glycine", "MgCl2 hexahydrate", "sucrose"]


def en_lab(rng: random.Random) -> str:
    def entry(r: random.Random, i: int) -> str:
        h, m = 8 + i // 3, r.randint(0, 59)
        return r.choice(
            [
                f"{h:02d}:{m:02d}  Weighed {r.uniform(0.2, 30):.2f} g of {r.choice(REAGENTS)} into a "
                f"{r.choice([50, 100, 250])} mL beaker, topped up to {r.choice([40, 80, 200])} mL with DI water; "
                f"pH {r.uniform(6.5, 8.9):.2f} after {r.randint(3, 25)} min stirring.",
                f"{h:02d}:{m:02d}  Spun S{r.randint(1, 9)}-S{r.randint(10, 24)} at {r.choice([4000, 12000, 14500])} rpm "
                f"for {r.randint(5, 30)} min at 4 °C. Pellet {r.choice(['firm', 'loose', 'barely visible'])}.",
                f"{h:02d}:{m:02d}  Plate reader, 450 nm: A{i % 12 + 1} {r.uniform(0.05, 2.4):.3f}, "
                f"B{i % 12 + 1} {r.uniform(0.05, 2.4):.3f}, C{i % 12 + 1} {r.uniform(0.05, 2.4):.3f} (blank "
                f"{r.uniform(0.04, 0.06):.3f}).",
                f"{h:02d}:{m:02d}  Gel at {r.choice([90, 100, 120])} V for {r.randint(35, 70)} min, 1.{r.randint(0, 5)}% "
                f"agarose; band near {r.randint(300, 2900)} bp in lanes {r.randint(2, 4)}-{r.randint(5, 9)}.",
                f"Note: the {r.choice([20, 200, 1000])} µL pipette reads {r.uniform(0.5, 4):.1f}% high; "
                f"recalibration booked for day {r.randint(2, 28)}.",
                f"{h:02d}:{m:02d}  Incubator door left ajar ~{r.randint(2, 15)} min; temperature dipped to "
                f"{r.uniform(33, 36.5):.1f} °C, back to 37.0 °C by {h:02d}:{(m + 20) % 60:02d}.",
            ]
        )

    days = []
    for d in range(rng.randint(3, 4)):
        days.append(
            f"=== Day {d + 1} - bench 3, protocol P-{rng.randint(100, 999)} ===\n"
            + _grow(rng, entry, (800, 1300))
        )
    return "\n\n".join(days)


def en_contract(rng: random.Random, report_clause: bool = True) -> str:
    clauses = [
        lambda r: (
            f"The Supplier shall deliver the Goods within {r.randint(5, 30)} Business Days of the "
            f"Purchase Order date. Late delivery incurs liquidated damages of {r.uniform(0.1, 1.5):.1f}% of the "
            f"Order value per day, capped at {r.randint(5, 15)}% in aggregate."
        ),
        lambda r: (
            f"Payment is due net {r.choice([30, 45, 60])} days from receipt of a valid invoice. Invoices "
            f"above USD {r.randint(20, 400) * 1000:,} require written approval from two authorised signatories."
        ),
        lambda r: (
            f"Either Party may terminate this Agreement for convenience on {r.choice([30, 60, 90])} days' "
            "written notice, provided that Orders already accepted shall be fulfilled."
        ),
        lambda r: (
            f"The Supplier's aggregate liability under this Agreement shall not exceed {r.randint(1, 3)} "
            f"times the Fees paid in the {r.choice([6, 12, 24])} months preceding the event giving rise to the claim."
        ),
        lambda r: (
            f"Confidential Information shall remain confidential for {r.randint(2, 7)} years after "
            "termination or expiry, whichever is later."
        ),
        lambda r: (
            f"The Supplier shall maintain product liability insurance of not less than USD "
            f"{r.randint(1, 10)},000,000 per occurrence and provide certificates within {r.randint(5, 20)} days."
        ),
        lambda r: (
            f"Spare parts shall remain available for {r.randint(5, 10)} years after the last delivery, at "
            f"prices not exceeding list price plus {r.uniform(1, 6):.1f}% per annum."
        ),
    ]
    out = [
        f"MASTER SUPPLY AGREEMENT No. MSA-{rng.randint(2020, 2026)}-{rng.randint(100, 999)}",
        "between Harrowgate Components Ltd (the 'Supplier') and Tilbury Appliances plc (the 'Buyer')",
        "",
    ]
    sec = 1
    while len("\n".join(out)) < rng.randint(3000, 4200):
        out.append(
            f"{sec}. {rng.choice(['DELIVERY', 'PAYMENT', 'TERM', 'LIABILITY', 'CONFIDENTIALITY', 'SUPPORT'])}"
        )
        for sub in range(1, rng.randint(3, 5)):
            out.append(f"{sec}.{sub} {rng.choice(clauses)(rng)}")
        if report_clause and sec == 3:
            out.append(
                f"{sec}.{sub + 1} The Supplier shall provide a monthly service report, which shall not exceed "
                "1,500 words, by the fifth Business Day of each month."
            )
        sec += 1
    return "\n".join(out)


def en_reviews(rng: random.Random) -> str:
    names = ["Priya K.", "Tom W.", "Mariela G.", "Dmitri S.", "Aoife B.", "Kwame O.", "Lena H."]

    def review(r: random.Random, i: int) -> str:
        stars = r.randint(1, 5)
        body = r.choice(
            [
                f"Crushes ice in about {r.randint(8, 25)} seconds. The {r.choice([1.5, 2.0])} L jar is heavy but "
                f"solid. Noise is around {r.randint(78, 95)} dB, so not before 7 am.",
                f"Returned after {r.randint(3, 40)} days. Support kept me on hold for {r.randint(20, 75)} minutes. "
                "I wrote a 600-word complaint and got a two-line reply.",
                f"Paid ${r.randint(89, 249)}.99 on sale. The manual is {r.randint(24, 60)} pages and I read maybe "
                f"{r.randint(2, 5)} of them. Smoothies are great, soups less so.",
                f"Motor smelled hot on day {r.randint(1, 9)}. Replacement arrived in {r.randint(2, 6)} days and has "
                f"done {r.randint(40, 300)} blends since without trouble.",
                f"The {r.randint(5, 12)} speed settings are overkill; I use two. Cleaning takes under a minute.",
            ]
        )
        return (
            f"{'★' * stars}{'☆' * (5 - stars)}  {r.choice(names)} - verified purchase, {r.randint(1, 28)} "
            f"{r.choice(['Mar', 'Apr', 'May', 'Jun'])}\n{body}\n{r.randint(0, 140)} people found this helpful."
        )

    return "Customer reviews - VortexPro 900 blender (4.1 out of 5, 2,318 ratings)\n\n" + _grow(
        rng, review, (3000, 4300), "\n\n"
    )


def en_code_review(rng: random.Random) -> str:
    users = ["@mhalloran", "@zoe-li", "@bkaur", "@devon-r"]
    files = ["src/cache/lru.py", "src/http/client.py", "src/jobs/retry.py", "tests/test_client.py"]

    def item(r: random.Random, i: int) -> str:
        f = r.choice(files)
        a = r.randint(10, 400)
        return r.choice(
            [
                f"{r.choice(users)} commented on {f} L{a}-L{a + r.randint(2, 12)}\n"
                f"> buf = bytearray({r.choice([4096, 65536, 1048576])})\n"
                f"This allocates {r.randint(4, 1024)} KB per request; at {r.randint(200, 5000)} req/s that is "
                "a lot of garbage. Can we reuse the buffer?",
                f"diff --git a/{f} b/{f}\n@@ -{a},{r.randint(3, 9)} +{a},{r.randint(3, 9)} @@\n"
                f"-    timeout = {r.randint(1, 30)}\n+    timeout = {r.randint(31, 120)}  # seconds\n"
                f"     retries = {r.randint(2, 6)}",
                f"{r.choice(users)}: lines must stay under {r.choice([88, 100, 120])} characters per the style "
                f"guide; L{a} is {r.randint(121, 180)}.",
                f"{r.choice(users)} replied: benchmarked it - p99 went from {r.randint(80, 300)} ms to "
                f"{r.randint(20, 79)} ms over {r.randint(10, 50)},000 requests.",
                f"{r.choice(users)} approved these changes ({r.randint(2, 14)} files, +{r.randint(20, 900)} "
                f"-{r.randint(5, 400)})",
            ]
        )

    return f"Pull request #{rng.randint(1000, 9999)}: bounded retries and a pooled read buffer\n\n" + _grow(
        rng, item, (3100, 4400), "\n\n"
    )


def en_transcript(rng: random.Random, lines: list[str] | None = None) -> str:
    who = ["HOST", "MAYA (customer)", "RAJ (account lead)", "GUEST"]
    said = [
        lambda r: (
            f"We shipped {r.randint(2, 90)},{r.randint(100, 999)} units in March, roughly {r.randint(3, 40)}% "
            "over plan, and returns stayed flat."
        ),
        lambda r: "The last blog post ran about 2,400 words and honestly nobody read past the first screen.",
        lambda r: (
            f"I'd keep the board deck to {r.randint(8, 15)} slides; last time we had 40 and lost them by slide six."
        ),
        lambda r: (
            f"Onboarding used to take {r.randint(9, 20)} days. With the new flow it's {r.randint(2, 8)}."
        ),
        lambda r: (
            f"We moved {r.randint(3, 30)} terabytes over a weekend and the only outage was {r.randint(4, 19)} "
            "minutes, at 3 a.m."
        ),
        lambda r: "Can we get the case study down to two pages? Sales print these things.",
        lambda r: (
            f"Budget for next year is about ${r.randint(2, 9)}.{r.randint(1, 9)} million, pending sign-off."
        ),
        lambda r: "Yeah. Yeah, exactly. That was the turning point, I think.",
    ]

    def turn(r: random.Random, i: int) -> str:
        t = 60 + i * r.randint(20, 70)
        text = lines[i % len(lines)] if lines else r.choice(said)(r)
        return f"[{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}] {r.choice(who)}: {text}"

    return "TRANSCRIPT - recorded call, auto-generated, lightly cleaned\n\n" + _grow(rng, turn, (3000, 4400))


def en_recipe(rng: random.Random) -> str:
    head = (
        "Grandma Ilse's plum cake (Zwetschgenkuchen), serves 12\n\n"
        "Ingredients\n"
        f"- {rng.randint(350, 500)} g plain flour\n- {rng.randint(20, 42)} g fresh yeast\n"
        f"- {rng.randint(180, 250)} ml lukewarm whole milk\n- {rng.randint(60, 90)} g caster sugar\n"
        f"- {rng.randint(50, 80)} g butter, soft\n- 1 egg, plus 1 yolk\n- {rng.uniform(1.2, 1.8):.1f} kg plums, halved\n"
        "- 1 tsp cinnamon\n\nMethod\n"
    )
    steps = [
        lambda r: (
            f"Warm the milk to {r.randint(35, 40)} °C and crumble in the yeast; rest {r.randint(8, 15)} minutes "
            "until foamy."
        ),
        lambda r: (
            f"Knead everything except the plums for {r.randint(6, 12)} minutes, then prove covered for "
            f"{r.randint(45, 90)} minutes until doubled."
        ),
        lambda r: (
            f"Roll out to a {r.choice([30, 33])} x {r.choice([40, 43])} cm tray and press the plums in, cut side "
            "up, in tight rows."
        ),
        lambda r: (
            f"Preheat to {r.choice([180, 190, 200])} °C ({r.choice([356, 374, 392])} °F) fan off; bake "
            f"{r.randint(30, 40)}-{r.randint(41, 50)} minutes until the edges brown."
        ),
        lambda r: "Dust with cinnamon sugar while warm. It keeps 2 days; on day 3 it is better toasted.",
        lambda r: (
            f"Tip from my aunt: if the plums are watery, scatter {r.randint(2, 4)} tbsp ground almonds under them."
        ),
    ]
    body = "\n".join(f"{i + 1}. {step(rng)}" for i, step in enumerate(steps))
    comments = [
        lambda r: (
            f"Made this with {r.choice(['damsons', 'greengages', 'apricots'])} - {r.randint(35, 45)} minutes was right."
        ),
        lambda r: (
            f"Used {r.randint(7, 14)} g dried yeast instead of fresh; rose in {r.randint(50, 80)} minutes."
        ),
        lambda r: (
            f"My tin is {r.randint(20, 28)} x {r.randint(30, 36)} cm, so I halved it. Still {r.randint(8, 10)} slices."
        ),
        lambda r: "Streusel on top is how my mother did it: 100 g flour, 60 g butter, 50 g sugar.",
        lambda r: f"Gluten-free flour works if you add {r.randint(1, 2)} tsp psyllium. Crumb is denser.",
    ]
    talk = _grow(rng, lambda r, i: f"Reader {r.randint(2, 400)}: {r.choice(comments)(r)}", (1500, 2100))
    return head + body + "\n\nReader comments\n" + talk


def en_timetable(rng: random.Random) -> str:
    rows = [
        "| Train | Departs | From | Arrives | To | Platform | Duration |",
        "|---|---|---|---|---|---|---|",
    ]
    places = ["Lucerne", "Interlaken Ost", "Bern", "Zurich HB", "Lugano", "Brig", "Spiez"]
    while len("\n".join(rows)) < rng.randint(3000, 4000):
        h, m = rng.randint(5, 22), rng.randint(0, 59)
        d = rng.randint(35, 190)
        a = h * 60 + m + d
        rows.append(
            f"| IR {rng.randint(10, 99)}{rng.randint(10, 99)} | {h:02d}:{m:02d} | {rng.choice(places)} | "
            f"{a // 60 % 24:02d}:{a % 60:02d} | {rng.choice(places)} | {rng.randint(1, 14)} | {d // 60} h {d % 60} min |"
        )
    return "SBB timetable extract, valid 14 Dec - 12 Jun\n\n" + "\n".join(rows)


def en_survey(rng: random.Random, title: str = "Staff engagement survey 2026") -> str:
    qs = [
        "I have the tools I need to do my job well.",
        "My manager gives me useful feedback at least monthly.",
        "I would recommend this company as a place to work.",
        "Meetings in my team are a good use of time.",
        "I understand how my work contributes to the company's goals.",
        "Workload in my team is manageable most weeks.",
        "I see a path to grow my career here in the next 2 years.",
    ]

    def q(r: random.Random, i: int) -> str:
        p = [r.randint(5, 40) for _ in range(5)]
        s = sum(p)
        p = [round(100 * x / s, 1) for x in p]
        return (
            f"Q{i + 1}. {qs[i % len(qs)]}\n"
            f"    Strongly agree {p[0]}% | Agree {p[1]}% | Neutral {p[2]}% | Disagree {p[3]}% | "
            f"Strongly disagree {p[4]}%   (n = {r.randint(1100, 2400):,}; mean {r.uniform(2.1, 4.4):.2f}/5; "
            f"vs 2025 {r.uniform(-0.4, 0.4):+.2f})"
        )

    return f"{title} - results by question (response rate {rng.randint(55, 88)}%)\n\n" + _grow(
        rng, q, (1500, 2100)
    )


def en_json_articles(rng: random.Random) -> str:
    topics = ["heat pumps", "e-bikes", "sourdough", "index funds", "sleep", "tiny houses", "VR fitness"]
    items = []
    while len(json.dumps(items, indent=2)) < rng.randint(3000, 4200):
        items.append(
            {
                "slug": f"{rng.choice(topics).replace(' ', '-')}-{rng.randint(10, 99)}",
                "status": rng.choice(["published", "draft", "scheduled"]),
                "word_count": rng.randint(600, 4200),
                "views_30d": rng.randint(150, 90000),
                "avg_read_seconds": rng.randint(20, 480),
                "author": rng.choice(["kp", "jt", "rn", "sm"]),
            }
        )
    return json.dumps(items, indent=2)


def en_csv_orders(rng: random.Random) -> str:
    lines = ["order_id,sku,qty,unit_price_usd,discount_pct,ship_days,region"]
    while len("\n".join(lines)) < rng.randint(3000, 4200):
        lines.append(
            f"{rng.randint(100000, 999999)},SKU-{rng.randint(1000, 9999)},{rng.randint(1, 40)},"
            f"{rng.uniform(3, 900):.2f},{rng.choice([0, 5, 10, 15, 20])},{rng.randint(1, 14)},"
            f"{rng.choice(['NA', 'EMEA', 'APAC', 'LATAM'])}"
        )
    return "\n".join(lines)


def en_match_table(rng: random.Random) -> str:
    players = [
        "Okafor",
        "Lindqvist",
        "Ramos",
        "Petit",
        "Nakamura",
        "Byrne",
        "Haddad",
        "Costa",
        "Vidal",
        "Kerr",
        "Moreau",
        "Adeyemi",
        "Sousa",
        "Fischer",
    ]
    out = []
    for half in ("First half", "Second half", "Last five matches", "Season to date"):
        out += [
            f"### {half}",
            "",
            "| Player | Min | Goals | Shots | Passes | Pass % | km run |",
            "|---|---|---|---|---|---|---|",
        ]
        for p in players:
            out.append(
                f"| {p} | {rng.randint(10, 90) if half != 'Season to date' else rng.randint(400, 2100)} | "
                f"{rng.randint(0, 2)} | {rng.randint(0, 7)} | {rng.randint(8, 70)} | {rng.uniform(61, 95):.1f} | "
                f"{rng.uniform(2.1, 11.9):.1f} |"
            )
        out.append("")
    return "\n".join(out)


def en_op_ed(rng: random.Random) -> str:
    """A pasted op-ed hard-wrapped at one width, with "5,000 / words" broken across a line."""
    paras = [
        "When the council first proposed closing Market Street to cars, the consultation document "
        "ran to 5,000 words and most residents never got past the summary. That was a mistake, and "
        "the council has admitted as much. The plan itself was never the problem; the way it was "
        "explained was.",
        "Footfall figures from the eighteen-month trial are now in. Weekday visits rose by 14 per "
        "cent, Saturday visits by 22 per cent, and the number of empty units fell from 11 to 6. "
        "Delivery drivers, who were the loudest critics, now use the new loading bays between 6 and "
        "10 in the morning with few complaints.",
        "None of this means the scheme is finished. Disabled access from the two car parks remains "
        "poor, the bus diversion adds four minutes to route 7, and the cycle lanes end abruptly at "
        "the bridge. These are fixable problems, and fixing them would cost a fraction of the "
        "£2.3 million already spent.",
        "What the council needs now is not another 90-page report but a short, honest update: what "
        "worked, what did not, and what happens next. People will read that. They did not read the "
        "last one, and it is hard to blame them.",
        "Other towns are watching. Three have asked for the trial data, and one has already copied "
        "the loading-bay timetable almost word for word. If Market Street becomes a model, it will "
        "be because the results were good, not because the paperwork was thorough.",
    ]
    text = " ".join(paras * 4)
    for width in range(60, 90):
        wrapped = textwrap.fill(text, width=width)
        if "5,000\nwords" in wrapped:
            return "Pasted from the Courier, Saturday edition:\n\n" + wrapped
    raise RuntimeError("no width breaks the phrase across a line")


def en_syllabus(rng: random.Random) -> str:
    weeks = [
        "Introduction: what counts as a city? Reading: Jacobs, ch. 1-2 (about 60 pages).",
        "Density and its discontents. Seminar in room 4.12, 14:00-15:50.",
        "Housing markets. Problem set 1 due (4 questions).",
        "Transport and land use. Guest lecture, 45 minutes plus Q&A.",
        "Informal settlements. Reading: 3 case studies, 25 pages each.",
        "Reading week - no classes.",
        "Heat, water and climate adaptation. Field visit, 9:30 at the north gate.",
        "Governance and finance. Problem set 2 due.",
        "Smart cities: promise and data. Lab session, bring a laptop.",
        "Review and essay clinic (15-minute slots).",
    ]
    out = [
        "URBS 2040 - Cities and Development (15 credits), Spring term",
        "Convenor: Dr A. Mensah. Office hours Tue 11:00-12:30, room 3.07.",
        "",
        "Assessment",
        "- Weekly reflection log: 300 words per week, pass/fail (10%)",
        "- Group presentation: 12 minutes, 8-10 slides (20%)",
        "- Final essay: 3,000 words (±10%), due Friday of week 11 at 16:00 (70%)",
        "",
        "Final essay topics (choose one)",
        "1. Is density a cause or a symptom of urban productivity?",
        "2. Evaluate one city's response to informal housing since 2000.",
        "3. Should transport investment follow or lead land-use planning?",
        "",
        "Weekly schedule",
    ]
    w = 0
    while len("\n".join(out)) < rng.randint(3000, 3800):
        out.append(f"Week {w % 10 + 1}: {weeks[w % 10]}")
        if w % 3 == 2:
            out.append(
                f"  Seminar prep: read {rng.randint(20, 45)} pages and bring {rng.randint(2, 3)} questions; "
                f"the library holds {rng.randint(3, 12)} copies of the set text."
            )
        w += 1
    out.append("Late penalty: 5 marks per working day, up to 5 days. Word counts exclude references.")
    return "\n".join(out)


def en_funding_call(rng: random.Random) -> str:
    out = [
        "Healthy Ageing Challenge - Call 7: Guidance for Applicants",
        "",
        f"Budget: up to £{rng.randint(4, 9)}00,000 per project for {rng.randint(18, 36)} months. "
        f"Around {rng.randint(8, 20)} awards are expected.",
        "Full proposals must not exceed 5,000 words or 15 pages, whichever is shorter, excluding "
        "references and CVs. Each CV may be 2 pages.",
        "",
    ]
    paras = [
        "Eligibility: UK-registered organisations; at least one partner must be an SME. Academic "
        "partners may claim 80% of full economic cost.",
        "Assessment criteria: need and evidence (25%), quality of approach (30%), team (15%), "
        "value for money (15%), plan for adoption (15%).",
        "Timeline: opens 3 February, briefing webinar 12 February 10:00-11:30, closes 17 March at "
        "noon; decisions in June.",
        "Projects must involve older adults in design from month 1. Budgets for participant "
        "payments of £25 per hour are allowed.",
        "Data: a data management plan of up to 2 pages is required at the full-proposal stage.",
        "Lay summary: every application includes a lay summary that a member of the public can "
        "follow. It will be published if the project is funded.",
    ]
    while len("\n".join(out)) < rng.randint(3000, 3800):
        out.append(rng.choice(paras))
    return "\n".join(out)


def en_incident_log(rng: random.Random) -> str:
    msgs = [
        lambda r: (
            f"WARN  lb-{r.randint(1, 4)}  upstream api-{r.randint(1, 9)} returned 502 ({r.randint(30, 900)} ms)"
        ),
        lambda r: (
            f"INFO  deploy  rollout 2026.11.{r.randint(1, 30)} step {r.randint(1, 10)}/10 at {r.randint(5, 100)}%"
        ),
        lambda r: (
            f"ERROR api-{r.randint(1, 9)}  pool exhausted: {r.randint(100, 200)}/{r.randint(100, 200)} connections busy"
        ),
        lambda r: (
            f"INFO  autoscaler  desired={r.randint(6, 30)} current={r.randint(6, 30)} cpu={r.randint(40, 99)}%"
        ),
        lambda r: f"WARN  db-primary  replication lag {r.uniform(0.1, 45):.1f} s",
        lambda r: (
            f"INFO  pager  page sent to on-call ({r.choice(['sre-a', 'sre-b'])}), ack after {r.randint(1, 9)} min"
        ),
    ]

    def line(r: random.Random, i: int) -> str:
        s = 14 * 3600 + 2 * 60 + i * r.randint(3, 40)
        return f"2026-11-28T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}Z {r.choice(msgs)(r)}"

    return "```\n" + _grow(rng, line, (3000, 4200)) + "\n```"


def en_listing(rng: random.Random) -> str:
    rows = [
        ("Address", "14 Larkspur Close, Didsbury"),
        ("Type", "Semi-detached, 1934"),
        ("Floor area", f"{rng.randint(1100, 1500):,} sq ft ({rng.randint(100, 140)} m²)"),
        ("Bedrooms", "4 (one in loft conversion, 2019)"),
        ("Garden", f"South-facing, {rng.randint(60, 110)} ft, with a 10 x 8 ft shed"),
        ("EPC", f"C ({rng.randint(69, 80)})"),
        ("Council tax", "Band D, £2,114 per year"),
        ("Asking price", f"£{rng.randint(480, 620)},000"),
        ("Station", f"{rng.randint(6, 14)} minutes' walk; {rng.randint(15, 25)} minutes to the city centre"),
        ("Schools", "Two primaries rated outstanding within 0.6 miles"),
        ("Broadband", f"Full fibre, up to {rng.choice([900, 1000])} Mbps"),
        ("Heating", "Gas combi boiler (2021), underfloor heating in the kitchen"),
    ]
    rooms = [
        "Living room: bay window, original picture rail, open fire (swept annually), 15'2\" x 12'8\".",
        "Kitchen-diner: extended 2018, 24' x 13', bifold doors, quartz worktops, larder.",
        "Principal bedroom: fitted wardrobes, 13'0\" x 11'9\", en-suite shower room.",
        "Loft bedroom: Velux windows, eaves storage, 14' x 10' with restricted head height.",
        "Bathroom: freestanding bath, separate shower, refitted 2022.",
        "Cellar: tanked, 6'4\" head height, used as utility and wine store.",
    ]
    out = ["Property particulars (from the vendor's agent)", ""] + [f"{k}: {v}" for k, v in rows] + [""]
    while len("\n".join(out)) < rng.randint(3000, 3800):
        out.append(rng.choice(rooms))
    return "\n".join(out)


def en_emails(rng: random.Random) -> str:
    mails = [
        lambda r: (
            f"From: Carla Benitez <c.benitez@lumenfloors.example>\nSent: {r.randint(1, 28)} Nov 2026 "
            f"{r.randint(8, 18)}:{r.randint(10, 59)}\nSubject: RE: Order LF-{r.randint(10000, 99999)} - delivery\n\n"
            f"Hi, the {r.randint(40, 120)} m² of oak flooring was due on the {r.randint(2, 20)}th. Our fitters are "
            f"booked and we lose £{r.randint(300, 900)} for every day they stand idle. Please confirm a date today.\n\n"
            "Carla Benitez | Project Manager | +44 161 555 0142"
        ),
        lambda r: (
            f"From: Support <support@northmill.example>\nSent: {r.randint(1, 28)} Nov 2026\nSubject: RE: RE: "
            f"Order - delivery\n\nDear Carla, the shipment left our depot at {r.randint(6, 11)}:{r.randint(10, 59)} and is "
            f"on vehicle {r.randint(100, 999)}. Tracking shows {r.randint(2, 5)} drops before yours. Apologies for "
            f"the delay, which was caused by a {r.randint(2, 9)}-hour closure of the M6.\n\nKind regards, Northmill "
            "Customer Care"
        ),
        lambda r: (
            "-----Original Message-----\nThis e-mail and any attachments are confidential and intended "
            "solely for the addressee. If you have received it in error please notify the sender and delete it. "
            f"Registered in England No. {r.randint(1000000, 9999999)}."
        ),
    ]
    return _grow(rng, lambda r, i: r.choice(mails)(r), (3000, 4200), "\n\n")


def en_release_notes(rng: random.Random) -> str:
    items = [
        lambda r: (
            f"- Sync engine: cold start {r.randint(20, 60)}% faster on projects over {r.randint(5, 50)},000 files."
        ),
        lambda r: f"- Memory: peak RSS reduced by {r.randint(200, 1500):,} MB when indexing large monorepos.",
        lambda r: (
            f"- Fixed: crash when a path exceeded {r.choice([255, 260, 4096])} characters on Windows (#{r.randint(1000, 9999)})."
        ),
        lambda r: f"- New: `--max-workers N` flag (default {r.randint(2, 16)}).",
        lambda r: f"- Deprecated: the v1 REST API; it will be removed in {r.randint(3, 6)}.0.",
        lambda r: f"- Docs: the quick-start is now {r.randint(4, 9)} steps instead of {r.randint(10, 16)}.",
    ]
    out = []
    v = 0
    while len("\n".join(out)) < rng.randint(3000, 4000):
        out.append(
            f"\n## v2.{9 - v // 3}.{v % 3} - {rng.randint(1, 28)} {rng.choice(['Sep', 'Oct', 'Nov'])} 2026"
        )
        out += [rng.choice(items)(rng) for _ in range(rng.randint(3, 6))]
        v += 1
    return "CHANGELOG (pasted)\n" + "\n".join(out)


def en_config_json(rng: random.Random) -> str:
    cfg = {
        "service": "summariser",
        "listen": {"host": "0.0.0.0", "port": 8443, "tls": True},
        "model": {"name": "writer-7b", "max_tokens": 4096, "max_words": 3000, "temperature": 0.7},
        "limits": {"requests_per_minute": 600, "max_body_kb": 512, "timeout_s": 120},
    }
    for i in range(rng.randint(14, 20)):
        cfg[f"tenant_{i:02d}"] = {
            "quota_words_per_day": rng.randint(10, 500) * 1000,
            "priority": rng.randint(1, 5),
            "region": rng.choice(["eu-west-1", "us-east-2", "ap-southeast-1"]),
            "retention_days": rng.choice([7, 30, 90]),
        }
    return json.dumps(cfg, indent=2)


def bilingual(rng: random.Random) -> str:
    pairs = [
        (
            "我们的茶园位于海拔一千二百米的山坡上，每年只采春茶。",
            "Our tea garden sits on a slope 1,200 metres up, and we pick only in spring.",
        ),
        (
            "每公斤鲜叶要经过杀青、揉捻、干燥三道工序，耗时约十八小时。",
            "Each kilo of fresh leaf goes through fixing, rolling and drying, about eighteen hours in all.",
        ),
        (
            "去年的产量是三千四百斤，比前年少了一成。",
            "Last year's yield was 3,400 jin, a tenth less than the year before.",
        ),
        (
            "我们承诺不使用任何化学农药，这一点已坚持了二十年。",
            "We have used no chemical pesticides, a promise kept for twenty years.",
        ),
        (
            "游客可以在四月中旬参加采茶体验，每人每天限采两公斤。",
            "Visitors can join the picking in mid-April, up to two kilos each per day.",
        ),
        (
            "冲泡时水温以八十五度为宜，第一泡三十秒即可出汤。",
            "Brew at 85 °C; the first infusion needs only thirty seconds.",
        ),
    ]
    out = ["中英对照稿 / Parallel text (brochure draft v3)", ""]
    while len("\n".join(out)) < rng.randint(3000, 3600):
        zh, en = rng.choice(pairs)
        out += [f"ZH: {zh}", f"EN: {en}", ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# Material kinds (Chinese)
# ---------------------------------------------------------------------------------------------

ZH_REAGENTS = ["三羟甲基氨基甲烷", "氯化钠", "乙二胺四乙酸二钠", "甘氨酸", "蔗糖", "磷酸二氢钾"]


def zh_lab(rng: random.Random) -> str:
    def entry(r: random.Random, i: int) -> str:
        h, m = 8 + i // 3, r.randint(0, 59)
        return r.choice(
            [
                f"{h:02d}:{m:02d} 称取{r.choice(ZH_REAGENTS)}{r.uniform(0.2, 30):.2f}克，溶于{r.choice([40, 80, 200])}毫升"
                f"去离子水，搅拌{r.randint(3, 25)}分钟后测得pH为{r.uniform(6.5, 8.9):.2f}。",
                f"{h:02d}:{m:02d} 第{r.randint(1, 9)}至{r.randint(10, 24)}号样品离心，{r.choice([4000, 12000])}转每分，"
                f"{r.randint(5, 30)}分钟，4℃。沉淀{r.choice(['较紧实', '松散', '几乎看不见'])}。",
                f"{h:02d}:{m:02d} 酶标仪读数（450纳米）：A{i % 12 + 1}孔{r.uniform(0.05, 2.4):.3f}，"
                f"B{i % 12 + 1}孔{r.uniform(0.05, 2.4):.3f}，空白{r.uniform(0.04, 0.06):.3f}。",
                f"{h:02d}:{m:02d} 琼脂糖凝胶电泳，{r.choice([90, 100, 120])}伏，{r.randint(35, 70)}分钟，条带约在"
                f"{r.randint(300, 2900)}碱基对处，第{r.randint(2, 4)}至{r.randint(5, 9)}泳道清晰。",
                f"备注：{r.choice([20, 200, 1000])}微升移液器偏高约{r.uniform(0.5, 4):.1f}%，已预约本月{r.randint(2, 28)}日校准。",
                f"{h:02d}:{m:02d} 培养箱门未关严约{r.randint(2, 15)}分钟，温度降至{r.uniform(33, 36.5):.1f}℃，半小时后恢复。",
            ]
        )

    days = []
    for d in range(rng.randint(3, 4)):
        days.append(
            f"【第{d + 1}天】实验台3号，方案P-{rng.randint(100, 999)}\n" + _grow(rng, entry, (950, 1300))
        )
    return "\n\n".join(days)


def zh_contract(rng: random.Random) -> str:
    clauses = [
        lambda r: (
            f"乙方应在收到订单之日起{r.randint(5, 30)}个工作日内交货，每逾期一日按订单金额的{r.uniform(0.1, 1.5):.1f}%"
            f"支付违约金，累计不超过订单金额的{r.randint(5, 15)}%。"
        ),
        lambda r: (
            f"甲方在收到合格发票后{r.choice([30, 45, 60])}日内付款；单笔金额超过{r.randint(20, 400)}万元的，须经双方"
            "授权代表书面确认。"
        ),
        lambda r: (
            f"任何一方提前{r.choice([30, 60, 90])}日书面通知对方，可解除本合同，已确认的订单应继续履行。"
        ),
        lambda r: (
            f"乙方在本合同项下的累计赔偿责任不超过索赔发生前{r.choice([6, 12, 24])}个月内甲方已付款项的{r.randint(1, 3)}倍。"
        ),
        lambda r: f"保密义务在本合同终止后{r.randint(2, 7)}年内继续有效。",
        lambda r: (
            f"乙方应为产品投保产品责任险，每次事故保额不低于{r.randint(100, 1000)}万元，并在{r.randint(5, 20)}日内提供保单。"
        ),
    ]
    out = [
        f"采购框架合同（编号：CG-{rng.randint(2020, 2026)}-{rng.randint(100, 999)}）",
        "甲方：华泰家电有限公司",
        "乙方：恒远精密部件有限公司",
        "",
    ]
    n = 1
    while len("\n".join(out)) < rng.randint(3000, 3600):
        out.append(f"第{n}条 {rng.choice(clauses)(rng)}")
        if n == 4:
            out.append(
                f"第{n + 1}条 乙方每月向甲方提交服务报告一份，报告正文不少于3000字，于每月第五个工作日前送达。"
            )
            n += 1
        n += 1
    return "\n".join(out)


def zh_reviews(rng: random.Random) -> str:
    users = ["小鹿乱撞", "z***9", "老王在路上", "一只橙子", "匿名用户", "晴天娃娃"]

    def review(r: random.Random, i: int) -> str:
        stars = r.randint(1, 5)
        body = r.choice(
            [
                f"用了{r.randint(3, 60)}天，炸鸡翅{r.randint(12, 20)}分钟就熟，外皮很脆。{r.choice([4.5, 5.5, 6])}升的锅够三口之家。",
                f"第{r.randint(2, 9)}天就不加热了，客服让我等了{r.randint(20, 75)}分钟。我写了800字的投诉，结果只回了两句话。",
                f"活动价{r.randint(199, 599)}元入手，说明书{r.randint(12, 40)}页，其实看前两页就会用。噪音大概{r.randint(45, 60)}分贝。",
                f"换货后新的一台已经用了{r.randint(40, 300)}次，没出过问题。清洗{r.randint(2, 5)}分钟搞定。",
                f"{r.randint(6, 12)}个预设菜单用不上，我只用手动模式。",
            ]
        )
        return f"{'★' * stars}{'☆' * (5 - stars)} {r.choice(users)}（{r.randint(1, 12)}月{r.randint(1, 28)}日）\n{body}\n{r.randint(0, 140)}人觉得有用"

    return "用户评价：极光X5空气炸锅（好评率93%，共2318条）\n\n" + _grow(rng, review, (3000, 3600), "\n\n")


def zh_code_review(rng: random.Random) -> str:
    users = ["@林木", "@chenyu", "@阿杰", "@wang-lei"]
    files = ["src/cache/lru.go", "src/http/client.go", "src/jobs/retry.go"]

    def item(r: random.Random, i: int) -> str:
        f = r.choice(files)
        a = r.randint(10, 400)
        return r.choice(
            [
                f"{r.choice(users)} 评论了 {f} 第{a}-{a + r.randint(2, 12)}行：\n> buf := make([]byte, {r.choice([4096, 65536])})\n"
                f"这里每个请求分配{r.randint(4, 1024)} KB，{r.randint(200, 5000)} QPS下GC压力很大，建议用sync.Pool复用。",
                f"diff --git a/{f} b/{f}\n@@ -{a},{r.randint(3, 9)} +{a},{r.randint(3, 9)} @@\n"
                f"-\ttimeout := {r.randint(1, 30)} * time.Second\n+\ttimeout := {r.randint(31, 120)} * time.Second",
                f"{r.choice(users)}：按规范每行不超过{r.choice([100, 120])}个字符，第{a}行有{r.randint(121, 180)}个。",
                f"{r.choice(users)} 回复：压测结果p99从{r.randint(80, 300)}毫秒降到{r.randint(20, 79)}毫秒，共{r.randint(10, 50)}万次请求。",
                f"{r.choice(users)} 批准了合并（{r.randint(2, 14)}个文件，+{r.randint(20, 900)} -{r.randint(5, 400)}）",
            ]
        )

    return f"合并请求 !{rng.randint(1000, 9999)}：有上限的重试与读缓冲池\n\n" + _grow(
        rng, item, (3000, 4000), "\n\n"
    )


def zh_transcript(rng: random.Random, lines: list[str] | None = None) -> str:
    who = ["主持人", "嘉宾", "观众提问"]
    said = [
        lambda r: f"我们三月份出货{r.randint(2, 90)}万台，比计划多了{r.randint(3, 40)}%，退货率基本没变。",
        lambda r: "上一篇公众号文章写了五千多字，阅读量才两千出头，大家根本读不完。",
        lambda r: f"董事会的材料我建议控制在{r.randint(8, 15)}页以内，上次做了四十页，讲到第六页就没人听了。",
        lambda r: f"以前新员工上手要{r.randint(9, 20)}天，现在{r.randint(2, 8)}天就可以独立值班。",
        lambda r: f"一个周末迁移了{r.randint(3, 30)}TB数据，只在凌晨三点停了{r.randint(4, 19)}分钟。",
        lambda r: "对，对，就是那个时候，我觉得是个转折点。",
        lambda r: f"明年预算大概{r.randint(2, 9)}.{r.randint(1, 9)}亿元，还要等审批。",
    ]

    def turn(r: random.Random, i: int) -> str:
        t = 60 + i * r.randint(20, 70)
        text = lines[i % len(lines)] if lines else r.choice(said)(r)
        return f"[{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}] {r.choice(who)}：{text}"

    return "【录音转写稿，自动生成，略有整理】\n\n" + _grow(rng, turn, (3000, 3800))


def zh_recipe(rng: random.Random) -> str:
    head = (
        "外婆的梅干菜扣肉（8人份）\n\n用料\n"
        f"- 带皮五花肉{rng.randint(800, 1200)}克\n- 梅干菜{rng.randint(80, 150)}克\n- 冰糖{rng.randint(20, 40)}克\n"
        f"- 老抽{rng.randint(15, 30)}毫升、生抽{rng.randint(20, 40)}毫升\n- 黄酒{rng.randint(30, 60)}毫升\n- 姜{rng.randint(3, 6)}片\n\n做法\n"
    )
    steps = [
        lambda r: f"五花肉冷水下锅，加姜片和黄酒，煮{r.randint(15, 25)}分钟至筷子能插透，捞出趁热抹老抽。",
        lambda r: (
            f"锅中放油烧到{r.randint(160, 190)}℃左右，肉皮朝下炸{r.randint(2, 5)}分钟，至起小泡后立刻泡冷水。"
        ),
        lambda r: f"梅干菜提前泡{r.randint(20, 40)}分钟，洗三遍去沙，挤干后加冰糖炒香。",
        lambda r: f"肉切成{r.choice([0.5, 0.8, 1])}厘米厚片，皮朝下码入碗中，铺上梅干菜压实。",
        lambda r: f"上锅大火蒸{r.randint(90, 150)}分钟，出锅倒扣在盘中。剩下的汤汁勾薄芡淋上。",
        lambda r: "外婆说：梅干菜一定要用绍兴本地的，晒足三个太阳才香。",
    ]
    body = "\n".join(f"{i + 1}. {step(rng)}" for i, step in enumerate(steps))
    comments = [
        lambda r: f"照着做了，蒸了{r.randint(100, 150)}分钟，肥肉入口即化。",
        lambda r: f"没有梅干菜，用了{r.randint(80, 150)}克雪菜代替，味道差一点但也不错。",
        lambda r: f"炸肉皮的时候一定要盖锅盖，我手上被溅了{r.randint(2, 5)}个小泡。",
        lambda r: f"冰糖减到{r.randint(10, 20)}克刚好，家里老人不吃太甜。",
        lambda r: "外婆那一辈都是用柴火灶蒸一下午的，现在用电蒸锅也差不多。",
    ]
    talk = _grow(rng, lambda r, i: f"网友{r.randint(2, 9999)}：{r.choice(comments)(r)}", (1700, 2200))
    return head + body + "\n\n网友评论\n" + talk


def zh_timetable(rng: random.Random) -> str:
    cities = ["北京南", "上海虹桥", "杭州东", "南京南", "武汉", "长沙南", "广州南", "郑州东"]
    lines = ["车次 | 出发站 | 开车 | 到达站 | 到达 | 历时 | 二等座"]
    while len("\n".join(lines)) < rng.randint(3000, 3800):
        h, m = rng.randint(6, 21), rng.randint(0, 59)
        d = rng.randint(60, 420)
        a = h * 60 + m + d
        lines.append(
            f"G{rng.randint(1, 1999)} | {rng.choice(cities)} | {h:02d}:{m:02d} | {rng.choice(cities)} | "
            f"{a // 60 % 24:02d}:{a % 60:02d} | {d // 60}小时{d % 60}分 | {rng.randint(150, 900)}.{rng.choice([0, 5])}元"
        )
    return "2027年春运期间部分高铁时刻（摘录，以12306为准）\n\n" + "\n".join(lines)


def zh_survey(rng: random.Random, title: str = "2026年员工满意度调查") -> str:
    qs = [
        "我有足够的工具和资源完成工作。",
        "我的直属上级每月至少给我一次有用的反馈。",
        "我愿意向朋友推荐公司。",
        "团队会议大多是有价值的。",
        "我清楚自己的工作如何支撑公司目标。",
        "大部分时间工作量是可以承受的。",
        "未来两年我在公司有成长空间。",
    ]

    def q(r: random.Random, i: int) -> str:
        p = [r.randint(5, 40) for _ in range(5)]
        s = sum(p)
        p = [round(100 * x / s, 1) for x in p]
        return (
            f"第{i + 1}题 {qs[i % len(qs)]}\n  非常同意{p[0]}%，同意{p[1]}%，一般{p[2]}%，不同意{p[3]}%，非常不同意{p[4]}%"
            f"（有效样本{r.randint(1100, 3400)}份，均值{r.uniform(2.1, 4.4):.2f}，较去年{r.uniform(-0.4, 0.4):+.2f}）"
        )

    return f"{title}结果（回收率{rng.randint(55, 88)}%）\n\n" + _grow(rng, q, (1700, 2200))


def zh_json_articles(rng: random.Random) -> str:
    topics = ["露营", "咖啡", "基金定投", "早餐", "睡眠", "城市骑行", "宠物"]
    items = []
    while len(json.dumps(items, ensure_ascii=False, indent=2)) < rng.randint(3000, 4000):
        items.append(
            {
                "标题": f"{rng.choice(topics)}入门第{rng.randint(1, 30)}期",
                "状态": rng.choice(["已发布", "草稿", "定时"]),
                "字数": rng.randint(600, 4200),
                "阅读量": rng.randint(150, 90000),
                "完读率": f"{rng.uniform(8, 70):.1f}%",
                "作者": rng.choice(["小周", "阿May", "老陈"]),
            }
        )
    return json.dumps(items, ensure_ascii=False, indent=2)


def zh_csv_sales(rng: random.Random) -> str:
    lines = ["门店,月份,销售额（万元）,客单价（元）,同比增长（%）"]
    stores = ["徐汇店", "静安店", "浦东店", "闵行店", "杨浦店"]
    while len("\n".join(lines)) < rng.randint(3000, 3800):
        lines.append(
            f"{rng.choice(stores)},2026-{rng.randint(1, 12):02d},{rng.uniform(30, 400):.1f},"
            f"{rng.randint(45, 260)},{rng.uniform(-20, 40):.1f}"
        )
    return "\n".join(lines)


def zh_match_table(rng: random.Random) -> str:
    players = ["张玉宁", "武磊", "韦世豪", "王上源", "颜骏凌", "蒋光太", "吴曦", "林良铭", "谢鹏飞", "徐新"]
    out = []
    for half in ("上半场", "下半场", "本赛季累计"):
        out += [
            f"### {half}",
            "",
            "| 球员 | 出场分钟 | 进球 | 射门 | 传球 | 传球成功率 | 跑动（公里） |",
            "|---|---|---|---|---|---|---|",
        ]
        for p in players:
            out.append(
                f"| {p} | {rng.randint(10, 90) if half != '本赛季累计' else rng.randint(400, 2100)} | {rng.randint(0, 2)} | "
                f"{rng.randint(0, 7)} | {rng.randint(8, 70)} | {rng.uniform(61, 95):.1f}% | {rng.uniform(2.1, 11.9):.1f} |"
            )
        out.append("")
    return "\n".join(out) * 2


def zh_wrapped_article(rng: random.Random) -> str:
    """A pasted Chinese article hard-wrapped at one width, with 几 / 万字 and 三 / 千字 broken across lines."""
    body = (
        "城市里的老菜场正在一个个消失。二十年前，这座城市有一百四十多个室内菜场，如今只剩下不到六十个。"
        "很多人说菜场脏、乱、吵，拆了改成超市更好；可也有人说，菜场是一座城市最有烟火气的地方，"
        "拆掉的不只是摊位，还有邻里之间的熟人关系。去年有位作家为此写了几万字的长篇调查，走访了三十多个菜场，"
        "记录了两百多位摊主的故事。他发现，菜场里最常见的对话不是讨价还价，而是问候：今天怎么来晚了，孩子考得怎么样。"
        "摊主们大多来自外地，在这里一干就是十几年，有的把孩子也带大了。改造以后，摊位租金涨了三成，"
        "一部分老摊主不得不离开。当地报纸曾刊登一篇三千字的评论，呼吁在改造中保留老摊主的优先权，"
        "但收效甚微。也有做得好的例子：城西的一个菜场改造时保留了原来的布局，只更换了排水和照明，"
        "摊位费基本没涨，改造后的客流反而增加了百分之二十。"
    )
    filler = [
        "菜场的早晨从四点开始。",
        "鱼摊的老板姓陈。",
        "天还没亮，批发车就到了。",
        "有人在同一个摊位买菜，一买就是二十年。",
        "雨天的菜场格外安静，只能听见塑料棚顶上的雨声。",
        "这些细节，很少有人注意。",
    ]
    cut = body.index("摊主们大多")
    paragraphs = [(body[:cut], "几\n万字"), (body[cut:], "三\n千字")]
    for width in range(30, 48):
        out = []
        for para, key in paragraphs:
            for mask in range(1 << len(filler)):
                lead = "".join(f for k, f in enumerate(filler) if mask >> k & 1)
                text = lead + para * 6
                wrapped = "\n".join(text[k : k + width] for k in range(0, len(text), width))
                if key in wrapped:
                    out.append(wrapped)
                    break
        if len(out) == 2:
            return "转自本地晚报（原文照贴）：\n\n" + "\n\n".join(out)
    raise RuntimeError("no width breaks both phrases across lines")


def zh_course_notice(rng: random.Random) -> str:
    out = [
        "《城市与发展》课程通知（2027年春季学期，2学分）",
        "任课教师：周老师；答疑时间：每周二10:00-11:30，文科楼307室。",
        "",
        "考核方式",
        "一、平时读书笔记：每周一篇，每篇300字，只记通过与否（占10%）",
        "二、小组展示：12分钟，PPT 8-10页（占20%）",
        "三、期末论文：5000字（±10%），第16周周五16:00前提交（占70%）",
        "",
        "期末论文题目（任选其一）",
        "1. 人口密度是城市生产率的原因还是结果？",
        "2. 评价某一城市2000年以来对城中村的治理。",
        "3. 交通投资应当引领还是跟随土地规划？",
        "",
        "教学安排",
    ]
    weeks = [
        "什么是城市？阅读：雅各布斯第1-2章（约60页）。",
        "密度的好处与代价。讨论课，地点4.12教室，14:00-15:50。",
        "住房市场。第一次习题（4道）。",
        "交通与土地利用。客座讲座45分钟，之后答疑。",
        "非正规住区。阅读3个案例，每个约25页。",
        "阅读周，停课一次。",
        "高温、水与气候适应。实地考察，9:30北门集合。",
        "治理与财政。第二次习题。",
    ]
    w = 0
    while len("\n".join(out)) < rng.randint(2200, 2600):
        out.append(f"第{w % 8 + 1}周：{weeks[w % 8]}")
        w += 1
    out.append("迟交每个工作日扣5分，最多扣5天。字数不含参考文献。")
    return "\n".join(out)


def zh_funding_call(rng: random.Random) -> str:
    out = [
        "“健康老龄化”专项第七批项目申报指南",
        "",
        f"资助强度：每项不超过{rng.randint(50, 90)}万元，执行期{rng.randint(18, 36)}个月，预计资助{rng.randint(8, 20)}项。",
        "申请书正文不超过8000字或15页（以先到者为准），参考文献和简历不计入。每位成员简历不超过2页。",
        "",
    ]
    paras = [
        "申报条件：在境内注册的法人单位，至少一家合作单位为中小企业；高校合作方可按实际成本的80%列支。",
        "评审要点：需求与依据（25%）、技术路线（30%）、团队（15%）、经费合理性（15%）、成果转化（15%）。",
        "时间安排：2月3日开放申报，2月12日10:00-11:30线上宣讲，3月17日中午截止，6月公布结果。",
        "项目须从第1个月起邀请老年人参与设计，受试者劳务费可按每小时150元列支。",
        "数据管理：正式申报时须附不超过2页的数据管理计划。",
        "项目摘要：每份申请书须附一段普通读者能看懂的项目摘要，立项后将向社会公开。",
    ]
    while len("\n".join(out)) < rng.randint(2600, 3000):
        out.append(rng.choice(paras))
    return "\n".join(out)


def zh_incident_log(rng: random.Random) -> str:
    msgs = [
        lambda r: (
            f"WARN  网关-{r.randint(1, 4)}  上游服务api-{r.randint(1, 9)}返回502（{r.randint(30, 900)}毫秒）"
        ),
        lambda r: (
            f"INFO  发布  版本2026.11.{r.randint(1, 30)} 第{r.randint(1, 10)}/10批，进度{r.randint(5, 100)}%"
        ),
        lambda r: (
            f"ERROR api-{r.randint(1, 9)}  连接池耗尽：{r.randint(100, 200)}/{r.randint(100, 200)}个连接占用"
        ),
        lambda r: (
            f"INFO  弹性伸缩  目标{r.randint(6, 30)}台，当前{r.randint(6, 30)}台，CPU {r.randint(40, 99)}%"
        ),
        lambda r: f"WARN  主库  复制延迟{r.uniform(0.1, 45):.1f}秒",
        lambda r: f"INFO  告警  已呼叫值班（{r.choice(['甲组', '乙组'])}），{r.randint(1, 9)}分钟后确认",
    ]

    def line(r: random.Random, i: int) -> str:
        s = 14 * 3600 + 2 * 60 + i * r.randint(3, 40)
        return f"2026-11-28 {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d} {r.choice(msgs)(r)}"

    return _grow(rng, line, (3000, 3800))


def zh_listing(rng: random.Random) -> str:
    rows = [
        ("小区", "滨江花园三期，2012年建成"),
        ("户型", "3室2厅2卫，南北通透"),
        (
            "建筑面积",
            f"{rng.randint(110, 140)}.{rng.randint(1, 9)}平方米（套内{rng.randint(90, 105)}平方米）",
        ),
        ("楼层", f"{rng.randint(8, 20)}层/共{rng.randint(24, 33)}层"),
        ("朝向", "南北"),
        ("挂牌价", f"{rng.randint(560, 720)}万元（单价{rng.randint(45000, 56000)}元/平方米）"),
        ("物业费", f"{rng.uniform(2.5, 4.5):.1f}元/平方米/月"),
        ("地铁", f"距4号线站点{rng.randint(300, 900)}米，步行{rng.randint(5, 12)}分钟"),
        ("学区", "对口实验小学，距离0.6公里"),
        ("车位", "地下产权车位一个，另售35万元"),
    ]
    rooms = [
        "客厅：朝南，开间4.2米，落地窗，2021年重新装修。",
        "厨房：U形橱柜，石英石台面，燃气管道已改至阳台。",
        "主卧：带独立卫生间和步入式衣帽间，面积约18平方米。",
        "次卧：朝北，安静，适合做书房，面积约11平方米。",
        "阳台：南向，约6平方米，已封窗，装有晾衣架。",
    ]
    out = ["房源信息（中介提供）", ""] + [f"{k}：{v}" for k, v in rows] + [""]
    while len("\n".join(out)) < rng.randint(2600, 3200):
        out.append(rng.choice(rooms))
    return "\n".join(out)


def zh_emails(rng: random.Random) -> str:
    mails = [
        lambda r: (
            f"发件人：刘敏 <liumin@jinyu-deco.example>\n时间：2026年11月{r.randint(1, 28)}日 {r.randint(8, 18)}:{r.randint(10, 59)}\n"
            f"主题：回复：订单JY-{r.randint(10000, 99999)}到货时间\n\n您好，{r.randint(40, 120)}平方米的橡木地板原定{r.randint(2, 20)}号到货，"
            f"我们的安装师傅已经排好了，每空等一天损失{r.randint(300, 900)}元。请今天内确认具体日期。\n\n刘敏｜项目经理｜138-0000-{r.randint(1000, 9999)}"
        ),
        lambda r: (
            f"发件人：客服中心 <service@beicheng.example>\n时间：2026年11月{r.randint(1, 28)}日\n主题：回复：回复：到货时间\n\n"
            f"刘经理您好，货物已于{r.randint(6, 11)}:{r.randint(10, 59)}从仓库发出，车牌尾号{r.randint(100, 999)}，前面还有"
            f"{r.randint(2, 5)}个卸货点。因高速封闭{r.randint(2, 9)}小时造成延误，深表歉意。\n\n北城建材客服中心"
        ),
        lambda r: (
            "-----原始邮件-----\n本邮件及附件仅供指定收件人使用，如误收请立即通知发件人并删除。"
            f"公司注册号：{r.randint(1000000, 9999999)}。"
        ),
    ]
    return _grow(rng, lambda r, i: r.choice(mails)(r), (3000, 3600), "\n\n")


def zh_release_notes(rng: random.Random) -> str:
    items = [
        lambda r: f"- 同步引擎：超过{r.randint(5, 50)}万个文件的项目冷启动快了{r.randint(20, 60)}%。",
        lambda r: f"- 内存：索引大型单仓库时峰值内存降低{r.randint(200, 1500)} MB。",
        lambda r: (
            f"- 修复：Windows下路径超过{r.choice([255, 260])}个字符时崩溃的问题（#{r.randint(1000, 9999)}）。"
        ),
        lambda r: f"- 新增：`--max-workers N`参数（默认{r.randint(2, 16)}）。",
        lambda r: f"- 弃用：v1 REST接口将在{r.randint(3, 6)}.0版本移除。",
        lambda r: f"- 文档：快速上手从{r.randint(10, 16)}步精简到{r.randint(4, 9)}步。",
    ]
    out = []
    v = 0
    while len("\n".join(out)) < rng.randint(3000, 3600):
        out.append(f"\n## v2.{9 - v // 3}.{v % 3}（2026年{rng.randint(9, 11)}月{rng.randint(1, 28)}日）")
        out += [rng.choice(items)(rng) for _ in range(rng.randint(3, 6))]
        v += 1
    return "更新日志（原文粘贴）\n" + "\n".join(out)


def zh_config_json(rng: random.Random) -> str:
    cfg = {
        "服务名": "摘要服务",
        "监听": {"地址": "0.0.0.0", "端口": 8443},
        "模型": {"名称": "writer-7b", "max_tokens": 4096, "max_chars": 5000, "温度": 0.7},
        "限流": {"每分钟请求数": 600, "请求体上限KB": 512, "超时秒数": 120},
    }
    for i in range(rng.randint(26, 32)):
        cfg[f"租户_{i:02d}"] = {
            "每日字数配额": rng.randint(10, 500) * 1000,
            "优先级": rng.randint(1, 5),
            "地域": rng.choice(["华东", "华北", "华南"]),
            "保留天数": rng.choice([7, 30, 90]),
        }
    return json.dumps(cfg, ensure_ascii=False, indent=2)


def bilingual_en_source(rng: random.Random) -> str:
    pairs = [
        (
            "The museum reopened in May after a three-year, £48 million refurbishment.",
            "博物馆耗时三年、耗资4800万英镑翻修后，于五月重新开放。",
        ),
        (
            "Its 1,200 square metres of new galleries hold objects never shown before.",
            "新增的1200平方米展厅展出了许多从未公开过的藏品。",
        ),
        (
            "Entry remains free; timed tickets are released every Monday at 9 a.m.",
            "入场仍然免费，分时段门票每周一上午9点开放预约。",
        ),
        (
            "The café on the roof seats 80 and looks across the river to the cathedral.",
            "屋顶咖啡馆可容纳80人，隔河正对大教堂。",
        ),
        (
            "A quarter of the collection, some 20,000 items, has now been digitised.",
            "约四分之一的藏品，即两万件左右，已完成数字化。",
        ),
        (
            "Family trails take about 45 minutes and are designed for ages 5 to 11.",
            "亲子导览路线约需45分钟，适合5至11岁的孩子。",
        ),
    ]
    out = ["Parallel text / 中英对照（展览手册译稿第二版）", ""]
    while len("\n".join(out)) < rng.randint(3000, 3600):
        en, zh = rng.choice(pairs)
        out += [f"EN: {en}", f"中文：{zh}", ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# The 48 requests: material, where the instruction sits, the instruction, and the hand label.
# ---------------------------------------------------------------------------------------------


def _split_half(text: str) -> tuple[str, str]:
    lines = text.split("\n")
    k = len(lines) // 2
    return "\n".join(lines[:k]), "\n".join(lines[k:])


def build() -> list[dict]:
    """Every row of the blind set, in order (seeded: the same rows on every run)."""
    rng = random.Random(SEED)
    rows: list[dict] = []

    def add(rid: str, pattern: str, style: str, prompt: str, expected) -> None:
        rows.append(
            {
                "id": rid,
                "split": "blind",
                "pattern": pattern,
                "style": style,
                "prompt": prompt,
                "expected": expected,
            }
        )

    # --- English -------------------------------------------------------------------------------
    add(
        "b-en-01",
        "about",
        "lab-notebook",
        "Notebook pages from this week, copied as they are:\n\n"
        + en_lab(rng)
        + "\n\nTurn these notebook entries into a methods-and-results write-up of roughly 1,200 words for "
        "Thursday's group meeting.",
        _about(1200, "words"),
    )
    add(
        "b-en-02",
        "length-in-material",
        "contract",
        en_contract(rng)
        + "\n\nSummarise the Supplier's obligations for our procurement team in no more than "
        "600 words.",
        _most(600, "words"),
    )
    add(
        "b-en-03",
        "range",
        "product-reviews",
        "I'm pasting customer reviews of our blender below. Write a product-improvement memo for the "
        "engineering lead, between 900 and 1,100 words.\n\n" + en_reviews(rng),
        _range(900, 1100, "words"),
    )
    add(
        "b-en-04",
        "no-length",
        "code-review",
        en_code_review(rng) + "\n\nWrite a retrospective blog post about this review thread for our "
        "engineering blog. There's no length limit; keep it readable.",
        "none",
    )
    add(
        "b-en-05",
        "length-in-material",
        "transcript",
        en_transcript(rng) + "\n\nFrom this call transcript, write the customer case study. Aim for "
        "1,500-1,800 words.",
        _range(1500, 1800, "words"),
    )
    add(
        "b-en-06",
        "at-least",
        "recipe",
        "Write a food-blog post around this recipe - at least 1,000 words, with the story of the dish "
        "first and the recipe card at the end.\n\n" + en_recipe(rng),
        _least(1000, "words"),
    )
    add(
        "b-en-07",
        "non-length-unit",
        "timetable",
        en_timetable(rng) + "\n\nUsing these trains, write a travel guide for a day trip from Bern. One "
        "page is plenty.",
        "none",
    )
    s1, s2 = _split_half(en_survey(rng))
    add(
        "b-en-08",
        "instruction-inside",
        "survey-results",
        s1 + "\n\n(My request, between the two halves of the export: please write the results section "
        "of our paper, about 2k words, from the tables above and below.)\n\n"
        + s2
        + "\n\n"
        + en_survey(rng, "Pulse survey, March follow-up"),
        _about(2000, "words"),
    )
    add(
        "b-en-09",
        "glued",
        "json-paste",
        en_json_articles(rng) + "Write an editorial-calendar review of about 800 words from this export.",
        _about(800, "words"),
    )
    add(
        "b-en-10",
        "glued",
        "csv-paste",
        en_csv_orders(rng) + " Summarise this quarter's orders for the board in under 500 words.",
        _most(500, "words"),
    )
    add(
        "b-en-11",
        "spec-line",
        "markdown-table",
        "Task: match report\nAudience: supporters' club newsletter\nWord count: 700–900\nTone: upbeat but "
        "honest about the second half\n\n" + en_match_table(rng) + "\nFinal score 2-1; attendance 23,418.",
        _range(700, 900, "words"),
    )
    add(
        "b-en-12",
        "hard-wrap",
        "pasted-article",
        en_op_ed(rng) + "\n\nRewrite this op-ed for a general audience in about 900 words, keeping the "
        "footfall figures.",
        _about(900, "words"),
    )
    add(
        "b-en-13",
        "length-adopted",
        "course-page",
        "Here is the course page.\n\n" + en_syllabus(rng) + "\n\nPlease write my final essay on topic 2, "
        "using Medellín as the city.",
        _about(3000, "words"),
    )
    add(
        "b-en-14",
        "section-is-whole",
        "funding-call",
        en_funding_call(rng) + "\n\nOur project pairs retired engineers with care homes to co-design "
        "fall sensors. Draft just the lay summary (max 250 words) for this call.",
        _most(250, "words"),
    )
    add(
        "b-en-15",
        "section-limit",
        "incident-log",
        "Write a postmortem for the outage in the log below, with these sections: Summary (150 words "
        "at most), Timeline, Root cause, Action items.\n\n" + en_incident_log(rng),
        "none",
    )
    add(
        "b-en-16",
        "per-part",
        "property-listing",
        en_listing(rng) + "\n\nWrite 4 listing descriptions of this house, one for each portal we use, "
        "each about 250 words.",
        {"lower": 900, "upper": 1100, "unit": "words"},
    )
    add(
        "b-en-17",
        "at-most",
        "email-thread",
        en_emails(rng) + "\n\nReply to Carla on our behalf. Keep it short - under 200 words.",
        _most(200, "words"),
    )
    add(
        "b-en-18",
        "classifier",
        "release-notes",
        en_release_notes(rng) + "\n\nWrite a launch blog post for 2.9 with 3 screenshots and 2 code "
        "samples, around 1,400 words in total.",
        _about(1400, "words"),
    )
    add(
        "b-en-19",
        "about",
        "bilingual-paste",
        bilingual(rng) + "\nWrite an English commentary on the translation choices above, 1,000 words or so.",
        _about(1000, "words"),
    )
    add(
        "b-en-20",
        "non-length-unit",
        "survey-results",
        en_survey(rng, "Customer survey Q3 (answers average 35 words)")
        + "\n\n"
        + en_survey(rng, "Q3 repeat panel")
        + "\n\nWrite an executive summary of these results. The report it goes into has a 10-page limit overall.",
        "none",
    )
    add(
        "b-en-21",
        "section-sum",
        "lab-notebook",
        "Write up this experiment as a lab report in these sections: Abstract (about 200 words), "
        "Introduction (about 400 words), Methods (about 600 words), Results (about 600 words), "
        "Discussion (about 400 words).\n\nNotebook:\n" + en_lab(rng),
        {"lower": 1980, "upper": 2420, "unit": "words"},
    )
    add(
        "b-en-22",
        "range",
        "contract",
        en_contract(rng, report_clause=False) + "\n\nWrite a plain-English explainer of this agreement "
        "for the sales team. Length: 1,500 words minimum, 2,000 maximum.",
        _range(1500, 2000, "words"),
    )
    add(
        "b-en-23",
        "about",
        "transcript",
        en_transcript(rng) + "\n\nTurn this episode into a 10,000-word long-read feature in four chapters.",
        _about(10000, "words"),
    )
    add(
        "b-en-24",
        "no-length",
        "json-config",
        en_config_json(rng) + "\n\nDocument every option in this config file for new hires.",
        "none",
    )

    # --- Chinese -------------------------------------------------------------------------------
    add(
        "b-zh-01",
        "about",
        "lab-notebook",
        zh_lab(rng) + "\n\n请根据以上实验记录写一份实验报告，篇幅两千字左右。",
        _about(2000, "chars"),
    )
    add(
        "b-zh-02",
        "length-in-material",
        "contract",
        zh_contract(rng) + "\n\n请用通俗的语言为业务部门解读这份合同，不超过1500字。",
        _most(1500, "chars"),
    )
    add(
        "b-zh-03",
        "range",
        "product-reviews",
        "下面是用户对我们空气炸锅的评价，请据此写一份产品改进建议书，字数在2500到3000字之间。\n\n"
        + zh_reviews(rng),
        _range(2500, 3000, "chars"),
    )
    add(
        "b-zh-04",
        "no-length",
        "code-review",
        zh_code_review(rng) + "\n\n请把这段代码评审讨论整理成一篇技术博客。",
        "none",
    )
    add(
        "b-zh-05",
        "full-width",
        "transcript",
        zh_transcript(rng) + "\n\n请根据这段访谈写一篇人物专访，１５００字左右。",
        _about(1500, "chars"),
    )
    add(
        "b-zh-06",
        "at-least",
        "recipe",
        zh_recipe(rng) + "\n\n请围绕这道菜写一篇美食散文，三千字以上。",
        _least(3000, "chars"),
    )
    add(
        "b-zh-07",
        "non-length-unit",
        "timetable",
        zh_timetable(rng) + "\n\n请据此做一份春节出行攻略，做成8页PPT。",
        "none",
    )
    s1, s2 = _split_half(zh_survey(rng))
    add(
        "b-zh-08",
        "instruction-inside",
        "survey-results",
        s1
        + "\n\n（以上是第一部分数据，下面是第二部分。请基于全部数据写一份调研报告，约1.5万字。）\n\n"
        + s2
        + "\n\n"
        + zh_survey(rng, "2026年三月回访调查"),
        _about(15000, "chars"),
    )
    add(
        "b-zh-09",
        "glued",
        "json-paste",
        zh_json_articles(rng) + "请据此写一篇约1200字的内容运营复盘。",
        _about(1200, "chars"),
    )
    add(
        "b-zh-10",
        "glued",
        "csv-paste",
        zh_csv_sales(rng) + "请根据以上数据写一篇不少于2000字的分析报告。",
        _least(2000, "chars"),
    )
    add(
        "b-zh-11",
        "spec-line",
        "markdown-table",
        "任务：赛事综述\n对象：球迷公众号\n字数要求：1800-2200字\n风格：轻松，但别回避下半场的问题\n\n"
        + zh_match_table(rng)
        + "\n终场比分2比1，现场观众23418人。",
        _range(1800, 2200, "chars"),
    )
    add(
        "b-zh-12",
        "hard-wrap",
        "pasted-article",
        zh_wrapped_article(rng) + "\n\n请把这篇文章改写成面向中学生的科普文，控制在1200字左右。",
        _about(1200, "chars"),
    )
    add(
        "b-zh-13",
        "length-adopted",
        "course-page",
        "这是课程通知：\n\n"
        + zh_course_notice(rng)
        + "\n\n"
        + zh_lab(rng)[:1200]
        + "\n\n（上面是我之前的实验记录，和课程无关，可以忽略。）请帮我写期末论文，题目选第三个，以成都为例。",
        _about(5000, "chars"),
    )
    add(
        "b-zh-14",
        "section-is-whole",
        "funding-call",
        zh_funding_call(rng)
        + "\n\n我们的项目是让退休工程师和养老院一起设计防跌倒传感器。请只写项目摘要部分（不超过400字）。",
        _most(400, "chars"),
    )
    add(
        "b-zh-15",
        "section-limit",
        "incident-log",
        "请写一份故障复盘报告，包含：\n1. 事件概述（300字以内）\n2. 时间线\n3. 根因分析\n4. 改进措施\n日志如下：\n\n"
        + zh_incident_log(rng),
        "none",
    )
    add(
        "b-zh-16",
        "per-part",
        "property-listing",
        zh_listing(rng)
        + "\n\n"
        + zh_listing(rng)
        + "\n\n（上面两段是同一套房子的两份资料。）请为这套房子写5条不同平台的房源文案，每条200字左右。",
        {"lower": 900, "upper": 1100, "unit": "chars"},
    )
    add(
        "b-zh-17",
        "at-most",
        "email-thread",
        zh_emails(rng) + "\n\n请帮我回复刘经理，简短一些，不要超过三百字。",
        _most(300, "chars"),
    )
    add(
        "b-zh-18",
        "classifier",
        "release-notes",
        zh_release_notes(rng) + "\n\n请写一篇2.9版本的产品发布推文，配4张截图、2段代码示例，全文约2500字。",
        _about(2500, "chars"),
    )
    add(
        "b-zh-19",
        "at-least",
        "bilingual-paste",
        bilingual_en_source(rng) + "\n请用中文写一篇翻译评析，字数不少于两千。",
        _least(2000, "chars"),
    )
    add(
        "b-zh-20",
        "non-length-unit",
        "survey-results",
        zh_survey(rng, "2026年第三季度客户调查")
        + "\n\n"
        + zh_survey(rng, "第三季度追踪样本")
        + "\n\n请写一份执行摘要，它会放进一份总篇幅20页的报告里。",
        "none",
    )
    add(
        "b-zh-21",
        "section-sum",
        "lab-notebook",
        "请按以下结构把实验写成论文：摘要（约300字）、引言（约800字）、方法（约1000字）、结果（约1000字）、讨论（约900字）。\n\n实验记录：\n"
        + zh_lab(rng),
        {"lower": 3600, "upper": 4400, "unit": "chars"},
    )
    add(
        "b-zh-22",
        "range",
        "contract",
        zh_contract(rng)
        + "\n\n"
        + zh_contract(rng)[:900]
        + "\n\n请结合以上两份合同写一篇合同风险评估，八百到一千字。",
        _range(800, 1000, "chars"),
    )
    add(
        "b-zh-23",
        "about",
        "transcript",
        zh_transcript(rng) + "\n\n请把这期节目改写成一篇两万字的长篇特稿，分为六章。",
        _about(20000, "chars"),
    )
    add(
        "b-zh-24",
        "no-length",
        "json-config",
        zh_config_json(rng) + "\n\n请为新同事写一份这个配置文件的说明文档。",
        "none",
    )
    return rows


def main() -> None:
    """Write the blind set (refuses to overwrite: the committed file is frozen)."""
    rows = build()
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if OUT.exists() and OUT.read_text(encoding="utf-8") != text:
        raise SystemExit(f"{OUT} exists and differs: the blind set is frozen; write a new set instead")
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main()

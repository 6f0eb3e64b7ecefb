"""The whole-response length parser (rewards.length.parse) on labelled requests and LongBench-Write.

tests/rewards/length/data/length_requests.jsonl: 182 requests written for this project (English and
Chinese), each with the range a careful reader derives by hand from LongWriter-Zero's rules
(about N -> [0.9N, 1.1N], at most N -> [0.9N, N], at least N -> [N, 1.1N], a range -> itself,
per-part x stated count) or "none" when the whole response's length is not stated, and a style
label. ``batch``: "design" rows were written while the parser was built; "held-out" rows were
written after it was frozen (28/30 right at first, the two misses then fixed).

tests/rewards/length/data/long_requests.jsonl (written by make_long_requests.py beside it): requests
of real length (median over 4,000 characters: pasted financial reports, spec sheets, meeting notes,
hard-wrapped articles, code and JSON, with the instruction before, after, inside or glued to the
material), labelled by the same rules; ``pattern`` names the trap, ``split`` "held-out" rows were
frozen before the parser was tuned on the "design" rows (issue 23).
"""

import json
import statistics
from collections import Counter
from pathlib import Path

import pytest

from rewards.length.parse import find_length, material_spans
from rewards.length.reward import (
    TargetRange,
    explain_length_requirement,
    length_reward,
    parse_length_requirement,
    validate_predicted,
)
from rollout.text import language_of

DATA = Path(__file__).resolve().parent / "data" / "length_requests.jsonl"
ROWS = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
LONG = DATA.parent / "long_requests.jsonl"
LONG_ROWS = [json.loads(line) for line in LONG.read_text(encoding="utf-8").splitlines() if line.strip()]
DESIGN = [r for r in LONG_ROWS if r["split"] == "design"]
HELD_OUT = [r for r in LONG_ROWS if r["split"] == "held-out"]
# The failure classes measured on real requests (issue 23), each with design and held-out rows.
TRAPS = ("prose-numbers", "glued", "spec-line", "hard-wrap", "classifier", "section-limit", "about")


def _expected(row):
    e = row["expected"]
    return None if e == "none" else (e["lower"], e["upper"], e["unit"])


def test_labelled_set_shape():
    assert len(ROWS) >= 150
    assert len({r["id"] for r in ROWS}) == len(ROWS)
    zh = sum(any("\u4e00" <= c <= "\u9fff" for c in r["prompt"]) for r in ROWS)
    assert zh >= 60 and len(ROWS) - zh >= 60
    styles = Counter(r["style"] for r in ROWS)
    for style in (
        "pasted-report",
        "pasted-table",
        "pasted-zh-material",
        "per-part-total",
        "per-part-count",
        "element-limit",
        "element-only",
        "zh-approx",
        "multi-requirement",
        "non-word-unit",
    ):
        assert styles[style] >= 5, style
    assert sum(r["expected"] == "none" for r in ROWS) >= 30


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_labelled_request(row):
    got, evidence = explain_length_requirement(row["prompt"])
    want = _expected(row)
    if want is None:
        assert got is None, (got, evidence.describe())
        assert evidence.reason  # no range always says why
    else:
        assert got is not None, evidence.describe()
        assert (got.lower, got.upper, got.unit) == want, evidence.describe()
        assert got.source == "explicit" and got.evidence is evidence
        # the span names a part of the request, and it is where the range was read
        assert evidence.text and row["prompt"][evidence.start : evidence.end] == evidence.text


def _outcome(row) -> tuple[str, object]:
    """right / wrong (a range, not the labelled one) / miss (none where one is labelled) /
    spurious (a range where none is labelled), with the evidence."""
    got, evidence = explain_length_requirement(row["prompt"])
    want = _expected(row)
    have = None if got is None else (got.lower, got.upper, got.unit)
    if have == want:
        return "right", evidence
    if have is None:
        return "miss", evidence
    return ("spurious" if want is None else "wrong"), evidence


def test_long_set_shape():
    assert len(LONG_ROWS) >= 100
    assert len({r["id"] for r in LONG_ROWS}) == len(LONG_ROWS)
    lengths = sorted(len(r["prompt"]) for r in LONG_ROWS)
    assert statistics.median(lengths) >= 3000 and lengths[0] >= 2500
    langs = Counter(language_of(r["prompt"]) for r in LONG_ROWS)
    assert langs["zh"] >= 40 and langs["en"] >= 40
    assert len(HELD_OUT) >= 40 and 0.3 <= len(HELD_OUT) / len(LONG_ROWS) <= 0.45
    for split in (DESIGN, HELD_OUT):
        patterns = Counter(r["pattern"] for r in split)
        for trap in TRAPS:
            assert patterns[trap] >= 2, trap
        assert sum(r["expected"] == "none" for r in split) >= 8
    for row in LONG_ROWS:
        assert row["style"] and row["split"] in ("design", "held-out")
        e = row["expected"]
        assert e == "none" or (1 <= e["lower"] <= e["upper"] and e["unit"] in ("words", "chars"))


def test_long_set_is_what_its_script_writes():
    """The committed jsonl is exactly the seeded script's output (no hand edits drift apart)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_long_requests", DATA.parent / "make_long_requests.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.build() == LONG_ROWS


def _check(row) -> None:
    result, evidence = _outcome(row)
    assert result == "right", (result, row["expected"], evidence.describe()[:2000])
    if row["expected"] == "none":
        assert evidence.reason
    else:
        assert evidence.text and row["prompt"][evidence.start : evidence.end] == evidence.text


@pytest.mark.parametrize("row", DESIGN, ids=[r["id"] for r in DESIGN])
def test_long_request_design(row):
    _check(row)


@pytest.mark.parametrize("row", HELD_OUT, ids=[r["id"] for r in HELD_OUT])
def test_long_request_held_out(row):
    _check(row)


def test_held_out_long_requests_have_no_wrong_range():
    """Issue 23's done criterion: no wrong range (and no range where none is stated) on the
    held-out rows; misses would be allowed (they fall back to the predicted path) but counted."""
    outcomes = Counter(_outcome(r)[0] for r in HELD_OUT)
    assert outcomes["wrong"] == 0 and outcomes["spurious"] == 0, outcomes
    assert outcomes["right"] + outcomes["miss"] == len(HELD_OUT)


def test_longbench_write_lengths_fall_inside_the_parsed_range(longbench_dir):
    """Every LongBench-Write / LongWrite-Ruler request with a parsed range has its reference
    length inside it; the four without one state no length (15 emojis, 10 quiz questions, a
    50-page novel, a pasted text with no requirement)."""
    rows = []
    for name in ("longbench_write.jsonl", "longwrite_ruler.jsonl"):
        rows += [json.loads(line) for line in (longbench_dir / name).open(encoding="utf-8")]
    assert len(rows) == 168
    none, wrong = [], []
    for row in rows:
        got = parse_length_requirement(row["prompt"])
        if got is None:
            none.append(row["prompt"][:30])
        elif not got.lower <= row["length"] <= got.upper:
            wrong.append((row["prompt"][:40], row["length"], got))
    assert wrong == []
    assert len(none) <= 4, none


# ---- the four failure kinds of issue #16, one by one -------------------------------------------


def test_numbers_in_pasted_material_are_not_requirements():
    prompt = (
        "Write the discussion of my lab report, 3,000 words.\n\nReference material:\n"
        "Sample Length: 100 mm\nMaximum load: 48 kN\nThe previous report was 800 words."
    )
    got, ev = explain_length_requirement(prompt)
    assert (got.lower, got.upper) == (2700, 3300)
    assert any("800 words" in r.text and "material" in r.why for r in ev.rejected)
    assert ev.material and prompt[ev.material[0][0] :].lstrip().startswith("Sample Length")
    # without the requirement, the material alone gives nothing
    alone = "Reference material:\nSample Length: 100 mm\nThe previous report was 800 words."
    assert parse_length_requirement(alone) is None


def test_a_unit_that_is_not_a_length_never_gives_a_target():
    got, ev = explain_length_requirement("Sample Length: 100 mm. Describe the specimen.")
    assert got is None and any("not a length" in r.why for r in ev.rejected)
    for prompt in (
        "Write a 50-page novel.",
        "A 5-minute speech on hope",
        "做一份12页的PPT",
        "Write 40 lines",
    ):
        assert parse_length_requirement(prompt) is None, prompt


def test_narrative_quantity_in_chinese_material():
    prompt = "请写一篇1500字的调查报告。\n参考资料：\n老支书说：“这里的故事足能写出一份几万字的调查报告。”"
    got = parse_length_requirement(prompt)
    assert (got.lower, got.upper, got.unit) == (1350, 1650, "chars")
    got, ev = explain_length_requirement("老支书说，这里的故事足能写出一份几万字的调查报告。")
    assert got is None and any("vague" in r.why for r in ev.rejected)


def test_totals_beat_per_part_limits():
    got, ev = explain_length_requirement("about 1,000 words per section, totaling 3,000 words")
    assert (got.lower, got.upper) == (2700, 3300) and ev.rule.startswith("total")
    assert any(r.text == "1,000 words" and "per-part" in r.why for r in ev.rejected)
    got = parse_length_requirement("each section around 2,000 words, with the total exceeding 6,000")
    assert (got.lower, got.upper, got.unit) == (6000, 6600, "words")


def test_per_part_times_count():
    got, ev = explain_length_requirement("Write 10 reviews of hiking boots, each 150-200 words.")
    assert (got.lower, got.upper) == (1500, 2000) and ev.rule.startswith("10 x per-part")
    got, ev = explain_length_requirement("Write short reviews of hiking boots, each 150-200 words.")
    assert got is None and "number of parts" in ev.reason


def test_title_and_slogan_limits_never_stand_for_the_whole():
    got = parse_length_requirement("标题：简洁有力，20字以内。写3篇帖文，每个帖文篇幅控制在800-1200字。")
    assert (got.lower, got.upper, got.unit) == (2400, 3600, "chars")
    got, ev = explain_length_requirement("Write slogans for our café, within 15 words.")
    assert got is None and "title/slogan" in ev.reason


def test_least_and_most_combine():
    got = parse_length_requirement("写一篇不少于1500字、不超过2000字的议论文")
    assert (got.lower, got.upper) == (1500, 2000)


def test_material_spans_fences_quotes_tables_and_markers():
    text = "Write 300 words.\n```\nlength: 900 words\n```\n> quoted 700 words\nAfter."
    spans = material_spans(text)
    masked = "".join(" " if any(s <= i < e for s, e in spans) else c for i, c in enumerate(text))
    assert "900" not in masked and "700" not in masked and "Write 300 words." in masked
    assert "After." in masked
    table = "Intro line\n| a | b |\n| 1 | 2 |\n| 3 | 4 |\nPlease write 500 words."
    spans = material_spans(table)
    assert len(spans) == 1 and table[spans[0][0] :].startswith("| a |")
    assert parse_length_requirement(table).lower == 450


def test_very_long_request_reads_head_and_tail_and_says_so():
    text = "Write 800 words about rivers.\n" + "filler 1000 words here " * 5000 + "\nKeep it formal."
    found = find_length(text)
    assert (found.lower, found.upper) == (720, 880)
    assert any("not read" in n for n in found.evidence.notes)


def test_evidence_round_trips_to_plain_json():
    _, ev = explain_length_requirement("Summarize this 3,000-word article in 200 words.")
    d = json.loads(json.dumps(ev.to_dict()))
    assert d["text"] == "200 words" and d["rule"] == "about"
    assert d["rejected"][0]["why"].startswith("the length of a text referred to")


# ---- issue #13 item 3: zero lower bounds ------------------------------------------------------------


def test_zero_lower_bound_is_refused_everywhere():
    with pytest.raises(ValueError, match="empty answer"):
        TargetRange(0, 500)
    with pytest.raises(ValueError):
        TargetRange.from_any({"lower": 0, "upper": 500})
    rng, err = validate_predicted('{"lower": 0, "upper": 300}', "Write a tweet")
    assert rng is None and "empty answer" in err
    # an empty answer earns nothing, whatever the range
    assert length_reward(0, TargetRange(1, 10)) == 0.0


# Inputs that would give a zero lower bound if the parser's MIN_LENGTH guard were gone.
ZERO_BAIT = [
    "Write between 0 and 500 words on tides.",
    "写一篇0-300字的短文",
    "Write 0 words.",
    "写0字以上的作文",
    "at most 0 words, then 0-9 words",
]


def test_parsed_ranges_never_start_at_zero():
    """Issue 22: checked on the parser's own output (find_length), not through TargetRange (which
    refuses a zero lower bound itself, so a check behind it could never fail), over both labelled
    sets and inputs built to give zero."""
    prompts = [r["prompt"] for r in ROWS] + [r["prompt"] for r in LONG_ROWS] + ZERO_BAIT
    zero = []
    for prompt in prompts:
        found = find_length(prompt)
        if found.lower is not None and found.lower < 1:
            zero.append((prompt[:40], found.lower, found.upper))
    assert zero == []
    for prompt in ZERO_BAIT[:2]:  # the bait still parses: the guard skips only the zero
        assert find_length(prompt).lower is not None, prompt


def test_megabyte_request_parse_reads_a_bounded_slice(monkeypatch):
    """Issue 22: the megabyte parse has a bound that can fail. Counted, not timed: every parse step
    runs inside ``_find``; for a 1,000,000-character request it is handed at most
    READ_HEAD + READ_TAIL + 1 characters, the same as for a 40,001-character one."""
    from rewards.length import parse

    seen: list[int] = []
    real = parse._find

    def counting(prompt):
        seen.append(len(prompt))
        return real(prompt)

    monkeypatch.setattr(parse, "_find", counting)
    filler = ("lorem ipsum 12 dolor 字 " * 50000)[:1_000_000]
    found = find_length("Write about 800 words. " + filler)
    assert (found.lower, found.upper) == (720, 880)
    assert seen == [parse.READ_HEAD + parse.READ_TAIL + 1]
    small = find_length("Write about 800 words. " + filler[: parse.READ_HEAD + parse.READ_TAIL])
    assert (small.lower, small.upper) == (720, 880) and seen[-1] == seen[0]


# ---- issue 23: the failure classes found on long real requests, one by one ----------------------


def test_an_amount_in_pasted_prose_is_never_the_total():
    prose = (
        "Total revenues were RMB17,103.2 million, up 12.4%. Gross profit totaled RMB5,210.9 million.\n"
        "全年共计发放员工薪酬12,345.6万元，合计缴纳税费3,210.5万元。\n"
    )
    got, ev = explain_length_requirement(prose + "请根据以上内容写一篇3000字的分析。")
    assert (got.lower, got.upper, got.unit) == (2700, 3300, "chars")
    assert any(r.text == "17,103" and "amount" in r.why for r in ev.rejected)
    assert parse_length_requirement(prose) is None  # the amounts alone give nothing


def test_keep_it_at_about_n_is_about_n():
    for prompt, want in (
        ("字数控制在3000字左右", (2700, 3300)),
        ("篇幅控制在两千字左右", (1800, 2200)),
        ("字数大约控制在1200字上下", (1080, 1320)),
        ("字数要求：控制在500字左右", (450, 550)),
        ("控制在800字以内", (720, 800)),  # 以内 still bounds it from above
    ):
        got = parse_length_requirement("请写一篇总结，" + prompt + "。")
        assert (got.lower, got.upper) == want, prompt


def test_an_instruction_glued_to_the_last_data_line_is_read():
    table = (
        "| Region | Revenue | Growth |\n|---|---|---|\n| North | 1,204.5 | 3.1% |\n| APAC | 4,213.7 | 9.8% |"
    )
    got, ev = explain_length_requirement(table + " Please write a 1,000-word summary of this data.")
    assert (got.lower, got.upper) == (900, 1100) and ev.material
    csv = "month,revenue\n2024-04,4210.3\n2024-05,4433.0\n2024-06,4512.3"
    assert parse_length_requirement(csv + "请据此写一篇至少3000字的报告").lower == 3000
    # a third-person action item at the end of pasted notes is not an instruction
    notes = "Weekly sync\n\n- Budget: $45,210.75 spent\n- Survey: 1,204 responses\n- Action: Ana to write a 300-word FAQ"
    got, ev = explain_length_requirement(notes + "\n\nWrite a summary for the board.")
    assert got is None and any("300-word" in r.text and "material" in r.why for r in ev.rejected)


def test_a_length_line_among_spec_data_lines_is_an_instruction():
    spec = "Weight: 221.5 g\nBattery: 5,000 mAh\nPrice: USD 1,099.00\n"
    prompt = spec + "Word count requirement: 500-800 words\n" + spec + "Write the launch post."
    got = parse_length_requirement(prompt)
    assert (got.lower, got.upper, got.unit) == (500, 800, "words")
    got = parse_length_requirement("Assignment: launch article\nWord count: 900-1,100\nVoice: confident")
    assert (got.lower, got.upper) == (900, 1100)
    got = parse_length_requirement("Output spec:\nMaximum length: 350 words\nMinimum word count: 1,500")
    assert (got.lower, got.upper) == (315, 350)


def test_hard_wrapped_pasted_text_is_material():
    text = (
        "那个冬天，志愿者们录入了好些文字稿。县里那份洪水调查报告足有上万字，却一次也没有提到这些农民的名字。"
        "整理一段采访录音，往往要花掉一名志愿者大半周的时间。老支书说，这些故事前后能整理出几万字的材料。"
        "问题都很朴素：种什么，卖给谁，洪水带走了什么。"
    )
    zh = "\n".join(text[i : i + 31] for i in range(0, len(text), 31))  # hard-wrapped: "上\n万字", "几万\n字"
    assert "上\n万字" in zh
    got, ev = explain_length_requirement(zh + "\n\n请为上文写一篇读后感。")
    assert got is None and ev.material
    en = (
        "By the end the archive held letters, ledgers and several\n"
        "thousand words of notes that nobody had read aloud; the\n"
        "county report on the flood, which runs to some 5,000\n"
        "words, never mentions the farmers by name, not once, which\n"
        "is the point."
    )
    assert parse_length_requirement(en + "\n\nWrite a review of it.") is None
    assert (parse_length_requirement(en + "\n\nWrite a 1,000-word rebuttal.").lower) == 900
    # vague English quantities give no target, wrapped or not ("hundred words" is not 100 words)
    for prompt in (
        "Write me a few hundred words on tides.",
        "He wrote several\nthousand words a day. Write his story.",
    ):
        got, ev = explain_length_requirement(prompt)
        assert got is None and any("vague" in r.why for r in ev.rejected), prompt
    # outside pasted text, a wrap inside 几万字 is still vague, not 万字 = 10,000
    got, ev = explain_length_requirement("老支书说，这里的故事能写出几\n万字。")
    assert got is None and any("vague" in r.why for r in ev.rejected)


def test_what_each_part_carries_is_not_the_number_of_parts():
    got = parse_length_requirement(
        "Create 3 newsletter sections of roughly 400 words each, and include 5 bullet points in each."
    )
    assert (got.lower, got.upper) == (1080, 1320)
    got = parse_length_requirement("写4篇小红书帖文，每篇500字左右，每篇配2-3张配图。")
    assert (got.lower, got.upper) == (1800, 2200)
    # the content count sits between the parts' count and the limit
    got = parse_length_requirement("Write 3 posts with 5 photos, 400 words each.")
    assert (got.lower, got.upper) == (1080, 1320)
    got = parse_length_requirement("写3篇帖文，配5张图，各500字左右。")
    assert (got.lower, got.upper) == (1350, 1650)
    # no count of the parts themselves: no range, never the number of images
    got, ev = explain_length_requirement("请为新品写几篇小红书笔记，每篇笔记500字左右，配2-3张配图。")
    assert got is None and "number of parts" in ev.reason


def test_a_limit_on_one_item_of_a_section_list_is_not_the_whole():
    head = "请写一份实验报告，包括以下部分：\n1. 研究背景\n2. 分组实验的具体步骤说明（至少2000字）\n3. 数据分析\n4. 结论与建议"
    got, ev = explain_length_requirement(head)
    assert got is None and "list" in ev.reason
    assert any("one item of a list" in r.why for r in ev.rejected)
    got = parse_length_requirement(head + "\n全文不少于6000字。")
    assert (got.lower, got.upper) == (6000, 6600)
    every = "Structure:\n- Introduction: 300 words\n- Findings: 1,200 words\n- Conclusion: 300 words"
    got, ev = explain_length_requirement(every)
    assert (got.lower, got.upper) == (1620, 1980) and "list-item" in ev.rule  # 3 x about N, summed
    assert (
        parse_length_requirement("Sections:\n1. Executive summary (max 250 words)\n2. Analysis\n3. Plan")
        is None
    )


# The blind set's failure classes (issue 23, long_requests_blind.jsonl), each with a guard.
_CONTRACT = "\n".join(
    f"{k}.1 The Supplier shall deliver within {k + 4} Business Days; late delivery costs {k}.5% per day."
    for k in range(1, 30)
)


def test_a_closing_instruction_with_a_length_outranks_a_length_in_a_pasted_document():
    doc = _CONTRACT + "\n4.2 The Supplier shall provide a monthly report, which shall not exceed 1,500 words."
    got = find_length(doc + "\n\nSummarise the obligations for procurement in no more than 600 words.")
    assert (got.lower, got.upper, got.unit) == (540, 600, "words"), got.evidence.describe()
    assert "closing instruction" in got.evidence.describe()
    zh = "第3条 乙方每月提交服务报告，正文不少于3000字。\n" * 3 + "甲方按期付款，逾期按日计息。" * 30
    got = find_length(zh + "\n\n请用通俗的语言解读这份合同，不超过1500字。")
    assert (got.lower, got.upper, got.unit) == (1350, 1500, "chars"), got.evidence.describe()
    # guards: an earlier request of the user's keeps its place against a closing length that is
    # another text's; a closing paragraph with no length of its own changes nothing
    prose = "Revenue grew 12% in the quarter and churn fell. " * 30
    for closing in (
        "Please note the source article is 1,200 words long.",
        "Write it plainly; my last essay was 2,000 words.",
    ):
        got = find_length("Write a 3,000-word essay on the report below.\n\n" + prose + "\n\n" + closing)
        assert (got.lower, got.upper) == (2700, 3300), got.evidence.describe()
    got = find_length(
        "请写一篇3000字的分析文章。\n\n" + "营收增长12%，流失率下降。" * 40 + "\n\n请注意原文只有1200字。"
    )
    assert (got.lower, got.upper) == (2700, 3300), got.evidence.describe()
    got = find_length(
        "Write a 2,000-word briefing on the contract below.\n\n" + doc + "\n\nPlease use plain English."
    )
    assert (got.lower, got.upper) == (1800, 2200), got.evidence.describe()


def test_a_section_asked_for_alone_is_the_whole_answer():
    call = "Full proposals must not exceed 5,000 words or 15 pages. " * 20
    got = find_length(
        call + "\n\nOur project is about fall sensors. Draft just the lay summary (max 250 words)."
    )
    assert (got.lower, got.upper, got.unit) == (225, 250, "words"), got.evidence.describe()
    got = find_length("申请书正文不超过8000字。" * 30 + "\n\n请只写项目摘要部分（不超过400字）。")
    assert (got.lower, got.upper, got.unit) == (360, 400, "chars"), got.evidence.describe()


def test_one_limited_item_of_an_inline_section_list_is_not_the_whole():
    got = find_length(
        "Write a postmortem with these sections: Summary (150 words at most), Timeline, Root cause, Action items."
    )
    assert got.lower is None and "items of a list" in got.evidence.reason, got.evidence.describe()
    got = find_length(
        "请按以下结构写：摘要（约300字）、引言（约800字）、方法（约1000字）、结果（约1000字）、讨论（约900字）。"
    )
    assert (got.lower, got.upper, got.unit) == (3600, 4400, "chars"), got.evidence.describe()
    # guard: a list of requirements (no labelled items) keeps its length
    got = find_length("请写一篇科普文章，要求：语言通俗、不少于2000字、配图3张。")
    assert (got.lower, got.upper) == (2000, 2200), got.evidence.describe()


def test_a_measured_average_is_not_a_requirement():
    for prompt in (
        "Customer survey (answers average 35 words)\n\nWrite an executive summary of these results.",
        "（用户评论平均长度38字）\n\n请写一篇用户反馈分析。",
    ):
        got = find_length(prompt)
        assert got.lower is None and "measured average" in got.evidence.describe(), got.evidence.describe()


def test_a_minimum_and_a_maximum_after_their_numbers_are_a_range():
    got = find_length("Write a plain-English explainer. Length: 1,500 words minimum, 2,000 maximum.")
    assert (got.lower, got.upper, got.unit) == (1500, 2000, "words"), got.evidence.describe()


def test_a_length_the_pasted_brief_gives_the_requested_text_is_adopted():
    page = (
        "Assessment\n- Weekly log: 300 words\n- Final essay: 3,000 words (±10%), due week 11\n"
        + "Week 1: cities.\n" * 40
    )
    got = find_length("Here is the course page.\n\n" + page + "\nPlease write my final essay on topic 2.")
    assert (got.lower, got.upper, got.unit) == (2700, 3300, "words"), got.evidence.describe()
    assert got.evidence.rule.startswith("adopted")
    got = find_length("作业要求：\n一、调研报告：4000字（±5%）\n二、展示：10分钟\n\n请帮我写这份调研报告。")
    assert (got.lower, got.upper, got.unit) == (3800, 4200, "chars"), got.evidence.describe()
    # guards: the instruction asks for another text; a one-word label is too generic to tie
    page3 = page.replace("due week 11\n", "due week 11\n- Presentation: 12 minutes\n")
    got = find_length("Here is the course page.\n\n" + page3 + "\nPlease write a short bio for the convenor.")
    assert got.lower is None, got.evidence.describe()
    got = find_length(
        "Deliverables:\n- Summary: 200 words\n- Poster: one page\n\nWrite the summary of the project."
    )
    assert got.lower is None, got.evidence.describe()

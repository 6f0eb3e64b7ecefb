"""Write long_requests.jsonl: labelled writing requests of real length (pasted material + an instruction).

Run from the repository root: ``python tests/rewards/length/data/make_long_requests.py``. The output
is deterministic (seeded). The material (financial reports, spec sheets, meeting notes, articles,
code and JSON) is generated from sentence templates with random numbers; every request's
instruction, where it sits (before, after, inside or glued to the material) and its expected range
are written by hand below, one row at a time, by LongWriter-Zero's rules: about N -> [0.9N, 1.1N],
at most N -> [0.9N, N], at least N -> [N, 1.1N], a range -> itself, per-part x stated count, or
"none" when the whole response's length is not stated. ``pattern`` names the trap the row tests;
``style`` names the material. ``split``: "held-out" rows were frozen before the parser was tuned
on the "design" rows.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent / "long_requests.jsonl"
TARGET_CHARS = (3000, 5200)  # material length drawn per request

# ---------------------------------------------------------------------------------------------
# Material builders: each takes an rng and returns text of about TARGET_CHARS characters.
# ---------------------------------------------------------------------------------------------


def _money(rng: random.Random) -> str:
    return f"{rng.uniform(120, 30000):,.1f}"


def _pct(rng: random.Random) -> str:
    return f"{rng.uniform(0.5, 45):.1f}%"


def _fill(rng: random.Random, pieces: list, head: str, tail: str = "") -> str:
    """head + pieces chosen at random (callables of rng) until the text reaches its drawn length."""
    goal = rng.randint(*TARGET_CHARS)
    out = [head]
    while sum(map(len, out)) + len(tail) < goal:
        out.append(rng.choice(pieces)(rng))
    if tail:
        out.append(tail)
    return "".join(out)


_EN_FIN = [
    lambda r: (
        f"Total revenues were RMB{_money(r)} million (US${_money(r)} million), an increase of {_pct(r)} "
        "from the same period last year. "
    ),
    lambda r: (
        f"Gross profit was RMB{_money(r)} million and gross margin was {_pct(r)}, compared with {_pct(r)} "
        "a year earlier. "
    ),
    lambda r: (
        f"Total operating expenses were RMB{_money(r)} million, of which selling and marketing expenses "
        f"accounted for RMB{_money(r)} million. "
    ),
    lambda r: (
        f"Net income attributable to ordinary shareholders totaled RMB{_money(r)} million, or "
        f"RMB{r.uniform(0.1, 9):.2f} per diluted ADS. "
    ),
    lambda r: f"Adjusted EBITDA was US${_money(r)} million, representing a margin of {_pct(r)}. ",
    lambda r: (
        f"As of December 31, the Company had cash, cash equivalents and short-term investments totaling "
        f"RMB{_money(r)} million. "
    ),
    lambda r: (
        f"Revenue from online marketing services was RMB{_money(r)} million, up {_pct(r)} year over year; "
        f"the total for the segment was {_money(r)} million. "
    ),
    lambda r: (
        f"Headcount reached {r.randint(5000, 40000):,} employees at year end, and the total number of active "
        f"merchants was {_money(r)} thousand. "
    ),
    lambda r: (
        f"The Board declared a special dividend of US${r.uniform(0.1, 2):.2f} per ordinary share, for a "
        f"total of approximately US${_money(r)} million. "
    ),
    lambda r: (
        f"Total orders over the year reached {_money(r)} million, and the average order value was "
        f"RMB{r.uniform(40, 400):.2f}. "
    ),
    lambda r: (
        f"Overall, free cash flow came to RMB{_money(r)} million, against {_money(r)} million in the prior "
        "year. "
    ),
    lambda r: (
        "Management noted that competition in lower-tier cities intensified during the second half, "
        "and that promotional spending was deliberately held back to protect unit economics. "
    ),
    lambda r: (
        "\n\n| Segment | Prior year (RMB mn) | This year (RMB mn) | YoY |\n|---|---|---|---|\n"
        + "".join(
            f"| {s} | {_money(r)} | {_money(r)} | {_pct(r)} |\n"
            for s in ("Cloud", "Advertising", "Commerce", "Logistics", "Other")
        )
        + "\n"
    ),
]


def fin_en(rng: random.Random, glued_tail: bool = False) -> str:
    """An English earnings release: prose full of decimals, 'total' sentences and a table."""
    head = (
        f"{rng.choice(['Northwind', 'Helios', 'Bluepeak', 'Kestrel'])} Holdings Limited Announces Fourth "
        "Quarter and Fiscal Year Unaudited Financial Results\n\n"
        "Total revenues were RMB17,103.2 million, an increase of 12.4% year over year. "
    )
    text = _fill(rng, _EN_FIN, head)
    if glued_tail:
        text = text.rstrip() + "\n\n| Region | Revenue (RMB mn) | Growth |\n|---|---|---|\n"
        text += "".join(f"| {s} | {_money(rng)} | {_pct(rng)} |\n" for s in ("North", "East", "South"))
        text += f"| APAC | {_money(rng)} | {_pct(rng)} |"
    return text


_ZH_FIN = [
    lambda r: f"报告期内，公司实现营业总收入人民币{_money(r)}百万元，同比增长{_pct(r)}。",
    lambda r: f"总收入为RMB{_money(r)} million，较上年同期增长{_pct(r)}。",
    lambda r: f"归属于上市公司股东的净利润为{r.uniform(0.5, 90):.2f}亿元，同比下降{_pct(r)}。",
    lambda r: f"全年共计发放员工薪酬{_money(r)}万元，合计缴纳各项税费{_money(r)}万元。",
    lambda r: f"截至12月31日，公司总资产为{_money(r)}百万元，资产负债率为{_pct(r)}。",
    lambda r: f"经营活动产生的现金流量净额合计{_money(r)}万元，较上年增加{_money(r)}万元。",
    lambda r: f"研发投入总计{r.uniform(1, 60):.2f}亿元，占营业收入的{_pct(r)}。",
    lambda r: f"公司全年总计销售新能源汽车{r.randint(10000, 900000):,}辆，出口{r.randint(1000, 90000):,}辆。",
    lambda r: f"毛利率为{_pct(r)}，较上年提升{r.uniform(0.1, 3):.1f}个百分点，主要得益于原材料价格回落。",
    lambda r: "管理层表示，下半年低线城市竞争加剧，公司主动控制促销投入，以保证单位经济模型的健康。",
    lambda r: f"董事会建议派发末期股息每股{r.uniform(0.1, 2):.2f}元，总额约{_money(r)}万元。",
    lambda r: f"销售费用为{_money(r)}百万元，管理费用为{_money(r)}百万元，财务费用为{_money(r)}百万元。",
    lambda r: (
        "\n\n| 分部 | 上年（百万元） | 本年（百万元） | 同比 |\n|---|---|---|---|\n"
        + "".join(
            f"| {s} | {_money(r)} | {_money(r)} | {_pct(r)} |\n"
            for s in ("云服务", "广告", "电商", "物流", "其他")
        )
        + "\n"
    ),
]


def fin_zh(rng: random.Random, glued_tail: bool = False) -> str:
    """A Chinese annual-report excerpt: 百万元/亿元/万元 amounts, 合计/共计/总计 sentences, a table."""
    head = (
        f"{rng.choice(['华信', '远航', '启明', '泰和'])}科技股份有限公司{rng.choice([2022, 2023, 2024])}年年度报告摘要\n\n"
        "报告期内，公司营业总收入为人民币17,103.2百万元，同比增长12.4%。总收入为RMB17,103.2 million。"
    )
    text = _fill(rng, _ZH_FIN, head)
    if glued_tail:
        text = text.rstrip() + "\n\n| 区域 | 收入（百万元） | 增长 |\n|---|---|---|\n"
        text += "".join(f"| {s} | {_money(rng)} | {_pct(rng)} |\n" for s in ("华北区", "华南区", "西南区"))
        text += f"| 华东区 | {_money(rng)} | {_pct(rng)} |"
    return text


def csv_block(rng: random.Random, zh: bool) -> str:
    """Monthly data as comma-separated lines, ending on a data line (for glued instructions)."""
    head = "月份,销售额（万元）,完成率\n" if zh else "month,revenue_k_usd,attainment_pct\n"
    lines = [head]
    year = 2019
    goal = rng.randint(*TARGET_CHARS)
    while sum(map(len, lines)) < goal:
        for m in range(1, 13):
            lines.append(f"{year}-{m:02d},{rng.uniform(1000, 9000):.1f},{rng.uniform(60, 120):.1f}\n")
        year += 1
    return "".join(lines).rstrip("\n")


_EN_SPEC = [
    lambda r: f"Display: 6.7-inch OLED, {r.choice([2796, 2400, 3120])} x 1290 pixels, 120 Hz\n",
    lambda r: f"Battery: {r.choice([4500, 5000, 5500]):,} mAh\n",
    lambda r: f"Charging: {r.choice([45, 65, 100])} W wired, 15 W wireless\n",
    lambda r: f"Weight: {r.uniform(180, 240):.1f} g\n",
    lambda r: f"Dimensions: {r.uniform(150, 165):.1f} x 74.1 x 8.3 mm\n",
    lambda r: f"Price: USD {r.choice([799, 999, 1099, 1299]):,}.00\n",
    lambda r: "Warranty: 24 months\n",
    lambda r: "Water resistance: IP68, 1.5 m for 30 minutes\n",
    lambda r: f"Storage: {r.choice([128, 256, 512])} GB\n",
    lambda r: f"Main camera: {r.choice([48, 50, 200])} MP, f/1.8, 1/1.3-inch sensor\n",
    lambda r: (
        "Camera system: the main camera pairs a large sensor with a new image pipeline that merges "
        "up to 9 frames per shot; night mode keeps exposures under 3 seconds in most scenes.\n"
    ),
    lambda r: (
        f"Reviewer note {r.randint(1, 40)}: the battery lasted about {r.randint(1, 3)} days of mixed use, "
        "and the speakers are louder than last year's model, though the phone runs warm while gaming.\n"
    ),
    lambda r: (
        "Design: brushed aluminium frame, matte glass back, and a new colour called Glacier that "
        "reviewers described as pale blue under daylight and grey indoors.\n"
    ),
]


def spec_en(rng: random.Random) -> str:
    """An English product spec sheet: many 'key: value' lines with numbers, and reviewer notes."""
    return _fill(rng, _EN_SPEC, f"Product: Aurora X{rng.randint(2, 9)} smartphone\nLaunch: 12 September\n")


_ZH_SPEC = [
    lambda r: f"屏幕：6.7英寸OLED，分辨率{r.choice([2796, 2400, 3120])}×1290，刷新率120Hz\n",
    lambda r: f"电池：{r.choice([4500, 5000, 5500])}mAh\n",
    lambda r: f"充电：{r.choice([45, 65, 100])}W有线，15W无线\n",
    lambda r: f"重量：{r.uniform(180, 240):.1f}克\n",
    lambda r: f"尺寸：{r.uniform(150, 165):.1f}×74.1×8.3毫米\n",
    lambda r: f"价格：{r.choice([3999, 4999, 5999, 6999])}元\n",
    lambda r: "保修：24个月\n",
    lambda r: "防水等级：IP68，1.5米水深30分钟\n",
    lambda r: f"存储：{r.choice([128, 256, 512])}GB\n",
    lambda r: (
        "影像系统：主摄采用大底传感器，配合新的影像管线，每次拍摄最多合成9帧，夜景模式在多数场景下曝光不超过3秒。\n"
    ),
    lambda r: (
        f"用户反馈{r.randint(1, 40)}：日常混合使用续航约{r.randint(1, 3)}天，扬声器比上一代更响，但玩游戏时机身偏热。\n"
    ),
    lambda r: "外观：磨砂铝合金中框，雾面玻璃后盖，新配色“冰川”在日光下偏淡蓝，在室内偏灰。\n",
]


def spec_zh(rng: random.Random) -> str:
    """A Chinese product spec sheet: 'key：value' lines with numbers and user feedback lines."""
    return _fill(rng, _ZH_SPEC, f"产品名称：极光X{rng.randint(2, 9)}智能手机\n发布时间：9月12日\n")


_EN_NOTES = [
    lambda r: f"- Budget: spent ${r.uniform(10000, 90000):,.2f} of $120,000 ({_pct(r)})\n",
    lambda r: "- Priya will circulate the 2,500-word draft policy by Thursday\n",
    lambda r: f"- The vendor's proposal runs to {r.randint(20, 60)} pages; legal review pending\n",
    lambda r: f"- Survey: {r.randint(300, 3000):,} responses, NPS {r.uniform(10, 60):.1f}\n",
    lambda r: (
        "- Discussion: the team agreed that the onboarding flow is still too long; Marco suggested cutting "
        "the second verification step, Ana worried about fraud and asked for data before any change\n"
    ),
    lambda r: (
        f"- Release 4.{r.randint(1, 9)} slipped by {r.randint(2, 10)} days because the payment provider "
        "changed its API without notice\n"
    ),
    lambda r: "- Action: Ana to write a 300-word FAQ entry on the new refund rules\n",
    lambda r: (
        f"- Hiring: {r.randint(2, 6)} offers out, {r.randint(1, 3)} accepted; one senior role still open\n"
    ),
    lambda r: (
        "- Risk: the data migration window overlaps the quarter-end freeze; ops asked for a written plan\n"
    ),
    lambda r: (
        "- Customer escalations were down this week, mostly thanks to the new status page; support still "
        "sees confusion about invoices in foreign currencies\n"
    ),
]


def notes_en(rng: random.Random, last_line: bool = False) -> str:
    """English meeting notes: bullets with budgets, counts and a 'N-word draft' someone else writes."""
    head = (
        f"Project Falcon weekly sync, {rng.randint(1, 28)} March\nAttendees: Priya, Marco, Ana, Lee, Sam\n"
        "Agenda: status, budget, risks, hiring\n\n"
    )
    text = _fill(rng, _EN_NOTES, head).rstrip("\n")
    if last_line:
        text += "\n- Next meeting: 14 May, 10:00"
    return text


_ZH_NOTES = [
    lambda r: f"- 预算：已使用{r.uniform(10000, 90000):,.2f}元，占总额120,000元的{_pct(r)}\n",
    lambda r: "- 王芳负责在周四前提交3000字的政策草案\n",
    lambda r: f"- 供应商方案共{r.randint(20, 60)}页，法务正在审核\n",
    lambda r: f"- 问卷：回收{r.randint(300, 3000):,}份，净推荐值{r.uniform(10, 60):.1f}\n",
    lambda r: (
        "- 讨论：大家认为新用户注册流程仍然过长；李明建议去掉第二次验证，张丽担心欺诈风险，要求先看数据再做改动\n"
    ),
    lambda r: f"- 4.{r.randint(1, 9)}版本推迟{r.randint(2, 10)}天发布，原因是支付服务商未经通知修改了接口\n",
    lambda r: "- 行动项：张丽撰写一篇500字的退款新规说明\n",
    lambda r: f"- 招聘：已发出{r.randint(2, 6)}个录用通知，{r.randint(1, 3)}人接受，一个高级岗位仍空缺\n",
    lambda r: "- 风险：数据迁移窗口与季末封版重叠，运维要求提供书面方案\n",
    lambda r: "- 本周客户投诉减少，主要得益于新的状态页面；客服仍反映用户对外币发票存在困惑\n",
]


def notes_zh(rng: random.Random, last_line: bool = False) -> str:
    """Chinese meeting notes (会议记录): budgets, counts, someone else's '3000字的草案'."""
    head = (
        f"项目周例会记录\n时间：3月{rng.randint(1, 28)}日 14:00\n参会人：王芳、李明、张丽、赵强\n"
        "议程：进展、预算、风险、招聘\n\n"
    )
    text = _fill(rng, _ZH_NOTES, head).rstrip("\n")
    if last_line:
        text += "\n- 下次会议：5月14日 10:00"
    return text


_EN_ESSAY = [
    "The town library kept its oral histories in a cupboard that nobody had opened since the flood.",
    "When the volunteers finally sorted them, they found letters, ledgers and cassette tapes.",
    "Most of the tapes were interviews with farmers who had watched the river change course twice.",
    "Historians often say that local memory is fragile, but here it had simply been waiting.",
    "Transcribing a single interview took a volunteer the better part of a week.",
    "The questions were plain: what did you grow, who did you sell to, what did the water take.",
    "The answers were not plain at all, and they contradicted each other in useful ways.",
    "One woman remembered the year the bridge closed as a year of weddings, not of hardship.",
    "Her neighbour remembered the same year as the one his father sold the last cow.",
    "Archives like this one raise the question of who gets to write a town's history.",
    "A museum exhibit would need to choose, and every choice would leave someone out.",
    "The project's funding ran out before the cataloguing was finished, as these projects do.",
]
_EN_TRAPS = [
    "By the end the archive held several¶thousand words of letters that nobody had read aloud.",
    "Each interview summary was meant to be a few¶hundred words, though most ran longer.",
    "The county report on the flood, all 5,000¶words of it, never mentions the farmers by name.",
    "Altogether the volunteers typed tens of¶thousands of words in a single winter.",
]


def _wrap(paragraph: str, width: int) -> str:
    """Hard-wrap a paragraph at ``width`` characters; a '¶' forces a line break exactly there."""
    out = []
    for piece in paragraph.split("¶"):
        line, lines = "", []
        for word in piece.split(" "):
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
        out.append("\n".join(lines))
    return "\n".join(out)


def article_en(rng: random.Random, traps: bool = True) -> str:
    """A pasted English essay, hard-wrapped at 72 columns; with ``traps``, phrases like
    'several\\nthousand words' broken across lines."""
    goal = rng.randint(*TARGET_CHARS)
    paras, total = [], 0
    trap_pool = list(_EN_TRAPS) if traps else []
    rng.shuffle(trap_pool)
    while total < goal:
        sents = [rng.choice(_EN_ESSAY) for _ in range(rng.randint(4, 7))]
        if trap_pool and rng.random() < 0.6:
            sents.insert(rng.randint(0, len(sents)), trap_pool.pop())
        para = _wrap(" ".join(sents), 72)
        paras.append(para)
        total += len(para) + 2
    return "What the River Kept\n\n" + "\n\n".join(paras).replace("¶", "")


_ZH_ESSAY = [
    "镇图书馆把口述史资料放在一个自洪水之后就没人打开过的柜子里。",
    "志愿者们终于整理它们时，发现了信件、账本和一盒盒磁带。",
    "大部分磁带是对农民的采访，他们亲眼看着河道两次改道。",
    "历史学者常说地方记忆是脆弱的，但在这里，它只是在等待。",
    "整理一段采访录音，往往要花掉一名志愿者大半周的时间。",
    "问题都很朴素：种什么，卖给谁，洪水带走了什么。",
    "回答却一点也不朴素，而且彼此矛盾，矛盾得很有价值。",
    "一位老人把大桥封闭的那一年记成了办喜事最多的一年。",
    "她的邻居却记得，那一年父亲卖掉了家里最后一头牛。",
    "这样的档案提出了一个问题：谁有资格书写一个小镇的历史。",
    "如果办一个展览，就必须做出取舍，而每一次取舍都会漏掉一些人。",
    "项目经费在编目完成之前就用完了，这类项目大多如此。",
]
_ZH_TRAPS = [
    "老支书说，这些故事前后能整理出几¶万字的材料。",
    "每段采访的摘要本来只想写数¶千字，结果大多写长了。",
    "县里那份洪水调查报告足有上¶万字，却一次也没有提到这些农民的名字。",
    "那个冬天，志愿者们一共录入了十几¶万字的文字稿。",
    "县志里关于这次洪水的记载不过3000¶字，语气平淡。",
]


def _wrap_zh(paragraph: str, width: int) -> str:
    """Hard-wrap Chinese text every ``width`` characters; '¶' forces a break there."""
    out = []
    for piece in paragraph.split("¶"):
        out.append("\n".join(piece[i : i + width] for i in range(0, len(piece), width)))
    return "\n".join(out)


def article_zh(rng: random.Random, traps: bool = True) -> str:
    """A pasted Chinese essay hard-wrapped at 36 characters; with ``traps``, 几\\n万字-like phrases
    broken across lines."""
    goal = rng.randint(*TARGET_CHARS)
    paras, total = [], 0
    trap_pool = list(_ZH_TRAPS) if traps else []
    rng.shuffle(trap_pool)
    while total < goal:
        sents = [rng.choice(_ZH_ESSAY) for _ in range(rng.randint(5, 9))]
        if trap_pool and rng.random() < 0.7:
            sents.insert(rng.randint(0, len(sents)), trap_pool.pop())
        para = _wrap_zh("".join(sents), 36)
        paras.append(para)
        total += len(para) + 2
    return "河流记得什么\n\n" + "\n\n".join(paras)


_CODE_EN = '''import json
import logging

log = logging.getLogger(__name__)

MAX_TOKENS = 4096
SUMMARY_WORDS = 250  # keep summaries to 250 words
RETRY_LIMIT = 5


def load_config(path):
    """Read the job config; fall back to defaults for missing keys."""
    with open(path, encoding="utf-8") as f:
        cfg = json.load(f)
    cfg.setdefault("max_tokens", MAX_TOKENS)
    cfg.setdefault("summary_words", SUMMARY_WORDS)
    return cfg


def summarize(text, limit=SUMMARY_WORDS):
    # truncate to 200 words before sending, the API rejects longer inputs
    words = text.split()[:200]
    for attempt in range(RETRY_LIMIT):
        try:
            return call_model(" ".join(words), max_words=limit)
        except TimeoutError:
            log.warning("attempt %d timed out after 30 seconds", attempt)
    raise RuntimeError("model unavailable")
'''
_CODE_ZH = _CODE_EN.replace("# keep summaries to 250 words", "# 摘要限制在250字以内").replace(
    "# truncate to 200 words before sending, the API rejects longer inputs",
    "# 发送前截断到200词，接口拒收更长的输入",
)
_JSON = """{
  "job": "weekly-digest",
  "max_tokens": 4096,
  "summary_words": 250,
  "schedule": "0 6 * * 1",
  "retry": {"limit": 5, "backoff_seconds": 30, "jitter": 0.25},
  "sources": [
    {"name": "support-tickets", "window_days": 7, "min_count": 20},
    {"name": "sales-pipeline", "window_days": 7, "currency": "USD", "threshold": 15000.5},
    {"name": "release-notes", "window_days": 14, "max_items": 40}
  ],
  "output": {"format": "markdown", "title_max_chars": 80, "length_words": 1200}
}"""


def code_block(rng: random.Random, zh: bool, fenced: bool) -> str:
    """Python code and a JSON config (fenced or pasted bare), repeated with small variations to
    request length."""
    code = _CODE_ZH if zh else _CODE_EN
    parts, total, goal = [], 0, rng.randint(*TARGET_CHARS)
    i = 0
    while total < goal:
        piece = (code if i % 2 == 0 else _JSON).replace(
            "RETRY_LIMIT = 5", f"RETRY_LIMIT = {rng.randint(3, 9)}"
        )
        piece = f"```{'python' if i % 2 == 0 else 'json'}\n{piece}\n```" if fenced else piece
        parts.append(piece)
        total += len(piece) + 2
        i += 1
    return "\n\n".join(parts)


# ---------------------------------------------------------------------------------------------
# The rows: (id, split, pattern, style, build(rng) -> prompt, expected (lower, upper, unit) | None)
# ---------------------------------------------------------------------------------------------

W, C = "words", "chars"
D, H = "design", "held-out"

ROWS = [
    # --- English: numbers in pasted financial prose -------------------------------------------
    ("en-01", D, "prose-numbers", "financial-report",
     lambda r: fin_en(r) + "\n\nWrite an investor newsletter based on the results above, about 1,500 words.",
     (1350, 1650, W)),
    ("en-02", H, "prose-numbers", "financial-report",
     lambda r: "Here is our Q4 earnings release:\n" + fin_en(r)
     + "\n\nPlease turn this into a 2,000-word feature article for our staff magazine.", (1800, 2200, W)),
    ("en-03", D, "prose-numbers", "financial-report",
     lambda r: fin_en(r) + "\n\nSummarize the results for the board in no more than 800 words.", (720, 800, W)),
    ("en-04", D, "prose-numbers", "financial-report",
     lambda r: fin_en(r) + "\n\nDraft the CFO's letter to shareholders, at least 1,200 words.", (1200, 1320, W)),
    ("en-05", H, "prose-numbers", "financial-report",
     lambda r: fin_en(r) + "\nWrite an analysis of the margin trend for our investment committee.", None),
    ("en-06", D, "prose-numbers", "financial-report",
     lambda r: "I am preparing for an analyst call.\n\n" + fin_en(r)
     + "\n\nWrite the opening remarks, between 600 and 900 words.", (600, 900, W)),
    ("en-07", H, "prose-numbers", "financial-report",
     lambda r: fin_en(r) + "\n\nWrite a 3,000-word equity research note covering revenue, margins and cash flow.",
     (2700, 3300, W)),
    ("en-08", D, "prose-numbers", "financial-report",
     lambda r: fin_en(r) + "\n\nExplain these numbers to a non-specialist reader in roughly 1000 words.",
     (900, 1100, W)),
    # --- English: instruction glued to the last data line --------------------------------------
    ("en-09", D, "glued", "financial-table",
     lambda r: fin_en(r, glued_tail=True) + " Please write a 1,000-word summary of this data.", (900, 1100, W)),
    ("en-10", D, "glued", "spec-sheet",
     lambda r: spec_en(r).rstrip("\n") + " Write a product description of at most 400 words.", (360, 400, W)),
    ("en-11", H, "glued", "csv-data",
     lambda r: csv_block(r, zh=False) + "Based on the data, write a 2,500-word report.", (2250, 2750, W)),
    ("en-12", D, "glued", "meeting-notes",
     lambda r: notes_en(r, last_line=True) + " Now write the minutes as a formal memo of around 700 words.",
     (630, 770, W)),
    ("en-13", H, "glued", "financial-table",
     lambda r: fin_en(r, glued_tail=True) + " Write a summary for the sales team.", None),
    ("en-14", D, "glued", "csv-data",
     lambda r: csv_block(r, zh=False) + " Write at least 1,800 words analysing the trend.", (1800, 1980, W)),
    # --- English: the length in a spec line among 'key: value' lines --------------------------
    ("en-15", D, "spec-line", "spec-sheet",
     lambda r: spec_en(r) + "\nRequirements:\nAudience: first-time buyers\nTone: warm, plain\n"
     "Format: blog post with subheadings\nWord count requirement: 500-800 words", (500, 800, W)),
    ("en-16", H, "spec-line", "spec-sheet",
     lambda r: spec_en(r) + "\nBrief:\nChannel: company blog\nTarget length: 1,200 words\nDeadline: Friday",
     (1080, 1320, W)),
    ("en-17", D, "spec-line", "spec-sheet",
     lambda r: spec_en(r) + "\nOutput spec:\nType: landing page copy\nMaximum length: 350 words\n"
     "CTA: Pre-order now", (315, 350, W)),
    ("en-18", D, "spec-line", "spec-sheet",
     lambda r: spec_en(r) + "\nAssignment: launch article\nWord count: 900-1,100\nVoice: confident", (900, 1100, W)),
    ("en-19", H, "spec-line", "spec-sheet",
     lambda r: spec_en(r) + "\nAssignment:\nPiece: hands-on review\nMinimum word count: 1,500\nStyle: candid",
     (1500, 1650, W)),
    ("en-20", D, "spec-line", "spec-sheet", lambda r: spec_en(r) + "\nWrite a product review.", None),
    # --- English: phrases hard-wrapped across lines in pasted text -----------------------------
    ("en-21", D, "hard-wrap", "article",
     lambda r: article_en(r) + "\n\nWrite a response essay to the article above.", None),
    ("en-22", D, "hard-wrap", "article", lambda r: article_en(r) + "\n\nWrite a 1,000-word rebuttal.", (900, 1100, W)),
    ("en-23", H, "hard-wrap", "article",
     lambda r: "Below is an essay I found online.\n\n" + article_en(r)
     + "\n\nCondense it to a summary of no more than 300 words.", (270, 300, W)),
    ("en-24", H, "hard-wrap", "article", lambda r: article_en(r) + "\n\nWrite a review of it for our newsletter.", None),
    ("en-25", D, "hard-wrap", "article",
     lambda r: article_en(r) + "\n\nRewrite this for a teenage audience, around 800 words.", (720, 880, W)),
    # --- English: counts with the wrong noun -----------------------------------------------------
    ("en-26", D, "classifier", "spec-sheet",
     lambda r: spec_en(r) + "\nWrite 4 social posts for launch week. Each post should be around 150 words and "
     "come with 2-3 image suggestions.", (540, 660, W)),
    ("en-27", H, "classifier", "spec-sheet",
     lambda r: spec_en(r) + "\nCreate 3 newsletter sections of roughly 400 words each, and include 5 bullet "
     "points in each.", (1080, 1320, W)),
    ("en-28", D, "classifier", "spec-sheet",
     lambda r: spec_en(r) + "\nWrite 6 product descriptions, 100 words each, each with 3 hashtags.", (540, 660, W)),
    ("en-29", H, "classifier", "meeting-notes",
     lambda r: notes_en(r) + "\n\nWrite five customer emails of up to 200 words each; attach 2 screenshots to "
     "each.", (900, 1000, W)),
    # --- English: a limit on one section of a bullet list ---------------------------------------
    ("en-30", D, "section-limit", "meeting-notes",
     lambda r: notes_en(r) + "\n\nWrite a project report with these sections:\n- Background\n"
     "- Method of the pilot, step by step (at least 2,000 words)\n- Results\n- Next steps", None),
    ("en-31", D, "section-limit", "meeting-notes",
     lambda r: notes_en(r) + "\n\nWrite a project report with these sections:\n- Background\n"
     "- Method of the pilot, step by step (at least 2,000 words)\n- Results\n- Next steps\n"
     "The whole report should be about 5,000 words.", (4500, 5500, W)),
    ("en-32", H, "section-limit", "financial-report",
     lambda r: fin_en(r) + "\n\nPrepare a board paper with:\n1. Executive summary (max 250 words)\n"
     "2. Market analysis\n3. Recommendations", None),
    ("en-33", D, "section-limit", "financial-report",
     lambda r: fin_en(r) + "\n\nStructure:\n- Introduction: 300 words\n- Findings: 1,200 words\n"
     "- Conclusion: 300 words\nTotal: 1,800 words.", (1620, 1980, W)),
    ("en-34", H, "section-limit", "meeting-notes",
     lambda r: notes_en(r) + "\n\nWrite it up as a case study:\n- Case description (no more than 800 words)\n"
     "- Analysis\n- Lessons learned", None),
    # --- English: about N --------------------------------------------------------------------------
    ("en-35", D, "about", "article",
     lambda r: article_en(r, traps=False) + "\n\nWrite a reply to the author. Aim for around 1,000 words.",
     (900, 1100, W)),
    ("en-36", H, "about", "financial-report",
     lambda r: fin_en(r) + "\n\nTarget length is approximately 2,500 words. Write a sector outlook.",
     (2250, 2750, W)),
    ("en-37", D, "about", "meeting-notes",
     lambda r: notes_en(r) + "\n\nKeep the write-up to roughly 750 words, no need to be exact.", (675, 825, W)),
    ("en-38", H, "about", "spec-sheet",
     lambda r: spec_en(r) + "\nThe article should be around 1,200 words.", (1080, 1320, W)),
    # --- English: code and JSON -------------------------------------------------------------------
    ("en-39", D, "code-json", "code",
     lambda r: "Write a technical blog post of about 1,800 words explaining this code and config:\n\n"
     + code_block(r, zh=False, fenced=True) + "\n\nAlso explain the retry policy.", (1620, 1980, W)),
    ("en-40", H, "code-json", "code",
     lambda r: code_block(r, zh=False, fenced=False) + "\n\nDocument this module for new engineers.", None),
    ("en-41", D, "code-json", "code",
     lambda r: code_block(r, zh=False, fenced=False) + "\n\nWrite release notes of no more than 500 words for "
     "this change.", (450, 500, W)),
    ("en-42", H, "code-json", "code",
     lambda r: code_block(r, zh=False, fenced=True) + "\n\nWrite a tutorial, between 1,500 and 2,000 words, that "
     "walks through this code.", (1500, 2000, W)),
    # --- English: meeting notes ------------------------------------------------------------------
    ("en-43", D, "meeting-notes", "meeting-notes",
     lambda r: notes_en(r) + "\n\nWrite the minutes from these notes.", None),
    ("en-44", H, "meeting-notes", "meeting-notes",
     lambda r: notes_en(r) + "\n\nTurn these notes into a 600-word update email to the whole team.",
     (540, 660, W)),
    ("en-45", D, "meeting-notes", "meeting-notes",
     lambda r: "Meeting notes:\n" + notes_en(r) + "\n\nWrite a summary under 400 words.", (360, 400, W)),
    ("en-46", H, "meeting-notes", "meeting-notes",
     lambda r: "Please write a status report (about 1,000 words). Notes from the standup follow.\n\n"
     + notes_en(r) + "\n\nThanks!", (900, 1100, W)),
    # --- English: per-part with a count, and others ----------------------------------------------
    ("en-47", D, "per-part", "financial-report",
     lambda r: fin_en(r) + "\n\nWrite three separate briefings (for sales, engineering and finance), each about "
     "500 words.", (1350, 1650, W)),
    ("en-48", H, "no-length", "article", lambda r: article_en(r) + "\n\nWrite 10 discussion questions.", None),
    ("en-49", D, "no-length", "financial-report",
     lambda r: fin_en(r) + "\n\nWhat does this mean for our dividend policy? Write a memo.", None),
    ("en-50", H, "no-length", "spec-sheet",
     lambda r: spec_en(r) + "\nWrite a comparison with last year's model.", None),
    ("en-51", D, "element-limit", "article",
     lambda r: article_en(r) + "\n\nWrite a 1,200-word essay responding to the article, and a title of at most "
     "12 words.", (1080, 1320, W)),
    ("en-52", H, "range", "meeting-notes",
     lambda r: notes_en(r) + "\n\nWrite a 2,000 to 2,500 word report on the project status.", (2000, 2500, W)),
    # --- Chinese: numbers in pasted financial prose -------------------------------------------
    ("zh-01", D, "prose-numbers", "financial-report",
     lambda r: fin_zh(r) + "\n\n请根据以上财报写一篇3000字的投资者通讯。", (2700, 3300, C)),
    ("zh-02", H, "prose-numbers", "financial-report",
     lambda r: "以下是公司年报摘要：\n" + fin_zh(r) + "\n\n请据此撰写一篇不少于2000字的分析报告。", (2000, 2200, C)),
    ("zh-03", D, "prose-numbers", "financial-report",
     lambda r: fin_zh(r) + "\n\n请写一篇财务分析，字数在1500到2000字之间。", (1500, 2000, C)),
    ("zh-04", D, "prose-numbers", "financial-report",
     lambda r: fin_zh(r) + "\n\n请用通俗的语言向普通读者解释这些数据，1000字左右。", (900, 1100, C)),
    ("zh-05", H, "prose-numbers", "financial-report",
     lambda r: fin_zh(r) + "\n\n请写一份给董事会的简报，不超过800字。", (720, 800, C)),
    ("zh-06", D, "prose-numbers", "financial-report", lambda r: fin_zh(r) + "\n\n请分析毛利率变化的原因。", None),
    ("zh-07", D, "prose-numbers", "financial-report",
     lambda r: "请帮我写一篇约5000字的行业研究报告，数据如下：\n" + fin_zh(r), (4500, 5500, C)),
    ("zh-08", H, "prose-numbers", "financial-report",
     lambda r: fin_zh(r) + "\n\n根据上面的数据，写一篇2500字左右的新闻稿。", (2250, 2750, C)),
    # --- Chinese: glued instructions ------------------------------------------------------------
    ("zh-09", D, "glued", "financial-table",
     lambda r: fin_zh(r, glued_tail=True) + " 请根据上表写一篇1200字左右的市场分析。", (1080, 1320, C)),
    ("zh-10", D, "glued", "spec-sheet",
     lambda r: spec_zh(r).rstrip("\n") + "请写一篇不超过500字的产品介绍。", (450, 500, C)),
    ("zh-11", H, "glued", "meeting-notes",
     lambda r: notes_zh(r, last_line=True) + " 请把以上内容整理成800字的会议纪要。", (720, 880, C)),
    ("zh-12", D, "glued", "csv-data",
     lambda r: csv_block(r, zh=True) + "请据此写一篇至少3000字的报告", (3000, 3300, C)),
    ("zh-13", H, "glued", "financial-table", lambda r: fin_zh(r, glued_tail=True) + "请写一篇分析。", None),
    ("zh-14", D, "glued", "financial-table",
     lambda r: fin_zh(r, glued_tail=True) + "以上数据请写成两三千字的分析文章。", (2000, 3000, C)),
    # --- Chinese: the length in a spec line -----------------------------------------------------
    ("zh-15", D, "spec-line", "spec-sheet",
     lambda r: spec_zh(r) + "写作要求：\n受众：首次购机用户\n语气：亲切\n字数要求：800-1000字\n格式：公众号文章",
     (800, 1000, C)),
    ("zh-16", H, "spec-line", "spec-sheet",
     lambda r: spec_zh(r) + "文章类型：测评\n篇幅：约1500字\n发布平台：知乎", (1350, 1650, C)),
    ("zh-17", D, "spec-line", "spec-sheet",
     lambda r: spec_zh(r) + "稿件类型：深度评测\n字数：不少于2000字\n截稿：周五", (2000, 2200, C)),
    ("zh-18", H, "spec-line", "spec-sheet",
     lambda r: spec_zh(r) + "文案类型：电商详情页\n字数限制：600字以内\n风格：简洁", (540, 600, C)),
    ("zh-19", D, "spec-line", "spec-sheet",
     lambda r: spec_zh(r) + "输出要求：\n形式：产品详情页文案\n字数要求：控制在500字左右", (450, 550, C)),
    ("zh-20", D, "spec-line", "spec-sheet", lambda r: spec_zh(r) + "请写一篇产品测评。", None),
    # --- Chinese: hard-wrapped pasted text --------------------------------------------------------
    ("zh-21", D, "hard-wrap", "article", lambda r: article_zh(r) + "\n\n请为上文写一篇读后感。", None),
    ("zh-22", D, "hard-wrap", "article",
     lambda r: article_zh(r) + "\n\n请写一篇1500字的评论文章回应上文。", (1350, 1650, C)),
    ("zh-23", H, "hard-wrap", "article",
     lambda r: "下面是一篇文章：\n" + article_zh(r) + "\n\n请把它缩写到500字以内。", (450, 500, C)),
    ("zh-24", H, "hard-wrap", "article",
     lambda r: article_zh(r) + "\n\n请以这篇文章为素材，写一篇面向中学生的科普文章。", None),
    ("zh-25", D, "hard-wrap", "article", lambda r: article_zh(r) + "\n\n请写一篇800字左右的书评。", (720, 880, C)),
    # --- Chinese: counts with the wrong classifier ------------------------------------------------
    ("zh-26", D, "classifier", "spec-sheet",
     lambda r: spec_zh(r) + "请为新品写4篇小红书帖文，每篇500字左右，每篇配2-3张配图并写出配图说明。", (1800, 2200, C)),
    ("zh-27", H, "classifier", "spec-sheet",
     lambda r: spec_zh(r) + "写3篇公众号推文，每篇不少于1000字，每篇附5张图片。", (3000, 3300, C)),
    ("zh-28", D, "classifier", "spec-sheet",
     lambda r: spec_zh(r) + "请写5条朋友圈文案，每条100字左右，配图2-3张。", (450, 550, C)),
    ("zh-29", H, "classifier", "spec-sheet",
     lambda r: spec_zh(r) + "帮我写6段短视频脚本，每段300字以内，每段需要3个镜头。", (1620, 1800, C)),
    ("zh-30", D, "classifier", "article",
     lambda r: article_zh(r, traps=False) + "\n\n请写3篇文章，每篇约800字，每篇列出2-3个参考来源。", (2160, 2640, C)),
    # --- Chinese: a limit on one section of a bullet list -----------------------------------------
    ("zh-31", D, "section-limit", "meeting-notes",
     lambda r: notes_zh(r) + "\n\n请写一份实验报告，包括以下部分：\n1. 研究背景\n2. 分组实验的具体步骤说明（至少2000字）\n"
     "3. 数据分析\n4. 结论与建议", None),
    ("zh-32", H, "section-limit", "meeting-notes",
     lambda r: notes_zh(r) + "\n\n请写一份实验报告，包括以下部分：\n1. 研究背景\n2. 分组实验的具体步骤说明（至少2000字）\n"
     "3. 数据分析\n4. 结论与建议\n全文不少于6000字。", (6000, 6600, C)),
    ("zh-33", D, "section-limit", "meeting-notes",
     lambda r: notes_zh(r) + "\n\n方案结构：\n- 项目概述（500字左右）\n- 实施计划（1500字左右）\n- 预算说明（500字左右）\n"
     "全文共计约2500字。", (2250, 2750, C)),
    ("zh-34", D, "section-limit", "financial-report",
     lambda r: fin_zh(r) + "\n\n请撰写调研报告，包括：\n一、调研背景\n二、问卷设计与发放过程（不超过1000字）\n三、结果分析\n"
     "四、对策建议", None),
    ("zh-35", H, "section-limit", "article",
     lambda r: article_zh(r, traps=False) + "\n\n请据此写一篇论文，结构如下：\n- 摘要（300字以内）\n- 正文\n- 参考文献", None),
    # --- Chinese: 控制在N字左右 and friends --------------------------------------------------------
    ("zh-36", D, "about", "financial-report",
     lambda r: fin_zh(r) + "\n\n请写一篇总结，字数控制在3000字左右。", (2700, 3300, C)),
    ("zh-37", H, "about", "meeting-notes",
     lambda r: notes_zh(r) + "\n\n请写一篇项目复盘，全文控制在1500字左右。", (1350, 1650, C)),
    ("zh-38", D, "about", "article",
     lambda r: article_zh(r, traps=False) + "\n\n请写一篇读后感，篇幅控制在两千字左右。", (1800, 2200, C)),
    ("zh-39", H, "about", "spec-sheet",
     lambda r: spec_zh(r) + "请写一篇产品介绍，控制在800字以内。", (720, 800, C)),
    ("zh-40", D, "about", "spec-sheet",
     lambda r: spec_zh(r) + "请写一篇测评，字数大约控制在1200字上下。", (1080, 1320, C)),
    # --- Chinese: code and JSON -------------------------------------------------------------------
    ("zh-41", D, "code-json", "code",
     lambda r: "请写一篇约2000字的技术博客，讲解下面的代码和配置：\n\n" + code_block(r, zh=True, fenced=True), (1800, 2200, C)),
    ("zh-42", H, "code-json", "code",
     lambda r: code_block(r, zh=True, fenced=False) + "\n\n请为这段代码写一份使用说明。", None),
    ("zh-43", D, "code-json", "code",
     lambda r: code_block(r, zh=True, fenced=False) + "\n\n请写一篇不超过600字的更新说明。", (540, 600, C)),
    # --- Chinese: meeting notes -------------------------------------------------------------------
    ("zh-44", H, "meeting-notes", "meeting-notes",
     lambda r: "会议纪要：\n" + notes_zh(r) + "\n\n请根据纪要写一封通知邮件。", None),
    ("zh-45", D, "meeting-notes", "meeting-notes",
     lambda r: notes_zh(r) + "\n\n请把以上纪要整理成一篇1000字左右的新闻稿。", (900, 1100, C)),
    ("zh-46", H, "meeting-notes", "meeting-notes",
     lambda r: "请写一份工作周报（约1200字），以下是本周例会记录：\n" + notes_zh(r), (1080, 1320, C)),
    # --- Chinese: per-part with a count, and others ----------------------------------------------
    ("zh-47", D, "per-part", "financial-report",
     lambda r: fin_zh(r) + "\n\n请为销售、研发和财务三个部门各写一份简报，每份约600字。", (1620, 1980, C)),
    ("zh-48", H, "no-length", "article", lambda r: article_zh(r) + "\n\n请出10道阅读理解题。", None),
    ("zh-49", D, "plain-after", "financial-report",
     lambda r: fin_zh(r) + "\n\n请以董事长的名义写一封致全体员工的内部信，篇幅一万字。", (9000, 11000, C)),
    ("zh-50", H, "element-limit", "spec-sheet",
     lambda r: spec_zh(r) + "请写一篇1000-1200字的产品测评，标题不超过20字。", (1000, 1200, C)),
    ("zh-51", D, "zh-approx", "meeting-notes",
     lambda r: notes_zh(r) + "\n\n请写一篇上千字的总结。", (1000, 1100, C)),
    ("zh-52", H, "zh-approx", "article", lambda r: article_zh(r) + "\n\n请写一篇三千多字的评论。", (3000, 3300, C)),
    # --- added to the design split after the freeze: the length line among 'key: value' data lines
    ("en-53", D, "spec-line", "spec-sheet",
     lambda r: spec_en(r) + "Word count requirement: 500-800 words\n" + "\n".join(spec_en(r).split("\n")[2:9])
     + "\nWrite the launch blog post from this sheet.", (500, 800, W)),
    ("zh-53", D, "spec-line", "spec-sheet",
     lambda r: spec_zh(r) + "字数要求：800-1000字\n" + "\n".join(spec_zh(r).split("\n")[2:9])
     + "\n请根据以上参数写一篇公众号文章。", (800, 1000, C)),
    # --- added to the design split after the held-out rows were first scored (see RESULTS.md):
    # the classes of the held-out failures, written afresh
    ("en-54", D, "classifier", "meeting-notes",
     lambda r: notes_en(r) + "\n\nWrite 4 blog posts for the spring launch, of about 600 words each, and add 3 photos to each.",
     (2160, 2640, W)),
    ("zh-54", D, "classifier", "spec-sheet",
     lambda r: spec_zh(r) + "请为新品写几篇小红书笔记，每篇笔记500字左右，配2-3张配图。", None),
    ("en-55", D, "meeting-notes", "meeting-notes",
     lambda r: notes_en(r) + "\n- Action: Ana to write a 300-word FAQ entry on the new refund rules"
     "\n\nWrite a summary for the board.", None),
    ("en-56", D, "section-limit", "meeting-notes",
     lambda r: notes_en(r) + "\n\nWrite it up as an incident report:\n- Incident summary (no more than 500 words)\n"
     "- Timeline\n- Follow-ups", None),
    # --- added to the design split after the blind set (long_requests_blind.jsonl) was first scored:
    # its failure classes, written afresh on this script's material (the blind rows are not copied)
    ("en-57", D, "length-in-material", "article",
     lambda r: "Submission rules from the magazine: manuscripts must not exceed 8,000 words including notes.\n\n"
     + article_en(r, traps=False) + "\n\nCondense the article above for our newsletter in no more than 400 words.",
     (360, 400, W)),
    ("zh-55", D, "length-in-material", "financial-report",
     lambda r: fin_zh(r) + "\n根据监管要求，年度社会责任报告全文不得少于5000字。\n\n请为普通投资者写一份简要解读，不超过800字。",
     (720, 800, C)),
    ("en-58", D, "section-is-whole", "spec-sheet",
     lambda r: spec_en(r) + "The full application is capped at 6,000 words in total.\n\n"
     "Write only the executive summary (at most 300 words).", (270, 300, W)),
    ("zh-56", D, "section-is-whole", "meeting-notes",
     lambda r: notes_zh(r) + "\n申报书全文不超过一万字。\n\n请只写其中的摘要部分，300字以内。", (270, 300, C)),
    ("en-59", D, "section-limit", "meeting-notes",
     lambda r: notes_en(r) + "\n\nWrite the quarterly review with these parts: Overview (under 200 words), Wins, "
     "Risks, Next steps.", None),
    ("en-60", D, "statistic", "csv-data",
     lambda r: csv_block(r, zh=False) + "\n\nThe free-text comments in this survey average 42 words.\n\n"
     "Write an analysis of the feedback for the product team.", None),
    ("zh-57", D, "statistic", "spec-sheet",
     lambda r: spec_zh(r) + "（用户评论平均长度38字）\n\n请写一篇用户反馈分析。", None),
    ("en-61", D, "range", "financial-report",
     lambda r: fin_en(r) + "\n\nWrite a letter to shareholders. Length: 1,200 words minimum, 1,600 maximum.",
     (1200, 1600, W)),
    ("en-62", D, "range", "meeting-notes",
     lambda r: notes_en(r) + "\n\nTurn the notes into a project update - minimum 800 words, maximum 1,000 words.",
     (800, 1000, W)),
    ("zh-58", D, "section-sum", "financial-report",
     lambda r: fin_zh(r) + "\n\n请按以下结构写一份行业分析：背景（约500字）、现状（约800字）、问题（约700字）、建议（约1000字）。",
     (2700, 3300, C)),
    ("en-63", D, "length-adopted", "spec-sheet",
     lambda r: "Assignment brief (Marketing 210)\n- Reflective essay: 1,500 words (±10%)\n- Poster: A1, one page\n"
     "- Peer review: 2 pages\n\n" + spec_en(r) + "\nPlease write my reflective essay on this launch.", (1350, 1650, W)),
    ("zh-59", D, "length-adopted", "financial-report",
     lambda r: "课程作业要求：\n一、调研报告：4000字（±10%）\n二、课堂展示：10分钟\n\n" + fin_zh(r)
     + "\n\n请帮我写这份调研报告，数据用上面的年报。", (3600, 4400, C)),
    ("en-64", D, "length-adopted", "meeting-notes",
     lambda r: "Deliverables agreed:\n- Executive summary: 200 words\n- Risk register: one table\n\n" + notes_en(r)
     + "\n\nWrite the full project report from these notes.", None),
]  # fmt: skip


def build() -> list[dict]:
    """The labelled rows, each with its own seeded rng (a row's text does not depend on the others)."""
    out = []
    for i, (rid, split, pattern, style, make, expected) in enumerate(ROWS):
        rng = random.Random(f"long-requests-{rid}-{i}")
        prompt = make(rng)
        exp = (
            "none" if expected is None else {"lower": expected[0], "upper": expected[1], "unit": expected[2]}
        )
        out.append(
            {"id": rid, "split": split, "pattern": pattern, "style": style, "prompt": prompt, "expected": exp}
        )
    return out


def main() -> None:
    """Write long_requests.jsonl next to this script."""
    rows = build()
    with OUT.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main()

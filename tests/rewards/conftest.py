"""Hand-written texts for the reward tests, as the `writing` fixture, and the MiniLM warm-up."""

from types import SimpleNamespace

import pytest

EN_PARAGRAPHS = [
    "Rivers shaped the first cities. Farmers settled where floods left rich silt, and the yearly "
    "rhythm of water decided when they planted barley and when they harvested it.",
    "Trade followed the current. Boats carried grain downstream and brought back timber, copper and "
    "stone, so towns along the banks grew into markets that linked distant valleys.",
    "Water also demanded organisation. Canals and dikes needed planning, labour and records, which "
    "is one reason early states kept careful accounts written on clay tablets.",
    "Today the same rivers face dams, pollution and drought. Managing them well means balancing "
    "farms, cities and the wetlands that still depend on the old seasonal floods.",
]
EN_PLAN = (
    "1. How rivers helped the first farming settlements\n"
    "2. River trade linking towns and markets\n"
    "3. Canals, dikes and record keeping in early states\n"
    "4. Modern pressures on rivers: dams, pollution, drought"
)
EN_PROMPT = "Write a 100-word essay about how rivers shaped early civilisations."
ZH_PARAGRAPHS = [
    "黄河孕育了中华文明。先民在河岸边开垦土地，种植粟米，随着季节的变化安排农事，逐渐形成了村落。",
    "河流也是交通的要道。船只沿河运送粮食和木材，沿岸的集市因此兴起，不同地区的人们开始交流往来。",
    "治理水患需要组织与协作。修筑堤坝、开挖渠道都离不开统一的规划，这推动了早期国家的形成与发展。",
]
ZH_PLAN = "一、黄河与农业村落\n二、河流交通与集市\n三、治水与国家形成"
ZH_PROMPT = "写一篇120字左右的短文，介绍黄河与中华文明的关系。"


def response(plan: str, paragraphs: list[str]) -> str:
    """A well-formed plan-then-write response."""
    return f"<think>\n{plan}\n</think>\n<answer>\n" + "\n\n".join(paragraphs) + "\n</answer>"


@pytest.fixture(scope="session")
def writing():
    """English and Chinese plans, paragraphs and prompts, plus the `response` builder."""
    return SimpleNamespace(
        en_paragraphs=EN_PARAGRAPHS,
        en_plan=EN_PLAN,
        en_prompt=EN_PROMPT,
        zh_paragraphs=ZH_PARAGRAPHS,
        zh_plan=ZH_PLAN,
        zh_prompt=ZH_PROMPT,
        response=response,
    )

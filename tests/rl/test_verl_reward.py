"""rl.verl_reward called exactly the way verl 0.9.1 calls it: through verl's own RewardLoopWorker
and naive reward manager, on rows written by rl.prepare, with responses tokenised and decoded by the
tiny model's tokenizer."""

from __future__ import annotations

import asyncio
import json
import math

import numpy as np
import pyarrow.parquet as pq
import pytest
import torch

import rl.verl_reward as vr
from rl.advantage import compute_advantage
from rl.prepare import prepare_rl_data

REQUESTS = [
    {"id": "en-ok", "prompt": "Write a poem about a harbour.", "target": {"lower": 10, "upper": 40}},
    {
        "id": "en-broken",
        "prompt": "Write a poem about a harbour at night.",
        "target": {"lower": 20, "upper": 40},
    },
    {"id": "zh-ok", "prompt": "写一首关于港口的短诗。", "target": {"lower": 20, "upper": 60}},
    {"id": "en-nolen", "prompt": "Describe the smell of rain."},
]
HARBOUR = (
    "The harbour sleeps beneath a pale and patient moon.\n\n"
    "Boats lean together, ropes creak softly, gulls dream of bread."
)
RESPONSES = {
    "en-ok": f"<think>Two stanzas: the harbour, then the boats.</think><answer>{HARBOUR}</answer>",
    "en-broken": f"{HARBOUR} <answer> and then it trails off without ever closing",
    "zh-ok": "<think>两段：先写港口，再写船。</think><answer>港口在淡淡的月光下安睡，海浪轻轻拍打石岸。\n\n"
    "渔船彼此依偎，缆绳低声吱呀，海鸥梦见面包。</answer>",
    "en-nolen": "<think>One paragraph.</think><answer>Rain smells of warm stone and green things.</answer>",
}
CONFIG = {"rewards": {"length": 1.0, "quality": 1.0, "format": 1.0}}


def mean_of_available(info: dict) -> float:
    """The documented total under CONFIG (equal weights): the mean of the components that are
    not missing; 0 when none is."""
    values = [info[n] for n in CONFIG["rewards"] if not math.isnan(info[n])]
    return sum(values) / len(values) if values else 0.0


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    """Rows as the trainer reads them: prepared by rl.prepare, read back from parquet."""
    tmp = tmp_path_factory.mktemp("rows")
    path = tmp / "p.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in REQUESTS) + "\n", encoding="utf-8")
    data = prepare_rl_data(path, tmp / "out", val_fraction=0.0)
    table = pq.read_table(data.train).to_pylist()
    return {r["extra_info"]["id"]: r for r in table}


@pytest.fixture(scope="module")
def tokenizer(tiny_model):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tiny_model))


def verl_batch(rows, tokenizer, ids):
    """A DataProto shaped like the one verl's agent loop hands to the reward loop."""
    from tensordict import TensorDict
    from verl import DataProto

    prompts = [tokenizer.apply_chat_template(rows[i]["prompt"], add_generation_prompt=True) for i in ids]
    prompts = [p["input_ids"] if isinstance(p, dict) or hasattr(p, "keys") else p for p in prompts]
    responses = [
        tokenizer(RESPONSES[i], add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id] for i in ids
    ]
    P, R = max(map(len, prompts)), max(map(len, responses))
    prompt_t = torch.zeros(len(ids), P, dtype=torch.long)
    resp_t = torch.full((len(ids), R), tokenizer.pad_token_id, dtype=torch.long)
    mask = torch.zeros(len(ids), P + R, dtype=torch.long)
    for k, (p, r) in enumerate(zip(prompts, responses, strict=True)):
        prompt_t[k, P - len(p) :] = torch.tensor(p)
        resp_t[k, : len(r)] = torch.tensor(r)
        mask[k, P - len(p) : P + len(r)] = 1
    batch = TensorDict(
        {
            "prompts": prompt_t,
            "responses": resp_t,
            "attention_mask": mask,
            "input_ids": torch.cat([prompt_t, resp_t], 1),
        },
        batch_size=len(ids),
    )
    non_tensor = {
        key: np.array([rows[i][key] for i in ids], dtype=object)
        for key in ("data_source", "reward_model", "extra_info")
    }
    return DataProto(batch=batch, non_tensor_batch=non_tensor)


def reward_worker(tiny_model, reward_kwargs):
    """verl's own RewardLoopWorker, configured as our trainer presets configure it."""
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

    return RewardLoopWorker(reward_worker_config(tiny_model, reward_kwargs))


def reward_worker_config(tiny_model, reward_kwargs):
    """The part of verl's config a RewardLoopWorker reads, with our reward function."""
    from omegaconf import OmegaConf

    return OmegaConf.create(
        {
            "actor_rollout_ref": {"model": {"path": str(tiny_model), "tokenizer_path": None}},
            "reward": {
                "reward_model": {"enable": False},
                "reward_manager": {"source": "register", "name": "naive"},
                "custom_reward_function": {
                    "path": "pkg://rl.verl_reward",
                    "name": "compute_score",
                    "reward_kwargs": reward_kwargs,
                },
                "sandbox_fusion": None,
            },
        }
    )


def same(a, b, tol=1e-5):
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= tol


def test_scores_through_verls_reward_loop(rows, tokenizer, tiny_model):
    from verl.utils.ray_utils import get_event_loop

    ids = list(REQUESTS_IDS)
    worker = reward_worker(tiny_model, {"reward_config": CONFIG})
    loop = get_event_loop()
    outputs = loop.run_until_complete(worker.compute_score_batch(verl_batch(rows, tokenizer, ids)))
    # verl's naive manager ran once per sample, concurrently; we scored them as ONE batch
    assert vr._batchers[id(loop)].batches[-1] == len(ids)

    keys = vr.result_keys(CONFIG)
    by_id = {}
    for i, out in zip(ids, outputs, strict=True):
        info = out["reward_extra_info"]
        assert list(info) == keys  # the same keys for every sample: verl stacks them by the first
        assert out["reward_score"] == info["score"]
        assert info["score"] == pytest.approx(mean_of_available(info))
        by_id[i] = info
        # batching changes nothing: the same sample scored alone gives the same values
        alone = vr.compute_score_sync(
            rows[i]["data_source"],
            RESPONSES[i],
            rows[i]["reward_model"]["ground_truth"],
            rows[i]["extra_info"],
            reward_config=CONFIG,
        )
        assert all(same(info[k], alone[k]) for k in keys), (i, info, alone)

    ok, broken, zh, nolen = (by_id[i] for i in ids)
    assert ok["well_formed"] == 1.0 and zh["well_formed"] == 1.0 and broken["well_formed"] == 0.0
    assert ok["answer_len"] == 9 + 10 and ok["think_len"] == 7  # counted by hand
    assert ok["length"] == 1.0 and (ok["target_lower"], ok["target_upper"]) == (10.0, 40.0)
    assert zh["answer_len"] == 11 + 8 + 6 + 6 + 6  # Chinese: characters, counted by hand
    assert zh["length"] == 1.0
    assert broken["format"] < ok["format"] and broken["score"] < ok["score"]
    assert "missing_think" in broken["reasons"] or "think" in broken["reasons"]
    for info in (ok, broken, zh):
        assert all(info[f"{n}_missing"] == 0.0 for n in CONFIG["rewards"])
    # no stated length: rl.prepare gave the row the fallback range, far above this one-liner
    assert nolen["target_lower"] >= 100 and nolen["length"] < 0.2

    # what verl passes on reaches the advantage unchanged: NaN is read as missing
    scores = {n: torch.tensor([by_id[i][n] for i in ids], dtype=torch.float32) for n in CONFIG["rewards"]}
    adv = compute_advantage(scores, ["g"] * len(ids))
    assert torch.isfinite(adv).all() and adv[0] > adv[1]


REQUESTS_IDS = [r["id"] for r in REQUESTS]


def test_config_from_yaml_path_and_env(rows, tmp_path, monkeypatch):
    cfg = tmp_path / "reward.yaml"
    cfg.write_text("rewards:\n  length: 3\n  format: 1\n")
    row = rows["en-ok"]
    args = (row["data_source"], RESPONSES["en-ok"], row["reward_model"]["ground_truth"], row["extra_info"])
    by_kwarg = vr.compute_score_sync(*args, reward_config_path=str(cfg))
    assert list(by_kwarg) == vr.result_keys(str(cfg))
    assert "quality" not in by_kwarg and by_kwarg["score"] == pytest.approx(
        (3 * by_kwarg["length"] + by_kwarg["format"]) / 4
    )
    monkeypatch.setenv(vr.ENV_CONFIG, str(cfg))
    by_env = asyncio.run(vr.compute_score(*args))
    assert by_env == by_kwarg
    monkeypatch.setenv(vr.ENV_CONFIG, str(tmp_path / "missing.yaml"))
    with pytest.raises(FileNotFoundError):
        vr.compute_score_sync(*args)
    with pytest.raises(ValueError, match="unknown reward"):
        vr.compute_score_sync(*args, reward_config={"rewards": {"lenght": 1}})


ROW = {"id": "r1", "request": "Write a 15-word poem."}


@pytest.mark.parametrize(
    "solution, ground_truth, extra_info",
    [
        (None, None, ROW),
        ("", "", ROW),
        (b"\xff\xfe<think>", None, ROW),
        ("<answer>\ud800 lone surrogate</answer>", '{"lower": 5, "upper": 9}', ROW),
        (
            "</answer></think><answer><answer>" * 2000,
            json.dumps({"lower": 10, "upper": 20}),
            {**ROW, "language": "zh"},
        ),
        ("word " * 50_000, None, {"request": "Write 100 words."}),
    ],
)
def test_bad_model_output_never_raises(solution, ground_truth, extra_info):
    out = asyncio.run(
        vr.compute_score("longwriter_rl", solution, ground_truth, extra_info, reward_config=CONFIG)
    )
    assert list(out) == vr.result_keys(CONFIG)
    assert out["score"] == pytest.approx(mean_of_available(out))
    for key, value in out.items():
        assert isinstance(value, str) if key == "reasons" else isinstance(value, float), key
    assert out["length_missing"] == 0.0  # every row here has a target (given or stated)


@pytest.mark.parametrize(
    "ground_truth, extra_info, match",
    [
        (None, None, "no request text"),  # no extra_info at all
        (None, {"id": "x1"}, "id='x1'.*no request text"),  # scored against "" before
        (None, {"id": "x2", "request": "   "}, "id='x2'.*no request text"),
        (None, {"id": "x3", "request": 7}, "id='x3'.*no request text"),
        ("{not json", {"id": "x4", "request": "Write."}, "id='x4'.*ground_truth is not JSON"),
        ('["a", 1]', {"id": "x5", "request": "Write."}, "id='x5'.*must be a JSON object"),
        (None, {"id": "x6", "request": "Write.", "target": "200 words"}, "id='x6'.*not an object"),
        (b'{"lower": 1\xff}', {"id": "x7", "request": "Write."}, "id='x7'.*ground_truth is not UTF-8"),
    ],
)
def test_malformed_rows_are_errors_naming_the_row(ground_truth, extra_info, match):
    """A data bug in a row (no request, a malformed ground_truth) is a RewardError naming the row,
    never a sample scored against an empty request or a silently absent target."""
    from rewards.base import RewardError

    with pytest.raises(RewardError, match=match):
        asyncio.run(
            vr.compute_score(
                "longwriter_rl", "<answer>x</answer>", ground_truth, extra_info, reward_config=CONFIG
            )
        )


@pytest.mark.parametrize(
    "ground_truth, extra_info, match",
    [
        # no target anywhere: none in the row, none stated in the request
        (None, {"id": "y1", "request": "Describe the smell of rain."}, "id='y1'.*no target range"),
        ("null", {"id": "y2", "request": "Describe the smell of rain."}, "id='y2'.*no target range"),
        # a target that is there but invalid (lower 0; upper below lower; not numbers)
        ('{"lower": 0, "upper": 50}', {"id": "y3", "request": "Write."}, "id='y3'.*invalid target"),
        ('{"lower": 5, "upper": 1}', {"id": "y4", "request": "Write."}, "id='y4'.*invalid target"),
        (None, {"id": "y5", "request": "Write.", "target": {"lower": "a", "upper": 3}}, "id='y5'.*invalid"),
        ('{"upper": 50}', {"id": "y6", "request": "Write."}, "id='y6'.*invalid target"),
    ],
)
def test_length_without_a_usable_target_is_an_error_naming_the_sample(ground_truth, extra_info, match):
    """The built-in length reward is never missing for a data reason: RewardError, naming the sample."""
    from rewards.base import RewardError

    with pytest.raises(RewardError, match=f"reward 'length'.*{match}"):
        vr.compute_score_sync(
            None, "<answer>some words here</answer>", ground_truth, extra_info, reward_config=CONFIG
        )
    # the same rows score when the length reward is not configured (nothing needs a target)
    out = vr.compute_score_sync(
        None,
        "<answer>some words here</answer>",
        ground_truth,
        extra_info,
        reward_config={"rewards": ["format"]},
    )
    assert out["format_missing"] == 0.0


def test_batch_contract_matches_per_sample(rows):
    ids = REQUESTS_IDS
    outs = vr.compute_score_batch(
        [rows[i]["data_source"] for i in ids],
        [RESPONSES[i] for i in ids],
        [rows[i]["reward_model"]["ground_truth"] for i in ids],
        [rows[i]["extra_info"] for i in ids],
        reward_config=CONFIG,
    )
    for i, out in zip(ids, outs, strict=True):
        alone = vr.compute_score_sync(
            None,
            RESPONSES[i],
            rows[i]["reward_model"]["ground_truth"],
            rows[i]["extra_info"],
            reward_config=CONFIG,
        )
        assert all(same(out[k], alone[k]) for k in out), i
    with pytest.raises(ValueError, match="must match"):
        vr.compute_score_batch(None, ["a", "b"], ["x"], None)


def _no_score(prompt, response, metadata):
    """A reward that cannot score (as a failed judge does): missing, with its reason."""
    return None, ["no_score: the judge did not answer"]


def test_missing_component_is_nan_with_a_flag():
    """A component that says it is missing (here a user reward, as a failed judge) is NaN + a flag."""
    from rewards import register_reward

    register_reward("lw_test_no_score", _no_score, defaults={})
    cfg = {"rewards": {"lw_test_no_score": 1.0, "quality": 1.0, "format": 1.0}}
    out = vr.compute_score_sync(
        None, RESPONSES["en-nolen"], None, {"request": "Describe the smell of rain."}, reward_config=cfg
    )
    assert math.isnan(out["lw_test_no_score"]) and out["lw_test_no_score_missing"] == 1.0
    assert out["quality_missing"] == 0.0 and out["format_missing"] == 0.0
    assert math.isnan(out["target_lower"]) and math.isnan(out["target_upper"])
    assert out["score"] == pytest.approx((out["quality"] + out["format"]) / 2)
    assert "judge did not answer" in out["reasons"]
    # the advantage leaves the missing value out of its group's statistics
    scores = {
        "lw_test_no_score": torch.tensor([out["lw_test_no_score"], 0.2, 0.8]),
        "format": torch.tensor([out["format"]] * 3),
    }
    adv = compute_advantage(scores, ["g", "g", "g"])
    assert adv[0] == 0 and adv[1] < 0 < adv[2]


def test_target_from_ground_truth_when_extra_info_lacks_it():
    gt = json.dumps({"lower": 5, "upper": 9, "unit": "words", "source": "explicit"})
    sample = vr.build_sample("<think>p</think><answer>one two three</answer>", gt, {"request": "Write."})
    assert sample.metadata["target"]["lower"] == 5 and sample.prompt == "Write."


def test_batches_close_at_max_size_and_model_loads_once():
    from rewards.embedding import load_minilm

    async def many(n):
        calls = [
            vr.compute_score(
                None,
                RESPONSES["en-ok"],
                None,
                {"request": f"Write a 20-word poem {k}."},
                reward_config=CONFIG,
                max_batch_size=3,
            )
            for k in range(n)
        ]
        return await asyncio.gather(*calls), vr._batchers[id(asyncio.get_running_loop())].batches

    model = load_minilm()
    results, batches = asyncio.run(many(7))
    assert batches == [3, 3, 1] and len(results) == 7
    assert load_minilm() is model  # one encoder per process, reused by every batch


@pytest.mark.slow
def test_in_a_ray_reward_worker(rows, tokenizer, tiny_model, repo_root):
    """verl's RewardLoopWorker as a real Ray actor (as verl starts it): two batches, one process,
    one encoder load, each batch scored together."""
    import ray
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

    ray.init(
        num_cpus=2,
        object_store_memory=300_000_000,
        include_dashboard=False,
        runtime_env={
            "env_vars": {
                "PYTHONPATH": str(repo_root),
                "HF_HUB_OFFLINE": "1",
                "TOKENIZERS_PARALLELISM": "false",
            }
        },
    )
    try:
        worker = ray.remote(RewardLoopWorker).remote(
            reward_worker_config(tiny_model, {"reward_config": CONFIG})
        )
        data = verl_batch(rows, tokenizer, REQUESTS_IDS)
        first = ray.get(worker.compute_score_batch.remote(data), timeout=300)
        second = ray.get(worker.compute_score_batch.remote(data), timeout=300)
        stats = ray.get(worker.__ray_call__.remote(vr.process_stats), timeout=60)
    finally:
        ray.shutdown()
    assert [o["reward_score"] for o in first] == [o["reward_score"] for o in second]
    assert all(list(o["reward_extra_info"]) == vr.result_keys(CONFIG) for o in first)
    assert stats["batch_sizes"] == [len(REQUESTS_IDS)] * 2
    assert len(stats["encoders"]) == 1


def test_samples_arriving_during_scoring_join_the_next_batch():
    """verl's streaming path sends samples as rollouts finish: while one batch is being scored,
    later arrivals wait together and are scored as one batch, not one by one. Synchronised with
    an event, not timing: the scoring thread is held until every later sample has arrived."""
    import threading

    gate = threading.Event()

    async def stream():
        loop = asyncio.get_running_loop()
        # hold the (single) scoring thread, as a long batch would
        blocker = loop.run_in_executor(vr._get_executor(), gate.wait, 60)
        try:

            def call(k):
                coro = vr.compute_score(
                    None,
                    RESPONSES["en-ok"],
                    None,
                    {"request": f"Write {k} lines in 30 words."},
                    reward_config=CONFIG,
                )
                return asyncio.ensure_future(coro)

            calls = [call(0)]
            # wait until the first sample's batch has closed (it now waits for the held thread)
            while vr._batchers.get(id(loop)) is None or vr._batchers[id(loop)].batches != [1]:
                await asyncio.sleep(0.001)
            calls += [call(k) for k in range(1, 6)]
            await asyncio.sleep(0)  # let the five calls reach the batcher
            assert len(vr._batchers[id(loop)].pending) == 5
        finally:
            gate.set()
        await blocker
        results = await asyncio.gather(*calls)
        return results, vr._batchers[id(loop)].batches

    results, batches = asyncio.run(stream())
    assert len(results) == 6 and all(list(r) == vr.result_keys(CONFIG) for r in results)
    assert batches == [1, 5]


def test_cut_chars_reach_verl_reward_info_and_the_step_metric():
    """Each reward's cut reaches verl as <name>_cut_chars (NaN where the reward records none) and
    the trainer mode's cut_ratio; a 10,000-word answer in one paragraph is mostly unread by MiniLM."""
    from rl.trainer import cut_ratios

    words = " ".join(f"tide{k % 40}" for k in range(10_000))
    info = {"id": "c1", "request": "Write a 10000-word essay about tides."}
    outs = vr.compute_score_batch(
        None,
        [f"<think>p</think><answer>{words}</answer>", RESPONSES["en-ok"]],
        None,
        [info, {"id": "c2", "request": "Write a 20-word poem about a harbour."}],
        reward_config=CONFIG,
    )
    assert all(list(o) == vr.result_keys(CONFIG) for o in outs)
    assert outs[0]["quality_cut_chars"] > 0.9 * len(words) and outs[1]["quality_cut_chars"] == 0.0
    assert math.isnan(outs[0]["length_cut_chars"]) and math.isnan(outs[0]["format_cut_chars"])
    assert cut_ratios(outs, list(CONFIG["rewards"])) == {"longwriter/reward/quality/cut_ratio": 0.5}

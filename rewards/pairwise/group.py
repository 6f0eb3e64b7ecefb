"""The ``group_pairwise`` reward (Writing-Zero style): each answer judged against a peer of its group.

Every sample is compared by the pairwise judge (:func:`rewards.pairwise.reference.judge_pairs`: same
endpoint options, deadline, position-bias control, verdict parsing and prompt hash) with ONE other
sample of its GRPO group, chosen by a seeded function of (``seed``, the group key, the sample's
answer); the reward is the outcome for the sample: win 1, tie 0.5, loss 0; a failed judgement is
missing (None, with the reason), never a loss. The group key is the sample's ``group`` metadata
(the trainer mode sets verl's prompt ``uid``), else the row's ``id`` (all rollouts of a prompt
share it), else the request text.

A group-level reward (``group=True`` in the registry): a sample's opponent comes from its whole
group, so the batch must hold whole groups. verl's reward loop hands each finished sample to one of
its reward workers, so a reward function there sees fragments of groups (a lone sample would have
no peer); ``rl.verl_reward`` therefore leaves group-level rewards out, and ``rl.trainer`` scores
them once per step over every whole group of the step, where their values enter the balanced
advantage like any other component. Outside training (evaluation, ``longwrite rm score``) the
caller passes whole groups; a sample alone in its group is **missing** with that reason.

``group_pairwise.judge_calls`` (details; ``<name>_judge_calls`` in the step's reward info, summed
per step by the trainer mode) counts the judge calls made for each sample; ``group_size`` the
samples of its group in the batch it was scored with.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from rewards.base import Batch, ComponentScore, register_reward
from rewards.pairwise.reference import (
    PAIRWISE_DEFAULTS,
    PairJob,
    _check,
    judge_pairs,
    judge_prompt_id,
    seeded_unit,
)

__all__ = ["group_of", "choose_opponents"]


def group_of(batch: Batch, i: int) -> str:
    """The group key of sample ``i``: its ``group`` metadata (verl's uid), else ``id``, else its request."""
    gid = batch.samples[i].metadata.get("group")
    if gid is not None:
        return f"group:{gid}"
    rid = batch.samples[i].metadata.get("id")
    return f"id:{rid}" if rid is not None else f"prompt:{batch.samples[i].prompt}"


def choose_opponents(batch: Batch, seed: int) -> dict[int, int | None]:
    """For each sample, the index of the peer it is judged against (None: alone in its group).

    The choice is seeded by (seed, group key, answer), so it does not depend on batch order.
    """
    groups: dict[str, list[int]] = defaultdict(list)
    for i in range(len(batch)):
        groups[group_of(batch, i)].append(i)
    out: dict[int, int | None] = {}
    for key, members in groups.items():
        for i in members:
            others = [j for j in members if j != i]
            if not others:
                out[i] = None
                continue
            u = seeded_unit(seed, key, batch.parsed[i].answer, str(members.index(i)))
            out[i] = others[int(u * len(others))]
    return out


@register_reward("group_pairwise", batched=True, defaults=dict(PAIRWISE_DEFAULTS), check=_check, group=True)
def _group_pairwise_component(batch: Batch, options: dict) -> list[ComponentScore]:
    """The judge's preference of the answer over a seeded peer of its group: win 1, tie 0.5, loss 0."""
    prompt_id = judge_prompt_id(options)
    opponents = choose_opponents(batch, int(options["seed"]))
    sizes = Counter(group_of(batch, i) for i in range(len(batch)))
    out: list[ComponentScore | None] = [None] * len(batch)
    jobs: list[PairJob] = []
    job_of: list[int] = []
    for i in range(len(batch)):
        base = {"judge_prompt": prompt_id, "judge_calls": 0.0, "group_size": sizes[group_of(batch, i)]}
        j = opponents[i]
        if not batch.parsed[i].answer.strip():
            out[i] = ComponentScore(0.0, ["group_pairwise: empty answer (a loss)"], base)
        elif j is None:
            out[i] = ComponentScore(None, ["group_pairwise: no other sample of its group in the batch"], base)
        else:
            jobs.append(PairJob(batch.samples[i].prompt, batch.parsed[i].answer, batch.parsed[j].answer))
            job_of.append(i)
    results, _ = judge_pairs(jobs, options, "group_pairwise") if jobs else ([], 0)
    for i, (value, why, det) in zip(job_of, results, strict=True):
        details = {
            "judge_prompt": prompt_id,
            "opponent": opponents[i],
            "group_size": sizes[group_of(batch, i)],
            **det,
        }
        if value is None:
            out[i] = ComponentScore(None, [f"group_pairwise: {why} (missing, not a loss)"], details)
        else:
            reasons = ["group_pairwise: the peer was preferred"] if value < 0.5 else []
            out[i] = ComponentScore(value, reasons, details)
    return [c if c is not None else ComponentScore(None, ["group_pairwise: no judgement"]) for c in out]

"""The ``group_pairwise`` reward (Writing-Zero style): each answer judged against a peer of its group.

Every sample is compared by the pairwise judge (:func:`rewards.pairwise.reference.judge_pairs`: same
endpoint options, position-bias control, verdict parsing and prompt hash) with ONE other sample
of its GRPO group, chosen by a seeded function of (``seed``, the group key, the sample's answer);
the reward is the outcome for the sample: win 1, tie 0.5, loss 0; a failed judgement is missing
(None, with the reason), never a loss. The group key is the row's ``id`` (all rollouts of a prompt
share it), else the request text.

Where it is computed, and why here: in the reward entry point, batched by group, not in the
trainer mode's advantage step. :func:`rewards.score_batch` already sees a batch of samples
(``rl.verl_reward`` gathers the concurrent calls of a reward worker into one batch, and
``compute_score_batch`` / ``longwrite rm score`` pass whole batches), so the comparison is an
ordinary reward component: it is logged, weighted and normalised by the balanced advantage like
length or quality, it works outside training (evaluation, ``rm score``), and the trainer stays
free of judge calls. The cost: a group split across two reward batches is judged within each part;
a sample alone in its batch has no peer and is **missing** with that reason (counted, never
scored). verl's reward loop starts all calls of a step at once, so with ``max_batch_size`` >= the
group size groups normally arrive whole.

``group_pairwise.judge_calls`` (details; ``<name>_judge_calls`` in verl's reward info, summed per
step by the trainer mode) counts the judge calls made for each sample.
"""

from __future__ import annotations

from collections import defaultdict

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
    """The group key of sample ``i``: its ``id`` metadata, else its request text."""
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


@register_reward("group_pairwise", batched=True, defaults=dict(PAIRWISE_DEFAULTS), check=_check)
def _group_pairwise_component(batch: Batch, options: dict) -> list[ComponentScore]:
    """The judge's preference of the answer over a seeded peer of its group: win 1, tie 0.5, loss 0."""
    prompt_id = judge_prompt_id(options)
    opponents = choose_opponents(batch, int(options["seed"]))
    out: list[ComponentScore | None] = [None] * len(batch)
    jobs: list[PairJob] = []
    job_of: list[int] = []
    for i in range(len(batch)):
        base = {"judge_prompt": prompt_id, "judge_calls": 0.0}
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
        details = {"judge_prompt": prompt_id, "opponent": opponents[i], **det}
        if value is None:
            out[i] = ComponentScore(None, [f"group_pairwise: {why} (missing, not a loss)"], details)
        else:
            reasons = ["group_pairwise: the peer was preferred"] if value < 0.5 else []
            out[i] = ComponentScore(value, reasons, details)
    return [c if c is not None else ComponentScore(None, ["group_pairwise: no judgement"]) for c in out]

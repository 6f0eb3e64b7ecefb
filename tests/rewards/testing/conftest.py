"""A random tiny reward model for the classifier backend (the learned RM's shape, no training)."""

import pytest


@pytest.fixture(scope="session")
def random_rm(tiny_model, tmp_path_factory):
    """A 2-layer Qwen2 sequence-classification RM (one label, seeded random weights) + tokenizer."""
    import torch
    from transformers import AutoConfig, AutoTokenizer, Qwen2ForSequenceClassification

    out = tmp_path_factory.mktemp("random-rm")
    config = AutoConfig.from_pretrained(tiny_model)
    config.num_labels = 1
    torch.manual_seed(0)
    Qwen2ForSequenceClassification(config).save_pretrained(out)
    AutoTokenizer.from_pretrained(tiny_model).save_pretrained(out)
    return str(out)

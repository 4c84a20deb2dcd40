"""The fused Adam(W) helper: chosen where torch's fused kernel runs, and the same updates as torch's default."""

from __future__ import annotations

import pytest
import torch

from embedlab.train.optim import adam, fusable


def test_fusable_only_for_dense_floating_parameters_on_one_device() -> None:
    assert fusable([torch.zeros(3), torch.zeros(2, 2)])
    assert not fusable([])
    assert not fusable([torch.zeros(3, dtype=torch.long)])
    assert not fusable([torch.zeros(3, 3).to_sparse()])
    assert not fusable([torch.zeros(3, device="meta")])


@pytest.mark.parametrize("decoupled", [False, True])
def test_same_steps_as_torch_default_adam(decoupled: bool) -> None:
    torch.manual_seed(0)
    a = torch.nn.Linear(5, 3)
    b = torch.nn.Linear(5, 3)
    b.load_state_dict(a.state_dict())
    start = a.weight.detach().clone()
    groups = [{"params": [a.weight], "lr": 1e-2}, {"params": [a.bias], "lr": 1e-1}]
    ours = adam(groups, lr=1e-2, decoupled=decoupled, weight_decay=0.1, betas=(0.8, 0.99))
    assert ours.defaults["fused"] is True
    kind = torch.optim.AdamW if decoupled else torch.optim.Adam
    peer = kind([{"params": [b.weight], "lr": 1e-2}, {"params": [b.bias], "lr": 1e-1}], weight_decay=0.1,
                betas=(0.8, 0.99), foreach=False)
    x = torch.randn(8, 5)
    for _ in range(5):
        for model, opt in ((a, ours), (b, peer)):
            opt.zero_grad()
            model(x).pow(2).sum().backward()
            opt.step()
    assert torch.allclose(a.weight, b.weight, atol=1e-6) and torch.allclose(a.bias, b.bias, atol=1e-6)
    assert (a.weight - start).abs().max() > 1e-3  # it did move

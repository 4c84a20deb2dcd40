"""Turning sentence vectors back into words: nearest word per position, one pass or step by step.

A decoder that reads only the sentence vector (and the position) predicts every position in one
pass. One that also reads the previous word (``decoder_input="previous"``) decodes greedily: each
step's nearest word becomes the next step's input, as in training where the true previous word is
given (teacher forcing). Either way the output stays a regressed word vector decoded by cosine, so a
word outside the training sentences can come back as long as the table has its vector.
"""

from __future__ import annotations

import torch

from embedlab.autoencoder.nearest import NearestWords
from embedlab.autoencoder.network import RecurrentAutoencoder


@torch.no_grad()
def decode_words(module: RecurrentAutoencoder, nearest: NearestWords, sentences: torch.Tensor, steps: int,
                 eos: int) -> torch.Tensor:
    """sentences (B, S) -> word ids (B, <= steps); rows stop at ``eos`` (later positions are ``eos`` too)."""
    if module.config.decoder_input != "previous":
        predicted = module.decode(sentences, steps)                                   # (B, steps, d)
        return nearest.nearest(predicted.reshape(-1, predicted.size(-1))).view(predicted.shape[:2])
    batch = sentences.size(0)
    previous = module.start.expand(batch, 1, -1)                                       # (B, 1, d)
    state: torch.Tensor | None = None
    done = torch.zeros(batch, dtype=torch.bool, device=sentences.device)
    out = []
    for t in range(steps):
        states = module.decoder_states(sentences, 1, first=t, previous=previous, state=state)   # (B, 1, H)
        state = states[:, 0]
        ids = nearest.nearest(module.predict(state))                                   # (B,)
        ids = torch.where(done, torch.full_like(ids, eos), ids)
        out.append(ids)
        done |= ids == eos
        if bool(done.all()):
            break
        previous = module.table[ids].unsqueeze(1)
    return torch.stack(out, dim=1)


@torch.no_grad()
def beam_decode_words(module: RecurrentAutoencoder, nearest: NearestWords, sentences: torch.Tensor, steps: int,
                      eos: int, beam: int = 4, temperature: float = 0.05) -> torch.Tensor:
    """Beam search for a decoder that reads the previous word: (B, S) -> word ids (B, <= steps).

    The regression output has no probabilities, so each step's cosines to the vocabulary, over a
    temperature, go through a softmax; a hypothesis scores the sum of its words' log-probabilities
    and stops at ``eos``. ``beam=1`` is greedy decoding.
    """
    batch, k = sentences.size(0), beam
    unit = nearest.unit                                                         # (V, d)
    vocab = unit.size(0)
    context = sentences.repeat_interleave(k, dim=0)                             # (B*k, S)
    previous = module.start.expand(batch * k, 1, -1)
    state: torch.Tensor | None = None
    device = sentences.device
    scores = torch.full((batch, k), float("-inf"), device=device)
    scores[:, 0] = 0.0                                                          # one live hypothesis at first
    tokens = torch.zeros(batch, k, 0, dtype=torch.long, device=device)
    finished = torch.zeros(batch, k, dtype=torch.bool, device=device)
    for t in range(steps):
        states = module.decoder_states(context, 1, first=t, previous=previous, state=state)   # (B*k, 1, H)
        cos = torch.nn.functional.normalize(module.predict(states[:, 0]), dim=1) @ unit.t()   # (B*k, V)
        logp = torch.log_softmax(cos / temperature, dim=1).view(batch, k, vocab)
        logp[..., 0] = float("-inf")                                            # padding is never a word
        logp[finished] = float("-inf")                                          # a finished one only repeats eos
        logp[..., eos] = torch.where(finished, 0.0, logp[..., eos])
        best, index = (scores.unsqueeze(2) + logp).view(batch, -1).topk(k, dim=1)   # (B, k)
        source, word = index // vocab, index % vocab
        rows = (source + torch.arange(batch, device=device).unsqueeze(1) * k).view(-1)          # (B*k,) hypotheses kept
        scores, state = best, states[rows, 0]
        tokens = torch.cat([tokens.gather(1, source.unsqueeze(2).expand(-1, -1, tokens.size(2))),
                            word.unsqueeze(2)], dim=2)
        finished = finished.gather(1, source) | (word == eos)
        if bool(finished.all()):
            break
        previous = module.table[word.view(-1)].unsqueeze(1)
    return tokens[:, 0]                                                         # topk keeps the best first

"""``threads`` applies before the encoder is fitted (the sequences/molecules autoencoders train
there): a run's weights must not depend on the thread count the process happened to start with."""

from __future__ import annotations

import torch

from scigan.api import Synthesizer
from scigan.domains.toy import ToyDomain


def test_encoder_fits_under_the_configured_thread_count(monkeypatch):
    seen = []
    make = ToyDomain.make_encoder

    def spy(self, cfg):
        seen.append(torch.get_num_threads())
        return make(self, cfg)

    monkeypatch.setattr(ToyDomain, "make_encoder", spy)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        Synthesizer(domain="toy", steps=1, threads=1, eval_every=0).fit("ring8")
    finally:
        torch.set_num_threads(before)
    assert seen == [1]

"""Which input channels each output channel reads: ``(out_channel, in_channel)`` pairs.

A pair is listed when some weight joins the two channels (for a channelwise
layer, the identity). Grouped convolutions join each output channel to the
input channels of its group; a transposed convolution stores its weight
``[C_in, C_out/groups, k_h, k_w]`` but joins the same groups; a channel
shuffle (ShuffleNet) moves channel ``g·(C/G) + j`` to ``j·G + g``.
"""

from __future__ import annotations

__all__ = ["grouped", "identity", "dense", "compose", "shuffle"]

Links = tuple[tuple[int, int], ...]


def grouped(c_in: int, c_out: int, groups: int) -> Links:
    """Conv2d / ConvTranspose2d / DeformConv2d with ``groups``: output ``o`` reads input
    channels ``g·(C_in/groups) .. (g+1)·(C_in/groups) − 1`` of its group ``g``."""
    per_in, per_out = c_in // groups, c_out // groups
    return tuple((o, (o // per_out) * per_in + j) for o in range(c_out) for j in range(per_in))


def identity(channels: int) -> Links:
    """A channelwise layer (pooling, resampling): output ``c`` reads input ``c`` only."""
    return tuple((c, c) for c in range(channels))


def dense(c_in: int, c_out: int) -> Links:
    """Every output channel reads every input channel (groups = 1)."""
    return grouped(c_in, c_out, 1)


def compose(second: Links, first: Links) -> Links:
    """The end-to-end links of ``first`` followed by ``second`` (sorted)."""
    reads: dict[int, set[int]] = {}
    for mid, src in first:
        reads.setdefault(mid, set()).add(src)
    pairs = {(o, i) for o, mid in second for i in reads.get(mid, ())}
    return tuple(sorted(pairs))


def shuffle(channels: int, groups: int) -> Links:
    """``nn.ChannelShuffle(groups)``: output ``j·G + g`` is input ``g·(C/G) + j``."""
    per = channels // groups
    return tuple(sorted((j * groups + g, g * per + j) for g in range(groups)
                        for j in range(per)))

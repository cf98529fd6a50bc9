"""S2's supervised classifier: EfficientNet-Lite (ResNets are not available offline) with a linear
layer over the pooled features. After training, its pooled and L2-normalised features are an
embedder like any other (`branch()`)."""
from __future__ import annotations

from torch import nn

from animeid.train.lite_embedding_net import LiteEmbeddingNet


class LiteClassifier(nn.Module):
    def __init__(self, net, freeze_blocks: int, classes: int):
        super().__init__()
        self.backbone = LiteEmbeddingNet(net, freeze_blocks, dim=None)
        self.fc = nn.Linear(self.backbone.features, classes)

    def train(self, mode: bool = True):
        return super().train(False)

    def logits_from_acts(self, acts):
        return self.fc(self.backbone.tail(acts))

    def forward(self, x):
        return self.fc(self.backbone.tail(self.backbone.prefix(x)))

    def branch(self) -> LiteEmbeddingNet:
        return self.backbone

"""S1's Siamese network: two branches sharing every weight (they are the same module), each
backbone -> GAP -> Dense(dim) -> L2, compared by Euclidean distance. Training works on batches of
single images and forms the pairs inside the batch, which is the same computation without running
the shared branch twice on an image that appears in several pairs."""
from __future__ import annotations

from animeid.train.euclidean_distance import EuclideanDistance
from animeid.train.lite_embedding_net import LiteEmbeddingNet


class SiameseNet(LiteEmbeddingNet):
    distance = EuclideanDistance()

    def forward_pair(self, x1, x2):
        """Euclidean distance between the embeddings of two image batches."""
        return self.distance.pairwise(self(x1), self(x2))

    def branch(self) -> LiteEmbeddingNet:
        """Model surgery: one branch is the whole network applied to one image."""
        return self

"""Binary focal cross-entropy (Lin et al. 2017), the loss S3 switched to when recall stalled: it
down-weights the many easy negatives of a sparse multi-hot target, so rare genres keep a gradient."""
from __future__ import annotations

from animeid.train.mean_reducer import MeanReducer


class BinaryFocalLoss:
    """loss = alpha_t * (1 - p_t)^gamma * BCE(logit, y), element-wise, then `reducer`.

    p_t is the predicted probability of the true value; alpha_t = alpha for positives and 1 - alpha
    for negatives (alpha=None: no class balancing, like Keras' default). gamma=0, alpha=None is BCE.
    """

    def __init__(self, gamma: float = 2.0, alpha: float | None = 0.25, reducer=None):
        if gamma < 0:
            raise ValueError("gamma must be >= 0")
        if alpha is not None and not 0.0 <= alpha <= 1.0:
            raise ValueError("alpha must be in [0, 1]")
        self.gamma = gamma
        self.alpha = alpha
        self.reducer = reducer if reducer is not None else MeanReducer()

    def elementwise(self, logits, targets):
        import torch
        import torch.nn.functional as F

        targets = targets.to(logits.dtype)
        bce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
        p_t = torch.exp(-bce)  # probability given to the true value, computed stably from the BCE
        loss = (1.0 - p_t).pow(self.gamma) * bce if self.gamma else bce
        if self.alpha is not None:
            loss = (self.alpha * targets + (1.0 - self.alpha) * (1.0 - targets)) * loss
        return loss

    def __call__(self, logits, targets, weights=None):
        return self.reducer(self.elementwise(logits, targets), weights=weights)

"""A tiny trainer task (a 2-layer MLP on synthetic blobs) for checkpoint and resume tests: it has
the same contract as the real tasks, including its own random state, and trains in milliseconds."""
import numpy as np
import torch


class TinyTask:
    def __init__(self, seed: int = 0, hidden: int = 8):
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(64, 4, generator=g)
        self.y = (self.x[:, 0] + self.x[:, 1] > 0).long()
        torch.manual_seed(seed)
        self.model = torch.nn.Sequential(torch.nn.Linear(4, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 2))
        self.rng = np.random.default_rng(seed)

    def param_groups(self):
        return [{"params": list(self.model.parameters()), "lr_scale": 1.0}]

    def training_loss(self):
        idx = torch.from_numpy(self.rng.integers(0, 64, size=8))
        # dropout-like noise from torch's global RNG, so its state must be restored too
        noise = 0.01 * torch.randn(8, 4)
        return torch.nn.functional.cross_entropy(self.model(self.x[idx] + noise), self.y[idx])

    def validate(self):
        with torch.no_grad():
            return {"loss": float(torch.nn.functional.cross_entropy(self.model(self.x), self.y))}

    def state_dict(self):
        return {"rng": self.rng.bit_generator.state}

    def load_state_dict(self, state):
        self.rng.bit_generator.state = state["rng"]

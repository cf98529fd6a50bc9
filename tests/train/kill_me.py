"""Run by test_trainer.py in a subprocess that is SIGKILLed mid-training."""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from tiny_task import TinyTask  # noqa: E402

from animeid.train.config import TrainerCfg  # noqa: E402
from animeid.train.trainer import Trainer  # noqa: E402


class SlowTask(TinyTask):
    def training_loss(self):
        time.sleep(0.02)
        return super().training_loss()


if __name__ == "__main__":
    cfg = TrainerCfg(**eval(sys.argv[2]))
    trainer = Trainer(SlowTask(), cfg, Path(sys.argv[1]), {"kind": "tiny"}, log=lambda s: None)
    trainer.resume()
    trainer.fit()

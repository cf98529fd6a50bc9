"""The task-agnostic trainer: a run killed after a checkpoint resumes to exactly the result of an
uninterrupted run; wrong-architecture checkpoints and a full disk fail with clear messages."""
import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from animeid.errors import AnimeidError  # noqa: E402
from animeid.train.config import TrainerCfg  # noqa: E402
from animeid.train.trainer import Trainer, scheduled_lr  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from tiny_task import TinyTask  # noqa: E402

CFG = dict(epochs=6, steps_per_epoch=10, checkpoint_every=5, lr=0.05, lr_decay=0.9, plateau_patience=2,
           early_stop_patience=100, device="cpu")


def run(path, stop_after=None, cfg=CFG):
    task = TinyTask()
    trainer = Trainer(task, TrainerCfg(**cfg), path, {"kind": "tiny"}, log=lambda s: None, stop_after_steps=stop_after)
    trainer.resume()
    history = trainer.fit()
    return task.model.state_dict(), history, trainer.state


def assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_interrupt_then_resume_gives_the_same_model(tmp_path):
    ref_model, ref_hist, ref_state = run(tmp_path / "ref.ckpt")
    assert ref_state["step"] == 60 and len(ref_hist["val_loss"]) == 6
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "cut.ckpt", stop_after=23)  # checkpoint at step 20; steps 21-23 are lost
    model, hist, state = run(tmp_path / "cut.ckpt")
    assert state["step"] == 60
    assert hist == ref_hist
    assert_same(model, ref_model)


def test_sigkill_then_resume_gives_the_same_model(tmp_path):
    cfg = dict(CFG, epochs=8)
    ref_model, ref_hist, _ = run(tmp_path / "ref.ckpt", cfg=cfg)
    ckpt = tmp_path / "killed.ckpt"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen([sys.executable, str(Path(__file__).parent / "kill_me.py"), str(ckpt), repr(cfg)], env=env)
    try:
        deadline = time.monotonic() + 60
        while not ckpt.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.15)  # a few more steps that the kill will lose
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the training subprocess ended before it was killed"
    partial = torch.load(ckpt, weights_only=False)["trainer"]["step"]
    assert 0 < partial < 80
    model, hist, state = run(ckpt, cfg=cfg)
    assert state["step"] == 80
    assert hist == ref_hist
    assert_same(model, ref_model)


def test_checkpoint_of_another_architecture_is_refused(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "a.ckpt", stop_after=5)
    task = TinyTask()
    trainer = Trainer(task, TrainerCfg(**CFG), tmp_path / "a.ckpt", {"kind": "other", "dim": 3}, log=lambda s: None)
    with pytest.raises(AnimeidError, match="another architecture"):
        trainer.resume()


def test_out_of_disk_is_a_clear_error_and_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "c.ckpt"
    with pytest.raises(KeyboardInterrupt):
        run(path, stop_after=5)
    before = path.read_bytes()

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(AnimeidError, match="out of disk space.*previous checkpoint is intact"):
        run(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.ckpt"]  # no temp file left behind


def test_schedules():
    exp = TrainerCfg(lr=1.0, lr_decay=0.5)
    assert scheduled_lr(exp, 3, 1.0) == pytest.approx(0.125)
    step = TrainerCfg(lr=0.001, step_every=7, step_gamma=0.1)  # S2: x0.1 every 7 epochs
    assert [scheduled_lr(step, e, 1.0) for e in (0, 6, 7, 14)] == pytest.approx([1e-3, 1e-3, 1e-4, 1e-5])
    assert scheduled_lr(step, 0, 0.3) == pytest.approx(3e-4)


def test_early_stopping_and_plateau(tmp_path):
    class Flat(TinyTask):
        def validate(self):
            return {"loss": 1.0}  # never improves after the first epoch

    cfg = TrainerCfg(epochs=50, steps_per_epoch=2, plateau_patience=2, plateau_factor=0.5, early_stop_patience=4,
                     device="cpu")
    trainer = Trainer(Flat(), cfg, tmp_path / "f.ckpt", {"kind": "tiny"}, log=lambda s: None)
    history = trainer.fit()
    assert len(history["val_loss"]) == 5  # best at epoch 1, then 4 bad epochs
    assert trainer.state["plateau_scale"] == pytest.approx(0.25)  # halved after bad epochs 2 and 4


def test_unknown_optimizer(tmp_path):
    with pytest.raises(AnimeidError, match="unknown optimizer"):
        Trainer(TinyTask(), TrainerCfg(optimizer="rmsprop"), tmp_path / "x.ckpt", {}, log=lambda s: None)


def test_more_epochs_continue_a_finished_run_exactly(tmp_path):
    ref_model, ref_hist, _ = run(tmp_path / "ref.ckpt", cfg=dict(CFG, epochs=6))
    run(tmp_path / "short.ckpt", cfg=dict(CFG, epochs=4))
    model, hist, state = run(tmp_path / "short.ckpt", cfg=dict(CFG, epochs=6))
    assert state["step"] == 60
    assert hist == ref_hist
    assert_same(model, ref_model)


@pytest.mark.parametrize("field,value", [("epochs", 0), ("epochs", -2), ("steps_per_epoch", 0),
                                         ("checkpoint_every", 0), ("step_every", -1), ("lr", -1.0)])
def test_bad_loop_numbers_are_refused_before_any_step(tmp_path, field, value):
    """`epochs=0` used to train one epoch anyway (the stop test only runs after an epoch)."""
    with pytest.raises(AnimeidError, match=f"{value!r}: must be"):
        Trainer(TinyTask(), TrainerCfg(**dict(CFG, **{field: value})), tmp_path / "x.ckpt", {}, log=lambda s: None)
    assert not (tmp_path / "x.ckpt").exists()


def test_divergence_is_one_error_without_a_torch_warning(tmp_path):
    import warnings

    class Diverges(TinyTask):
        def training_loss(self):
            return super().training_loss() * float("nan")

    trainer = Trainer(Diverges(), TrainerCfg(**CFG), tmp_path / "d.ckpt", {}, log=lambda s: None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the message used to call float() on a tensor that needs grad
        with pytest.raises(AnimeidError, match=r"training diverged \(loss nan\) at step 0"):
            trainer.fit()


def run_of(data="A", **cfg):
    return {"classes": ["a", "b"], "images": 4, "data": data, "cfg": {"margin": 1.0, "trainer": dict(CFG, **cfg)}}


def test_a_checkpoint_of_other_data_or_settings_is_refused(tmp_path):
    path = tmp_path / "r.ckpt"
    Trainer(TinyTask(), TrainerCfg(**CFG), path, {"kind": "tiny"}, log=lambda s: None, run=run_of()).fit()
    for other, message in [(run_of(data="B"), "other images of the same classes"),
                           ({**run_of(), "classes": ["c", "d"]}, "other data .classes a, b; this dataset: c, d"),
                           (run_of(lr=0.5), r"other settings \(--lr 0.05 -> 0.5\)"),
                           (run_of(steps_per_epoch=3), r"--steps-per-epoch 10 -> 3")]:
        trainer = Trainer(TinyTask(), TrainerCfg(**CFG), path, {"kind": "tiny"}, log=lambda s: None, run=other)
        with pytest.raises(AnimeidError, match=message + ".*pass --restart"):
            trainer.resume()
    # more epochs, another device or checkpoint interval: the same run, continued
    more = dict(CFG, epochs=8, checkpoint_every=3)
    trainer = Trainer(TinyTask(), TrainerCfg(**more), path, {"kind": "tiny"}, log=lambda s: None,
                      run=run_of(epochs=8, checkpoint_every=3, device="auto"))
    assert trainer.resume()
    assert len(trainer.fit()["val_loss"]) == 8

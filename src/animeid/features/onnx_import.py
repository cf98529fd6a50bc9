"""`animeid embedders add NAME MODEL.onnx`: a backbone someone exported elsewhere (a CLIP or DINOv2
image tower, an anime tagger's trunk, a fine-tune of their own) becomes a named embedder that every
`--embedder` option accepts, without code.

Nothing here can download weights, so this is how a stronger backbone reaches animeid. The graph is
checked once, by running it, before it is registered: a graph that loads but cannot serve (a fixed
batch of one, a feature map instead of a vector, an integer input) would otherwise fail in the
middle of indexing a library, long after the user's attention has moved on."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from animeid.config import EmbedderCfg
from animeid.errors import AnimeidError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
MAX_INPUT_SIZE = 1024
MAX_DIM = 65536
# protobuf cannot hold more in one file; graphs with external weight files are not supported
MAX_ONNX_BYTES = 2 * 1024 ** 3


def import_onnx_embedder(name: str, onnx_file: Path, input_size: int | None = None,
                         mean: tuple[float, float, float] = IMAGENET_MEAN,
                         std: tuple[float, float, float] = IMAGENET_STD, metric: str = "cosine",
                         force: bool = False) -> tuple[Path, EmbedderCfg]:
    """Check `onnx_file` by running it on a two-image batch, then register it as `name`. Returns the
    embedder's folder and config; anything wrong is one AnimeidError and registers nothing."""
    from animeid.features.efficientnet_lite import sha256_file
    from animeid.features.registry import check_embedder_name, register_onnx_embedder

    check_embedder_name(name, force)
    _check_normalisation(mean, std, metric)
    onnx_file = _readable_graph_file(Path(onnx_file))
    session = _load_session(onnx_file)
    input_size = _square_input_size(session, onnx_file, input_size)
    dim = _output_dim(session, onnx_file, input_size, mean, std)
    cfg = EmbedderCfg(name=name, input_size=input_size, mean=tuple(float(m) for m in mean),
                      std=tuple(float(s) for s in std), dim=dim, weights_sha256=sha256_file(onnx_file),
                      metric=metric)
    folder = register_onnx_embedder(name, onnx_file, cfg, {"source": str(onnx_file.resolve()), "kind": "onnx-import"},
                                    force=force)
    return folder, cfg


def _check_normalisation(mean, std, metric: str) -> None:
    for label, values in (("--mean", mean), ("--std", std)):
        if len(values) != 3 or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
            raise AnimeidError(f"{label} needs three finite numbers (one per RGB channel, for pixels scaled to 0-1), "
                               f"got {list(values)}")
    if not all(s > 0 for s in std):
        raise AnimeidError(f"--std values must be above 0, got {list(std)}")
    if metric not in ("cosine", "l2"):
        raise AnimeidError(f"--metric must be cosine or l2, got {metric!r}")


def _readable_graph_file(path: Path) -> Path:
    if not path.exists():
        raise AnimeidError(f"{path}: no such file")
    if path.is_dir():
        raise AnimeidError(f"{path} is a folder; give the .onnx file itself")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AnimeidError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if size == 0:
        raise AnimeidError(f"{path} is empty (0 bytes)")
    if size > MAX_ONNX_BYTES:
        raise AnimeidError(f"{path} is {size / 1024 ** 3:.1f} GiB; an embedder must be one ONNX file under 2 GiB")
    return path


def _load_session(path: Path):
    """The graph loaded from a copy of the file alone, as it will be registered: a graph that keeps
    its weights in side files (ONNX external data, usual for large towers) loads beside them, but
    only `model.onnx` is registered, so it would pass here and fail at every later use."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="animeid-onnx-") as tmp:
        alone = Path(tmp) / "model.onnx"
        try:
            shutil.copyfile(path, alone)
        except OSError as exc:
            raise AnimeidError(f"{path}: cannot read ({exc.strerror or exc})") from None
        try:
            return _session(alone)
        except Exception as exc:   # onnxruntime's errors share no base class
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            reason = f"{type(exc).__name__}: {first[:300]}".replace(str(alone), path.name)
    try:
        _session(path)
    except Exception:
        raise AnimeidError(f"{path} is not an ONNX graph onnxruntime can load ({reason})") from None
    raise AnimeidError(f"{path} keeps its weights in separate files (ONNX external data), and an embedder is one "
                       "file: save it whole, onnx.save_model(onnx.load(path), out, save_as_external_data=False) "
                       "(under 2 GiB)")


def _session(path: Path):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3   # the error is the message; ORT's own log would repeat it
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def _square_input_size(session, path: Path, input_size: int | None) -> int:
    """The input side: the graph's own when fixed (a given --input-size must agree), else the given one."""
    inputs = session.get_inputs()
    if len(inputs) != 1:
        raise AnimeidError(f"{path} takes {len(inputs)} inputs ({', '.join(i.name for i in inputs)}); an embedder "
                           "takes one batch of images (N, 3, H, W)")
    inp = inputs[0]
    shape = list(inp.shape)
    if inp.type != "tensor(float)" or len(shape) != 4:
        raise AnimeidError(f"{path}: input {inp.name!r} is {inp.type} of shape {shape}; an embedder needs a "
                           "float32 batch of RGB images, (N, 3, H, W)")
    batch, channels, height, width = shape
    if isinstance(batch, int):
        raise AnimeidError(f"{path}: the batch size is fixed at {batch}; export it with a dynamic batch axis "
                           "(torch.onnx.export(..., dynamic_axes={'input': {0: 'n'}}))")
    if isinstance(channels, int) and channels != 3:
        raise AnimeidError(f"{path}: input {inp.name!r} has {channels} channels; an embedder takes RGB (3)")
    fixed = [s for s in (height, width) if isinstance(s, int)]
    if len(fixed) == 2 and height != width:
        raise AnimeidError(f"{path}: the input is {height}x{width}; animeid feeds square images (H = W)")
    if fixed:
        if input_size is not None and input_size != fixed[0]:
            raise AnimeidError(f"{path}: the graph's input is {fixed[0]} px, not --input-size {input_size}")
        input_size = fixed[0]
    if input_size is None:
        raise AnimeidError(f"{path}: the graph does not fix its input size; pass --input-size (the side the "
                           "model was trained at, e.g. 224)")
    if not 16 <= input_size <= MAX_INPUT_SIZE:
        raise AnimeidError(f"input size {input_size} px is out of range (16-{MAX_INPUT_SIZE})")
    return input_size


def _output_dim(session, path: Path, input_size: int, mean, std) -> int:
    """Run two different images through the graph: the first output must be one finite vector each."""
    from animeid.features.embedder import to_input_tensor

    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (input_size, input_size, 3), dtype=np.uint8) for _ in range(2)]
    x = to_input_tensor(images, EmbedderCfg("probe", input_size, tuple(mean), tuple(std), 1))
    try:
        out = session.run([session.get_outputs()[0].name], {session.get_inputs()[0].name: x})[0]
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise AnimeidError(f"{path} fails on a batch of two {input_size} px images ({type(exc).__name__}: "
                           f"{first[:300]})") from None
    out = np.asarray(out)
    shape = list(out.shape)
    if out.ndim < 2 or shape[0] != 2:
        raise AnimeidError(f"{path}: the first output has shape {shape} for 2 images; it must be one vector "
                           "per image, (N, D)")
    if any(s != 1 for s in shape[2:]):
        raise AnimeidError(f"{path}: the first output has shape {shape} for 2 images, a map or a token sequence; "
                           "export the pooled embedding, (N, D), as the graph's first output")
    dim = int(shape[1])
    if not 2 <= dim <= MAX_DIM:
        raise AnimeidError(f"{path}: the first output has {dim} numbers per image; an embedding needs 2-{MAX_DIM}")
    if not np.issubdtype(out.dtype, np.floating) or not np.isfinite(out).all():
        raise AnimeidError(f"{path}: the first output is not finite floating-point numbers ({out.dtype})")
    return dim

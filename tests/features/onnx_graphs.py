"""Small ONNX graphs built with onnx.helper, standing in for a user's own backbone (a CLIP or
DINOv2 image tower) wherever a test registers one with `animeid embedders add`: their arithmetic
is simple enough to work out by hand."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

PROJECTION = np.array([[1.0, 0.0, 2.0, 0.5], [0.0, 1.0, -1.0, 0.5], [1.0, 1.0, 0.0, -1.0]], np.float32)


def projection_graph(path, input_shape=("n", 3, 32, 32), pool=True, input_type=TensorProto.FLOAT, extra_input=False):
    """X -> GlobalAveragePool -> Flatten -> MatMul(PROJECTION): (N, 4). Without `pool`, the
    output is the (N, 3, H, W) map itself."""
    x = helper.make_tensor_value_info("x", input_type, list(input_shape))
    inputs = [x]
    if extra_input:
        inputs.append(helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["n", 1]))
    if not pool:
        nodes = [helper.make_node("Identity", ["x"], ["y"])]
        out = helper.make_tensor_value_info("y", input_type, list(input_shape))
        inits = []
    else:
        cast = [] if input_type == TensorProto.FLOAT else [helper.make_node("Cast", ["x"], ["xf"], to=TensorProto.FLOAT)]
        nodes = cast + [helper.make_node("GlobalAveragePool", ["xf" if cast else "x"], ["p"]),
                 helper.make_node("Flatten", ["p"], ["f"], axis=1),
                 helper.make_node("MatMul", ["f", "w"], ["y"])]
        out = helper.make_tensor_value_info("y", TensorProto.FLOAT, [input_shape[0], 4])
        inits = [numpy_helper.from_array(PROJECTION, "w")]
    model = helper.make_model(helper.make_graph(nodes, "g", inputs, [out], inits),
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path

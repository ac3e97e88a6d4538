"""The app's ONNX upload (read in the sandboxed child) and the Frameworks tab's ONNX entry."""

import numpy as np
import pytest

pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx_nodes import node_model  # noqa: E402


def _sources_script() -> None:
    import streamlit as st

    from gruviz.ui.sidebar import sources
    from gruviz.ui.kit import state

    state.init()
    sources.panel()
    for note in st.session_state.notes:
        st.caption(note)


def test_onnx_upload_loads_the_chosen_direction_and_refuses_external_data():
    import onnx
    from streamlit.testing.v1 import AppTest

    data = node_model(np.random.default_rng(40), 2, 3, "bidirectional", 0, initial_h=True)
    at = AppTest.from_function(_sources_script, default_timeout=60)
    at.run()
    at.radio(key="source").set_value("ONNX model (.onnx)").run()
    at.file_uploader(key="onnx_upload").set_value(("m.onnx", data, "application/octet-stream")).run()
    assert not at.exception, at.exception
    at.radio(key="onnx_direction").set_value("reverse").run()
    w = at.session_state.weights
    assert (w.config.units, w.config.input_dim, w.config.reset_after) == (2, 3, False)
    assert at.session_state.go_backwards is True
    model = onnx.load_model_from_string(data)
    W = onnx.numpy_helper.to_array(next(t for t in model.graph.initializer if t.name == "W"))
    np.testing.assert_array_equal(w.kernel, W[1].T.astype(np.float64))  # reverse direction, rows z | r | h
    assert any("initial_h" in c.value for c in at.caption)

    tensor = model.graph.initializer[0]
    tensor.ClearField("raw_data")
    tensor.data_location = onnx.TensorProto.EXTERNAL
    tensor.external_data.add(key="location", value="/etc/passwd")
    at.file_uploader(key="onnx_upload").set_value(("bad.onnx", model.SerializeToString(),
                                                    "application/octet-stream")).run()
    assert not at.exception, at.exception
    assert "external file" in at.error[0].value
    assert at.session_state.weights is w  # the refused file changed nothing


def _frameworks_script() -> None:
    import numpy as np
    import streamlit as st

    from conftest import random_weights
    from gruviz import GRUConfig
    from gruviz.explain.mistakes import Setup
    from gruviz.ui.views import frameworks_view

    rng = np.random.default_rng(41)
    w = random_weights(rng, GRUConfig(units=3, input_dim=2, reset_after=False))
    setup = Setup(w, rng.normal(size=(5, 2)), rng.normal(size=3))
    st.session_state.output = setup.run().output
    frameworks_view.render(w, setup.run(), setup)


def test_frameworks_tab_offers_the_onnx_model_and_its_code_runs_in_onnxruntime():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_frameworks_script, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert "ONNX GRU ✓" in at.button_group(key="framework").options
    at.button_group(key="framework").set_value("onnx").run()
    assert not at.exception, at.exception
    code = next(c.value for c in at.code if "onnxruntime" in c.value)
    namespace = {}
    exec(code.replace("print(output)", ""), namespace)
    assert np.abs(namespace["output"] - at.session_state.output).max() <= 1e-5  # float32 in onnxruntime
    assert any("float32" in c.value for c in at.caption)

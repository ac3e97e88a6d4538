"""One GRU in every framework's notation: layouts, exact conversions, code to load them.

    convert(weights, "pytorch")            → Converted(weights, convention, notes)
    run_layout(any_layout_weights, x, h0)  → Trace (the one Keras-exact trace)
    prove(source, converted, x, h0)        → largest difference, ~1e-15 when exact
    snippet(any_layout_weights, x, h0)     → code that loads these weights in the framework

Pure NumPy: no framework is imported here, only written about.
"""

from .base import ArraySpec, Layout, LayoutConfig
from .convert import (
    LAYOUT_NAMES,
    LAYOUTS,
    Converted,
    LayoutWeights,
    convert,
    layout_name,
    named_arrays,
    native_convention,
    own_inputs,
    prove,
    reads_backwards,
    run_layout,
    title,
    to_keras,
)
from .dl4mt import Dl4mtGRU
from .epynn import EpyNNGRU
from .exact import ConversionRefused
from .onnx import OnnxGRU, OnnxRun, onnx_outputs
from .porting import CuDNNGRU, EquinoxGRU, FlaxGRU, FlaxLinenGRU, cudnn_gru_weights
from .pytorch import PyTorchGRU
from .snippets import Snippet, caveats, snippet
from .tf1 import TF1GRUCell
from .wikipedia import WikipediaGRU

__all__ = [
    "ArraySpec", "ConversionRefused", "Converted", "CuDNNGRU", "Dl4mtGRU", "EpyNNGRU", "EquinoxGRU", "FlaxGRU",
    "FlaxLinenGRU", "OnnxGRU", "OnnxRun", "onnx_outputs", "own_inputs", "reads_backwards", "LAYOUTS",
    "LAYOUT_NAMES", "Layout", "cudnn_gru_weights",
    "LayoutConfig", "LayoutWeights", "PyTorchGRU", "Snippet", "TF1GRUCell", "WikipediaGRU", "caveats", "convert",
    "layout_name", "named_arrays", "native_convention", "prove", "run_layout", "snippet", "title", "to_keras",
]

"""gruviz: what a GRU computes, one timestep and one number at a time.

Pure NumPy; the Keras bridge (`gruviz.io.keras_bridge`) imports TensorFlow only when used."""

from .math.cell import Convention
from .errors import InputError
from .math.trace import Trace, run
from .math.weights import GATES, GRUConfig, GRUWeights

__all__ = ["Convention", "GATES", "GRUConfig", "GRUWeights", "InputError", "Trace", "run"]

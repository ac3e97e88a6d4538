"""gruviz: what a GRU computes, one timestep and one number at a time.

Pure NumPy; the Keras bridge (`gruviz.keras_bridge`) imports TensorFlow only when used."""

from .cell import Convention
from .errors import InputError
from .trace import Trace, run
from .weights import GATES, GRUConfig, GRUWeights

__all__ = ["Convention", "GATES", "GRUConfig", "GRUWeights", "InputError", "Trace", "run"]

"""`python -m gruviz COMMAND`: the core from a shell; every command prints JSON.

    trace         every intermediate value of a forward pass (GRU or LSTM weights, or an .onnx node)
    diagnose      why a hand calculation disagrees: the mistake that reproduces a claimed number
    backward      BPTT gradients, step by step
    convert       the same GRU in another framework's layout (Keras, PyTorch, ONNX, TF1, ...)
    params        parameter counts of a GRU (both resets) and an LSTM, as Keras counts them
    exercise      a seeded GRU to work by hand, with every mistake's numbers
    worksheet     a printable worksheet (PDF or LaTeX) for these weights
    class         start a class; print its results (CSV or JSON)
    train         train a small GRU on a toy task, one snapshot per epoch
    check-export  does an .onnx GRU compute what its source computes?
    model         a whole Keras model, layer by layer, beside model.predict

Modules: `main` (the parser and `main`), one per family: `trace` (trace, diagnose,
backward, convert), `lstm` (the LSTM's trace, params), `exercise` (exercise, worksheet),
`classes` (class), `onnx` (.onnx sources, check-export), `model`, `train`. `jsonout`
holds what they print; it imports none of them.
"""

from .main import COMMANDS, main

__all__ = ["COMMANDS", "main"]

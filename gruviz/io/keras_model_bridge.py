"""A whole model rebuilt in Keras from gruviz's own description, then `model.predict`.

The uploaded file never reaches Keras: the caller hands plain recipes, (class name,
keyword arguments, wrapped recipe or None), each checked against the classes below,
then `set_weights` with the arrays gruviz read. TensorFlow is imported lazily through
`keras_bridge.keras_module`.
"""

from __future__ import annotations

import numpy as np

from .keras_bridge import keras_activation, keras_module

BUILDABLE = ("Masking", "Embedding", "Dense", "TimeDistributed", "GlobalAveragePooling1D", "GlobalMaxPooling1D",
             "Flatten", "Activation", "Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout",
             "GRU", "LSTM", "Bidirectional")
_ACTIVATION_KEYS = ("activation", "recurrent_activation")


def _layer(recipe):
    """One keras layer from (class name, kwargs, wrapped recipe or None)."""
    keras = keras_module()
    kind, kwargs, inner = recipe
    if kind not in BUILDABLE:
        raise ValueError(f"{kind} is not a class gruviz rebuilds")
    kwargs = {k: (keras_activation(v) if k in _ACTIVATION_KEYS else v) for k, v in kwargs.items()}
    cls = getattr(keras.layers, kind)
    if kind == "Bidirectional":
        forward, backward = inner
        return cls(_layer(forward), backward_layer=_layer(backward), **kwargs)
    if inner is not None:
        return cls(_layer(inner), **kwargs)
    return cls(**kwargs)


def predict(input_shape: tuple, input_dtype: str, recipes: list, weights: list[np.ndarray], x) -> np.ndarray:
    """`model.predict` of the rebuilt Sequential on one sequence x, without the batch axis."""
    keras = keras_module()
    model = keras.Sequential([keras.Input(shape=input_shape, dtype=input_dtype), *map(_layer, recipes)])
    model.set_weights([np.asarray(w, dtype="float32") for w in weights])
    batch = np.asarray(x)[None].astype(input_dtype)
    return np.asarray(model.predict(batch, verbose=0), dtype=np.float64)[0]

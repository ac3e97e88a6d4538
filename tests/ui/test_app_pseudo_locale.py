"""Every sentence a person reads is marked for translation. The page runs in a pseudo-language
whose catalogue wraps each translated sentence in ⟦…⟧; whatever words are left outside the
markers, on any element of any view, were never handed to the catalogue. Numbers, symbols,
LaTeX commands and the names of frameworks, arguments and formats are not sentences and stay."""

from __future__ import annotations

import gettext
import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gruviz import text

APP = str(Path(__file__).resolve().parents[2] / "app.py")
OPEN, CLOSE = "⟦", "⟧"


# A placeholder's value is not part of the marked sentence: "⟦Step ⟧{t}⟦ of ⟧{T}⟦⟧", so that
# English put into a translated sentence (a name from a table, a reader's message) still shows.
PLACEHOLDER = re.compile(r"(?<!\{)\{[^{}]*\}(?!\})")


def wrapped(message: str) -> str:
    return OPEN + PLACEHOLDER.sub(lambda m: CLOSE + m.group(0) + OPEN, message) + CLOSE


class Pseudo(gettext.NullTranslations):
    def gettext(self, message):
        return wrapped(message)

    def ngettext(self, singular, plural, n):
        return wrapped(singular if n == 1 else plural)

    def pgettext(self, context, message):
        return wrapped(message)


# The element fields a person reads (labels, help, placeholders, bodies, options); ids, keys,
# icons, formats, links, typed values and code are not sentences.
READ = {"body", "label", "help", "placeholder", "options", "content", "caption", "text"}

# Words that are names, not sentences: frameworks, file formats, Keras/PyTorch arguments and
# the symbols' spelled-out names (a link shows them in every language).
NAMES = set("""
GRU LSTM RNN Keras keras TensorFlow tensorflow PyTorch pytorch torch ONNX onnx onnxruntime JAX Flax Theano EpyNN
CuDNN CuDNNGRU GRUCell TF1 TF tf nn layers JSON CSV npz npy pt pth h5 keras safetensors HDF5 PDF LaTeX PNG QR
sigmoid hard_sigmoid hard_sigmoid_legacy tanh relu linear softmax softsign softplus elu selu gelu silu swish exponential mse mse_all mse_last reset_after use_bias return_sequences
go_backwards recurrent_activation activation kernel recurrent_kernel bias units input_dim Dense Embedding
Bidirectional TimeDistributed GlobalAveragePooling1D Sequential predict float32 float64 np savez
Equinox dl4mt linen nnx adam sgd rmsprop adagrad
True False None English Español 简体中文 gruviz Stack Exchange Wikipedia Cho al et Chung arXiv http https www
""".split())
# LaTeX commands, environments and spacing a KaTeX equation is written with.
LATEX = re.compile(r"\\[A-Za-z]+|\\.|\b(?:begin|end|array|aligned|cases|matrix|pmatrix|bmatrix)\b")
WORD = re.compile(r"[^\W\d_][\w']*")  # any script's letters: Chinese outside the markers counts too
SYMBOL = re.compile(r"[^\W\d_][\d₀-₉'~]*|[A-Za-z]_\w*|[A-Za-z]{1,3}\d+")  # x, σ, h₀, W_z, h_{1}, ih0


def unmarked(value: str) -> list[str]:
    """The words of `value` outside every ⟦…⟧ that are not names or LaTeX."""
    previous = None
    while previous != value:  # a marked sentence may hold another (a placeholder filled with one)
        previous, value = value, re.sub(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}", " ", value)
    value = re.sub(r"<(style|script)\b.*?</\1>", " ", value, flags=re.S)
    value = re.sub(r"<[^>]+>|&\w+;|:material/\w+:|:[a-z]+(?:-[a-z]+)?\[|https?://\S+", " ", value)
    value = LATEX.sub(" ", value)
    return [w for w in WORD.findall(value) if w.strip("_'") not in NAMES and not SYMBOL.fullmatch(w)]


def strings(message, field: str = "") -> list[tuple[str, str]]:
    """(field name, text) of every string a protobuf element holds, nested ones included."""
    found = []
    for descriptor, value in message.ListFields():
        values = value if descriptor.is_repeated else [value]
        if descriptor.type == descriptor.TYPE_STRING:
            found += [(descriptor.name, v) for v in values]
        elif descriptor.type == descriptor.TYPE_MESSAGE:
            for v in values:
                found += strings(v, descriptor.name)
    return found


def readable(element) -> list[str]:
    """What a person reads on one element, from its protobuf."""
    texts = []
    for name, value in strings(element.proto):
        if name in READ:
            texts.append(value)
        elif name == "columns":  # a table's column labels and their tooltips
            texts += [str(c.get(key, "")) for c in json.loads(value).values() if isinstance(c, dict)
                      for key in ("label", "help")]
        elif name == "spec":  # a Plotly chart: titles, axis titles, legends, annotations
            texts += _chart_texts(json.loads(value))
    return texts


def _chart_texts(spec) -> list[str]:
    found = []
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key in ("text", "name") and isinstance(value, str):
                found.append(value)
            elif key not in ("data", "customdata", "x", "y", "z") or not _numbers(value):
                found += _chart_texts(value)
    elif isinstance(spec, list):
        for value in spec:
            found += _chart_texts(value)
    return found


def _numbers(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, (int, float, list)) for v in value[:5])


def elements(node):
    for child in (node.children.values() if isinstance(getattr(node, "children", None), dict) else ()):
        if getattr(child, "proto", None) is not None:
            yield child
        yield from elements(child)


def leaks(at: AppTest) -> list[str]:
    found = []
    for element in elements(at._tree):
        for value in readable(element):
            words = unmarked(value)
            if words:
                found.append(f"{type(element).__name__}: {' '.join(dict.fromkeys(words))} ← {value[:120]!r}")
    return sorted(set(found))


@pytest.fixture
def pseudo(monkeypatch):
    monkeypatch.setattr(text, "translation", lambda language: Pseudo())


# --- the check itself can fail --------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("⟦Step {t} of {T}⟧", []),
    (wrapped("{who} says {n}").format(who="the asker", n=3), ["the", "asker"]),
    (wrapped("{{not a placeholder}} {n}").format(n=3), []),
    (":green-badge[:material/check: ⟦match⟧]", []),
    ("Step 2 of 4", ["Step", "of"]),
    ("⟦Step⟧ 2 ⟦of⟧ 4", []),
    (r"z_1 = \sigma(x_1 W_z + b_z) = 0.2871", []),
    (r"\text{⟦update gate⟧}\ z_t", []),
    (r"\text{update gate}\ z_t", ["update", "gate"]),
    ("keras.layers.GRU(units=2, reset_after=True)", []),
    ("⟦Compare with⟧ keras.layers.GRU and more", ["and", "more"]),
    ("⟦outer ⟦inner⟧ outer⟧ tail words", ["tail", "words"]),
    ('<span class="katex">⟦Hi⟧</span>', []),
])
def test_the_check_finds_words_outside_the_markers(value, expected):
    assert unmarked(value) == expected


# --- every view -----------------------------------------------------------------------------------

VIEWS = {
    "one step": {}, "check": {"view": "Check my calculation"}, "gates": {"view": "Gates over time"},
    "layout": {"view": "Weight layout"}, "frameworks": {"view": "Frameworks"}, "backward": {"view": "Backward"},
    "lstm": {"view": "GRU vs LSTM"}, "model": {"view": "Whole model"}, "train": {"view": "Train"},
    "presenter": {"present": "true", "step": "2", "reveal": "true"},
    "exercise": {"exercise": "7", "mode": "student"}, "exercise key": {"exercise": "7", "mode": "teacher"},
    "class start": {"class": "new"}, "class join": {"class": ""},
    "bad sequence": {"seq": "1, 2; x"}, "bad state": {"seq": "1; 2", "h0": "0, 0, nan"},
}


@pytest.mark.parametrize("view", list(VIEWS))
def test_no_view_shows_a_sentence_outside_the_catalogue(pseudo, view):
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update(VIEWS[view])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert leaks(at) == []

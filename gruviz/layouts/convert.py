"""Move one GRU between layouts exactly, or refuse and say why; prove it on a sequence.

Every conversion goes through the Keras layout: source.to_keras(), then the exact
rewrites the target needs (update rule, reset placement, recurrent bias), then the
target's plain array mapping. Nothing here runs a GRU except `prove`, which uses
the one trace.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..math.cell import Convention
from ..errors import InputError
from ..math.trace import Trace, run
from ..math.weights import GRUWeights
from ..text import _, ngettext
from . import keras
from .base import Layout
from .dl4mt import Dl4mtGRU
from .epynn import EpyNNGRU
from .exact import ConversionRefused, can_negate_z, negate_refusal, negate_z, prepared
from .onnx import OnnxGRU
from .porting import CuDNNGRU, EquinoxGRU, FlaxGRU, FlaxLinenGRU
from .pytorch import PyTorchGRU
from .tf1 import TF1GRUCell
from .wikipedia import WikipediaGRU

LayoutWeights = (GRUWeights | PyTorchGRU | TF1GRUCell | Dl4mtGRU | EpyNNGRU | WikipediaGRU | OnnxGRU | CuDNNGRU
                 | FlaxGRU | FlaxLinenGRU | EquinoxGRU)
LAYOUTS: dict[str, type[Layout]] = {
    cls.NAME: cls for cls in (PyTorchGRU, TF1GRUCell, Dl4mtGRU, EpyNNGRU, WikipediaGRU, OnnxGRU, CuDNNGRU, FlaxGRU,
                              FlaxLinenGRU, EquinoxGRU)
}
LAYOUT_NAMES = (keras.NAME, *LAYOUTS)
_RULES = {Convention.KERAS: "h = z⊙h' + (1−z)⊙h~", Convention.BAHDANAU: "h = (1−z)⊙h' + z⊙h~"}


def layout_name(weights: LayoutWeights) -> str:
    return keras.NAME if isinstance(weights, GRUWeights) else weights.NAME


def title(name: str) -> str:
    return keras.TITLE if name == keras.NAME else LAYOUTS[name].TITLE


def native_convention(name: str) -> Convention:
    return keras.CONVENTION if name == keras.NAME else LAYOUTS[name].CONVENTION


def to_keras(weights: LayoutWeights) -> tuple[GRUWeights, Convention]:
    """Keras weights computing what `weights` compute, and the update rule to run them with."""
    if isinstance(weights, GRUWeights):
        return weights, keras.CONVENTION
    return weights.to_keras()


def named_arrays(weights: LayoutWeights) -> dict[str, np.ndarray]:
    """The arrays under the framework's own names, in its order."""
    return keras.arrays(weights) if isinstance(weights, GRUWeights) else weights.arrays()


def reads_backwards(weights: LayoutWeights) -> bool:
    """True for an ONNX node with direction="reverse": it reads the sequence from its end."""
    return bool(getattr(weights, "reads_backwards", False))


def own_inputs(weights: LayoutWeights, x, h0=None, mask=None):
    """x, h0 and mask with what the weights carry applied (an ONNX node's sequence_lens
    and initial_h); unchanged for every other layout."""
    if isinstance(weights, OnnxGRU):
        return weights.run_inputs(x, h0, mask)
    return x, h0, mask


def run_layout(
    weights: LayoutWeights,
    x,
    h0=None,
    convention: Convention | str | None = None,
    go_backwards: bool = False,
    mask=None,
) -> Trace:
    """Trace any layout through the one Keras-exact trace. `convention` None means the
    layout's own update rule; the Trace's weights are the Keras form. go_backwards is
    relative to the layout's own reading order (an ONNX reverse node already reads backwards)."""
    keras_weights, own = to_keras(weights)
    x, h0, mask = own_inputs(weights, x, h0, mask)
    backwards = go_backwards != reads_backwards(weights)
    return run(keras_weights, x, h0, own if convention is None else convention, backwards, mask)


@dataclass(frozen=True, eq=False)
class Converted:
    weights: LayoutWeights
    convention: Convention  # the update rule under which `weights` compute what the source computed
    notes: tuple[str, ...]  # every rewrite made, for people
    go_backwards: bool = False  # the target must read the sequence the other way round to match the source

    @property
    def layout(self) -> str:
        return layout_name(self.weights)

    @property
    def native(self) -> bool:
        """True when the target framework's own update rule is the one needed."""
        return self.convention is native_convention(self.layout)


def convert(
    source: LayoutWeights,
    to_layout: str,
    keep_rule: bool | None = None,
    convention: Convention | str | None = None,
) -> Converted:
    """`source` in layout `to_layout`, exactly, or ConversionRefused saying why not.

    When the two layouts use different update rules (Wikipedia's versus everyone
    else's), keep_rule=False negates z's parameters (exact for sigmoid and hard
    sigmoid gates), keep_rule=True keeps the arrays and the source's rule, and None
    negates when that is exact and keeps the rule otherwise. `convention` is the rule
    `source` is run with, if not its layout's own."""
    if to_layout not in LAYOUT_NAMES:
        raise InputError(_("unknown layout {layout}; choose one of {choices}.").format(
            layout=repr(to_layout), choices=", ".join(LAYOUT_NAMES)))
    w, rule = to_keras(source)
    if convention is not None:
        rule = Convention(convention)
    target = LAYOUTS.get(to_layout)
    notes: list[str] = list(_carried_notes(source))
    if target is not None and target.RESET_AFTER is not None:  # None: holds either placement (ONNX)
        w, placement = prepared(w, target)
        notes += placement
    wanted = native_convention(to_layout)
    if rule is not wanted:
        w, rule, note = _change_rule(w, rule, wanted, keep_rule, title(layout_name(source)), title(to_layout))
        notes.append(note)
    converted = w if target is None else target._from_prepared(w)
    backwards = reads_backwards(source) != reads_backwards(converted)
    return Converted(converted, rule, tuple(notes), backwards)


def _carried_notes(source: LayoutWeights) -> tuple[str, ...]:
    """What an ONNX node carries besides weights, which other layouts take as run options."""
    if not isinstance(source, OnnxGRU):
        return ()
    notes = []
    if source.reads_backwards:
        notes.append(_("direction=\"reverse\" reads the sequence from its last step: run the converted GRU "
                       "backwards (Keras go_backwards=True, or flip the input); ONNX's Y is in input order, Keras's "
                       "sequence output in processing order."))
    if source.initial_h is not None:
        notes.append(_("initial_h is an input of the node, not a weight: pass it as the initial state "
                       "(Keras initial_state, PyTorch h0)."))
    if source.sequence_lens is not None:
        steps = int(source.sequence_lens[0])
        notes.append(ngettext("sequence_lens={steps} is an input of the node: feed only the first {steps} step.",
                              "sequence_lens={steps} is an input of the node: feed only the first {steps} steps.",
                              steps).format(steps=steps))
    return tuple(notes)


def _change_rule(w: GRUWeights, rule: Convention, wanted: Convention, keep_rule: bool | None,
                 source: str, target: str) -> tuple[GRUWeights, Convention, str]:
    gate = w.config.recurrent_activation
    names = dict(source=source, target=target, rule=rule.value, equation=_RULES[rule], wanted=_RULES[wanted],
                 gate=gate)
    head = _("{source} → {target} changes the update rule ({rule}: {equation}; {target}: {wanted}):").format(**names)
    if keep_rule is False and not can_negate_z(gate):
        raise ConversionRefused(_joined(head, negate_refusal(gate)))
    if not keep_rule and can_negate_z(gate):
        return negate_z(w), wanted, _joined(head, _(
            "negated z's parameters (W_z, U_z and z's biases), exact because σ(−a) = 1 − σ(a) for {gate}. "
            "keep_rule=True (--keep-rule) would keep the arrays and the {rule} rule instead.").format(**names))
    if keep_rule:
        kept = _("kept the {rule} rule. These arrays reproduce the source only when run with the {rule} rule "
                 "(--convention {rule}); a real {target} computes {wanted}.")
    else:
        kept = _("kept the {rule} rule (negating z is not exact for {gate} gates). These arrays reproduce the "
                 "source only when run with the {rule} rule (--convention {rule}); a real {target} computes "
                 "{wanted}.")
    return w, rule, _joined(head, kept.format(**names))


def _joined(head: str, rest: str) -> str:
    """The update-rule head ("… changes the update rule (…):") and what was done about it."""
    return _("{head} {rest}").format(head=head, rest=rest)


def prove(source: LayoutWeights, converted: Converted, x, h0=None, go_backwards: bool = False, mask=None,
          convention: Convention | str | None = None) -> float:
    """The largest difference between the two on one input, each run with its rule:
    ~1e-15 for an exact conversion. What the source carries (an ONNX node's initial_h and
    sequence_lens) feeds both runs; both read the steps in the same order."""
    x, h0, mask = own_inputs(source, x, h0, mask)
    before = run_layout(source, x, h0, convention, go_backwards, mask)
    after = run_layout(converted.weights, x, h0, converted.convention, go_backwards != converted.go_backwards, mask)
    return float(np.max(np.abs(before.sequence_output - after.sequence_output)))

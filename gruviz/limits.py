"""How big an example may be, in one place.

Two sets: the app answers a class of 30 on one machine, so a rerun at its limits
must stay under about a second; the CLI is the batch path and allows more. Every
source of weights (typed, pasted, uploaded, a link, the CLI) is checked against the
core caps in `GRUConfig`, and the app checks its own, tighter ones at its edge."""

from __future__ import annotations

import os
from dataclasses import dataclass
from math import prod

from .errors import InputError
from .text import N_, _, count, decimal, ngettext


@dataclass(frozen=True)
class Limits:
    max_units: int
    max_input_dim: int
    max_steps: int
    max_text_chars: int  # one typed or pasted box
    max_array_elements: int  # one weight array
    max_total_elements: int  # all weight arrays of one layer together
    max_file_bytes: int  # one uploaded or named file
    # `diagnose` runs ~200 candidate runs of the whole sequence and keeps them all: timesteps × units
    # at most this (20,000: about 10 s on one core at 1 unit, and a few hundred MB at the widest layer).
    max_diagnose_cells: int = 20_000
    # Who applies these limits and where to go beyond them, as messages name them: sentences marked
    # with N_ where the limits are defined and translated where a message uses them, _(limits.who).
    who: str = "gruviz"
    instead: str = ""  # empty when nowhere exists (never _(""), the catalogue's header)

    def describe(self) -> str:
        return _("units ≤ {units}, input features ≤ {features}, timesteps ≤ {steps}").format(
            units=self.max_units, features=self.max_input_dim, steps=count(self.max_steps))

    def check_layer(self, units: int, input_dim: int) -> None:
        """Refuse a layer over the unit or feature cap, before its arrays are allocated."""
        for name, value, cap in (("units", units, self.max_units), ("input_dim", input_dim, self.max_input_dim)):
            if value > cap:
                if self.instead:
                    message = _("{name}={value} is more than {who} shows (at most {cap}): save a smaller layer; "
                                "{instead}.")
                else:
                    message = _("{name}={value} is more than {who} shows (at most {cap}): save a smaller layer.")
                raise InputError(message.format(name=name, value=f"{value:,}", who=_(self.who), cap=count(cap),
                                                instead=_(self.instead) if self.instead else ""))

    def check_diagnose(self, steps: int, units: int) -> None:
        """Refuse a diagnosis too big to run every mistake and pair on, before the first run."""
        if steps * units > self.max_diagnose_cells:
            raise InputError(_(
                "diagnose compares about 200 runs (every known mistake and pair of mistakes) over the whole sequence "
                "and keeps them all: {steps} × {units} is more than it allows ({cap}). Claim the output of a "
                "shorter sequence (its first timesteps) or of a layer with fewer units."
            ).format(steps=ngettext("{count} timestep", "{count} timesteps", steps).format(count=count(steps)),
                     units=ngettext("{count} unit", "{count} units", units).format(count=count(units)),
                     cap=count(self.max_diagnose_cells)))

    def check_arrays(self, shapes: dict[str, tuple[int, ...]]) -> None:
        """Refuse arrays over the element caps from their declared shapes, before reading them."""
        for name, shape in shapes.items():
            n = prod(shape)
            if n > self.max_array_elements:
                raise InputError(ngettext("{name} has {n} number {shape}; the limit is {cap} per array ({limits}).",
                                          "{name} has {n} numbers {shape}; the limit is {cap} per array ({limits}).",
                                          n).format(name=name, n=count(n), shape=tuple(shape),
                                                    cap=count(self.max_array_elements), limits=self.describe()))
        total = sum(prod(shape) for shape in shapes.values())
        if total > self.max_total_elements:
            raise InputError(ngettext("the layer's arrays hold {n} number together; the limit is {cap} ({limits}).",
                                      "the layer's arrays hold {n} numbers together; the limit is {cap} ({limits}).",
                                      total).format(n=count(total), cap=count(self.max_total_elements),
                                                    limits=self.describe()))


# The hard caps of the core: no GRUConfig is ever bigger, whatever reads it.
CORE = Limits(max_units=1024, max_input_dim=1024, max_steps=100_000, max_text_chars=20_000_000,
              max_array_elements=4_000_000, max_total_elements=8_000_000, max_file_bytes=20 * 2**20)

# What one interactive session may ask of the shared server.
APP = Limits(max_units=32, max_input_dim=32, max_steps=400, max_text_chars=40_000,
             # per array: an LSTM's four gate blocks at 32 units, (32, 128); together: a GRU's kernel,
             # recurrent kernel and two bias rows, also above an LSTM's 32·128·2 + 128
             max_array_elements=32 * 128, max_total_elements=3 * 32 * 96 + 2 * 96,
             max_file_bytes=5 * 2**20, who=N_("the app"),
             instead=N_("use the command line (python -m gruviz) for larger examples"))

CLI = CORE


@dataclass(frozen=True)
class FileLimits:
    """What reading one untrusted file may cost. The reader runs in a child process
    (`gruviz.io.sandbox`) under these limits; the structural caps also stop a file
    whose links loop or whose archive inflates far beyond its size."""

    max_unpacked_bytes: int  # all members of a zip (.keras, .npz) together, decompressed
    max_objects: int  # HDF5 links, groups and attributes, or archive members
    max_depth: int  # HDF5 groups inside groups
    max_attribute_bytes: int  # one HDF5 attribute as declared
    seconds: float  # wall clock for one read, child start included
    memory_bytes: int  # address space the child may add once it has started

    def check_zip(self, infos, what: str) -> None:
        """Refuse a zip bomb from the members' declared sizes, before anything is decompressed."""
        infos = list(infos)
        if len(infos) > self.max_objects:
            raise InputError(ngettext("{what} has {n} member; the limit is {cap}.",
                                      "{what} has {n} members; the limit is {cap}.",
                                      len(infos)).format(what=what, n=count(len(infos)), cap=count(self.max_objects)))
        cap = self.max_unpacked_bytes
        for info in infos:
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > cap or (info.file_size > 2**20 and ratio > 100):
                raise InputError(_(
                    "{member} in {what} would unpack to {size} MB from {packed} MB (a zip bomb?); gruviz unpacks at "
                    "most {cap} MB."
                ).format(member=info.filename, what=what, size=count(round(info.file_size / 2**20)),
                         packed=decimal(info.compress_size / 2**20, 2), cap=count(cap // 2**20)))
        total = sum(info.file_size for info in infos)
        if total > cap:
            raise InputError(_("{what} would unpack to {size} MB; the limit is {cap} MB.").format(
                what=what, size=count(round(total / 2**20)), cap=count(cap // 2**20)))


READ_SECONDS_ENV = "GRUVIZ_READ_SECONDS"
READ_SECONDS = (10.0, 1.0, 600.0)  # default, least, most


def read_seconds() -> float:
    """How long reading one file may take: GRUVIZ_READ_SECONDS when an operator sets a number in
    range (a slow server may need longer), else 10 s. The reader's child inherits the setting."""
    default, least, most = READ_SECONDS
    try:
        seconds = float(os.environ.get(READ_SECONDS_ENV, default))
    except ValueError:
        return default
    return seconds if least <= seconds <= most else default


FILES = FileLimits(max_unpacked_bytes=64 * 2**20, max_objects=10_000, max_depth=32,
                   max_attribute_bytes=2**20, seconds=read_seconds(), memory_bytes=256 * 2**20)


@dataclass(frozen=True)
class TrainLimits:
    """How much training one request may ask for: the layer, the data and the epochs
    bound the work of a run, so a class's server trains in seconds, not minutes."""

    max_units: int
    max_length: int  # timesteps per sequence
    max_sequences: int  # training sequences
    max_epochs: int
    max_seconds: float | None = None  # wall clock for one run, where a server shares its cores


TRAIN_CLI = TrainLimits(max_units=8, max_length=100, max_sequences=2000, max_epochs=5000)
# units=8, 30 steps: about 0.2 s an epoch on a busy 2-core machine, so the clock is what binds
TRAIN_APP = TrainLimits(max_units=8, max_length=30, max_sequences=500, max_epochs=400, max_seconds=60.0)

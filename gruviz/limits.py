"""How big an example may be, in one place.

Two sets: the app answers a class of 30 on one machine, so a rerun at its limits
must stay under about a second; the CLI is the batch path and allows more. Every
source of weights (typed, pasted, uploaded, a link, the CLI) is checked against the
core caps in `GRUConfig`, and the app checks its own, tighter ones at its edge."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_units: int
    max_input_dim: int
    max_steps: int
    max_text_chars: int  # one typed or pasted box
    max_array_elements: int  # one weight array
    max_total_elements: int  # all weight arrays of one layer together
    max_file_bytes: int  # one uploaded or named file

    def describe(self) -> str:
        return (f"units ≤ {self.max_units}, input features ≤ {self.max_input_dim}, "
                f"timesteps ≤ {self.max_steps:,}")


# The hard caps of the core: no GRUConfig is ever bigger, whatever reads it.
CORE = Limits(max_units=1024, max_input_dim=1024, max_steps=100_000, max_text_chars=20_000_000,
              max_array_elements=4_000_000, max_total_elements=8_000_000, max_file_bytes=20 * 2**20)

# What one interactive session may ask of the shared server.
APP = Limits(max_units=32, max_input_dim=32, max_steps=400, max_text_chars=40_000,
             max_array_elements=32 * 96, max_total_elements=3 * 32 * 96 + 2 * 96,
             max_file_bytes=5 * 2**20)

CLI = CORE

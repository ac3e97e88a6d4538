"""Training a small GRU with a Dense readout on toy sequence tasks, in NumPy.

`tasks` makes the data, `batch` runs the GRU forward and backward over a batch of
sequences with the rules of `gruviz.math.cell` and `gruviz.math.cell_backward`,
`readout` adds the Dense layer and the loss, `optim` holds SGD and Adam, and
`loop` trains, keeping one `Snapshot` per epoch."""

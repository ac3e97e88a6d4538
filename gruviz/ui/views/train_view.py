"""The "Train" view: pick a toy task, train a small GRU in the background, watch the loss
fall, scrub through the epochs, compare the gates before and after, and hand the weights
of any epoch to the rest of the app.

Training runs in a thread of its own per session (`Job`), never in the script: the page
polls it from a fragment while it runs. `TRAIN_APP` bounds each run and `_TRAINERS`
lets one run train at a time per server process: a training thread shares the
interpreter with every session's script, and beside one trainer another session's
computation took 1.1x its time, beside two 3x (benchmarks/train_tasks.py's machine).
A run waiting for its turn says so and can be stopped."""

from __future__ import annotations

import logging
import threading
import time

import altair as alt
import pandas as pd
import streamlit as st

from ...errors import InputError
from ...limits import TRAIN_APP
from ...math.trace import Trace, run
from ...train.describe import learned
from ...train.loop import Snapshot, TrainConfig, fit
from ...train.tasks import TASKS, Data
from ...explain import figures_train
from ...explain.palette import PALETTE
from ... import text
from ...text import N_, _, ngettext
from ..kit import charts, language, state

log = logging.getLogger("gruviz.ui")
POLL_SECONDS = 0.5
CONCURRENT_RUNS = 1
_TRAINERS = threading.BoundedSemaphore(CONCURRENT_RUNS)
_DEFAULT_LR = {"adam": 0.01, "sgd": 0.1}
# The tasks' names as a person reads them; the keys are TASKS' names, the values the links and code use.
TASK_NAMES = {"remember_first": N_("remember first"), "count": N_("count"), "parity": N_("parity"),
              "delay": N_("delay"), "reset": N_("reset")}
FAILED = N_("training failed unexpectedly (logged on the server); try other settings.")


def task_name(task: str) -> str:
    """A task's name in the person's language ("remember first" for remember_first)."""
    return _(TASK_NAMES[task]) if task in TASK_NAMES else task.replace("_", " ")


class Job:
    """One session's training run. Its thread appends snapshots and sets `done`; the page only reads."""

    def __init__(self, config: TrainConfig):
        config.check(TRAIN_APP)
        self.config, self.evals = config, config.eval_data()
        self.snapshots: list[Snapshot] = []  # list.append is atomic: the page reads it while it grows
        self.stop, self.error, self.waiting, self.done = threading.Event(), None, True, False
        self.out_of_time = False
        self.started = time.perf_counter()
        self.seconds = 0.0
        self.language = text.language()  # a thread starts in English: a refusal raised in it is in this one
        self.thread = threading.Thread(target=self._run, name="gruviz-train", daemon=True)

    def start(self) -> "Job":
        self.thread.start()
        return self

    def _run(self) -> None:
        text.use(self.language)
        while not _TRAINERS.acquire(timeout=0.2):  # wait for a free trainer, still stoppable
            if self.stop.is_set():
                self.done = True
                return
        try:
            self.waiting, began = False, time.perf_counter()
            for snapshot in fit(self.config, TRAIN_APP):
                self.snapshots.append(snapshot)
                self.seconds = time.perf_counter() - began
                self.out_of_time = TRAIN_APP.max_seconds is not None and self.seconds > TRAIN_APP.max_seconds
                if self.stop.is_set() or self.out_of_time:
                    break
                time.sleep(0.001)  # hand the interpreter to other sessions between epochs
        except InputError as problem:
            self.error = str(problem)
        except Exception:  # a bug must not die silently in a thread: the page says so
            log.exception("training failed")
            self.error = FAILED  # translated where it is shown
        finally:
            _TRAINERS.release()
            self.done = True

    @property
    def running(self) -> bool:
        return not self.done


def _job() -> Job | None:
    return st.session_state.get("train_job")


def _controls() -> TrainConfig:
    ss = st.session_state
    task = st.selectbox(_("Task"), list(TASKS), key="train_task", format_func=task_name)
    st.caption(_(TASKS[task].story))
    cols = st.columns(6)
    units = cols[0].number_input(_("Units"), 1, TRAIN_APP.max_units, 4, key="train_units")
    length = cols[1].number_input(_("Sequence length"), TASKS[task].min_length, TRAIN_APP.max_length,
                                  TASKS[task].default_length, key=f"train_length_{task}",
                                  help=_("Longer sequences make the task harder."))
    epochs = cols[2].number_input(_("Epochs"), 1, TRAIN_APP.max_epochs, 60, key="train_epochs")
    optimizer = cols[3].selectbox(_("Optimizer"), ["adam", "sgd"], key="train_optimizer",
                                  help=_("Adam, or SGD with momentum {momentum}; gradients are clipped to norm 1.").format(
                                      momentum=text.decimal(0.9, 1)))
    lr = cols[4].number_input(_("Learning rate"), 1e-4, 10.0, _DEFAULT_LR[optimizer], format="%.4f",
                              key=f"train_lr_{optimizer}")
    seed = cols[5].number_input(_("Seed"), 0, 2**31 - 1, 0, key="train_seed")
    ss.setdefault("train_applied", None)
    return TrainConfig(task=task, units=int(units), length=int(length), epochs=int(epochs),
                       optimizer=optimizer, lr=float(lr), seed=int(seed))


def _start(config: TrainConfig) -> None:
    if _job() is not None and _job().running:
        return
    st.session_state.pop("train_epoch", None)  # a new run's scrubber starts at its own last epoch
    try:
        st.session_state.train_job = Job(config).start()
    except InputError as problem:
        st.session_state.train_problem = str(problem)


def render() -> None:
    ss = st.session_state
    if ss.pop("train_rerun", False):  # the weights moved to the rest of the page: redraw all of it
        st.rerun(scope="app")
    config = _controls()
    job = _job()
    busy = job is not None and job.running
    left, right, _rest = st.columns([1, 1, 4])
    if left.button(_("Train"), type="primary", disabled=busy, key="train_start", icon=":material/play_arrow:"):
        ss.pop("train_problem", None)
        _start(config)
        st.rerun(scope="app")  # draw Train disabled and Stop enabled for the run that just began
    right.button(_("Stop"), disabled=not busy, key="train_stop", icon=":material/stop:",
                 on_click=lambda: _job() and _job().stop.set())
    if ss.get("train_problem"):
        st.error(ss.train_problem, icon=":material/error:")
    job = _job()
    if job is None:
        st.caption(_("Trains on {sequences} sequences of the task and evaluates on {others} others, in the "
                     "background: the rest of the page stays usable.").format(sequences=config.sequences,
                                                                               others=config.eval_sequences))
    elif job.running:
        _live()
    else:
        _finished(job)


@st.fragment(run_every=POLL_SECONDS)
def _live() -> None:
    job = _job()
    if job is None or not job.running:
        st.rerun(scope="app")  # the run ended: draw the scrubber and the gates
        return
    if job.waiting:
        st.info(_("Waiting for a free trainer: other runs are training on this server."),
                icon=":material/hourglass:")
        return
    done = max(len(job.snapshots) - 1, 0)
    st.progress(done / job.config.epochs, text=_("Epoch {n} of {total}").format(n=done, total=job.config.epochs))
    if job.snapshots:
        charts.show(_loss_chart(job.snapshots), _loss_text(job.snapshots), key="train_loss_live")


def _loss_text(snapshots: list[Snapshot]):
    return figures_train.loss_text([s.epoch for s in snapshots], [s.loss for s in snapshots],
                                   [s.train_loss for s in snapshots])


def _loss_chart(snapshots: list[Snapshot]) -> alt.Chart:
    data = (_("evaluation"), _("training"))
    rows = [{"epoch": s.epoch, "loss": value, "data": name} for s in snapshots
            for name, value in zip(data, figures_train.loss_values((s.loss, s.train_loss)))]
    return alt.Chart(pd.DataFrame(rows)).mark_line().encode(
        x=alt.X("epoch:Q", title=_("epoch")), y=alt.Y("loss:Q", scale=alt.Scale(type="log"), title=_("loss (MSE)")),
        color=alt.Color("data:N", title=None, scale=alt.Scale(domain=data, range=list(PALETTE[:2]))),
        strokeDash=alt.StrokeDash("data:N", title=None, scale=alt.Scale(domain=data, range=[[1, 0], [6, 3]])),
    ).properties(height=220)


def _gate_chart(trace: Trace, title: str) -> alt.Chart:
    """z solid and r dashed, a colour and a marker per unit (the app's palette, 3:1 on white)."""
    scale = figures_train.unit_scale(trace.weights.config.units)
    unit = {"color": alt.Color("unit:N", title=_("unit"), legend=alt.Legend(orient="right"),
                               scale=alt.Scale(domain=scale["domain"], range=scale["colors"])),
            "shape": alt.Shape("unit:N", title=_("unit"), scale=alt.Scale(domain=scale["domain"], range=scale["shapes"]))}
    base = alt.Chart(pd.DataFrame(figures_train.gate_rows(trace)), title=title).encode(
        x=alt.X("step:O", title=_("step"), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", scale=alt.Scale(domain=[0, 1]), title=None))
    lines = base.mark_line().encode(color=unit["color"], detail=["unit:N", "gate:N"],
                                    strokeDash=alt.StrokeDash("gate:N", sort=["z", "r"], legend=None))
    return (lines + base.mark_point(filled=True, size=45).encode(**unit)).properties(height=240)


def _finished(job: Job) -> None:
    snapshots = job.snapshots
    if job.error:
        st.error(_(job.error), icon=":material/error:")
    if not snapshots:
        st.caption(_("The run was stopped before its first epoch."))
        return
    first, last = snapshots[0], snapshots[-1]
    n, limit = last.epoch, ""
    if last.epoch >= job.config.epochs:
        ended = ngettext("Trained after {n} epoch in {seconds} s", "Trained after {n} epochs in {seconds} s", n)
    elif job.out_of_time:
        ended, limit = ngettext("Stopped at the {limit} s limit after {n} epoch in {seconds} s",
                                "Stopped at the {limit} s limit after {n} epochs in {seconds} s", n), \
            f"{TRAIN_APP.max_seconds:g}"
    else:
        ended = ngettext("Stopped after {n} epoch in {seconds} s", "Stopped after {n} epochs in {seconds} s", n)
    st.caption(_("{ended}: evaluation loss {first} → {last}, {accuracy} for {share} of the outputs.").format(
        ended=ended.format(n=n, seconds=f"{job.seconds:.1f}", limit=limit), first=f"{first.loss:.4g}",
        last=f"{last.loss:.4g}", accuracy=_(TASKS[job.config.task].accuracy_name), share=f"{last.accuracy:.0%}"))
    charts.show(_loss_chart(snapshots), _loss_text(snapshots), key="train_loss")
    scrub, pick = st.columns([3, 1])
    epoch = 0  # a run stopped before its first epoch ended has nothing to scrub (a slider needs two ends)
    if last.epoch:
        epoch = scrub.slider(_("Epoch"), 0, last.epoch, last.epoch, key="train_epoch", on_change=_follow)
    example = pick.number_input(_("Example sequence"), 1, len(job.evals.x), 1, key="train_example",
                                on_change=_follow)
    shown = snapshots[min(epoch, len(snapshots) - 1)]
    x = job.evals.x[example - 1]  # (T, D)
    before, after = run(first.model.gru, x), run(shown.model.gru, x)
    left, right = st.columns(2)
    for where, trace, title, key in ((left, before, _("Before training (epoch 0): z solid, r dashed"), "train_before"),
                                     (right, after, _("Epoch {n}: z solid, r dashed").format(n=shown.epoch),
                                      "train_after")):
        charts.show(_gate_chart(trace, title), figures_train.gates_text(trace, title), key=key, where=where)
    for sentence in learned(first.model.gru, shown.model.gru, x):
        st.markdown(f"- {sentence}")
    _example_table(job.evals, example - 1, shown)
    norms = shown.grad_norms
    st.caption(_("Epoch {epoch}: evaluation loss {loss}, gradient norms ‖∂W‖ {kernel}, ‖∂U‖ {recurrent}, "
                 "‖∂b‖ {bias}, readout {readout}.").format(
        epoch=shown.epoch, loss=f"{shown.loss:.4g}", kernel=f"{norms.kernel:.3g}",
        recurrent=f"{norms.recurrent_kernel:.3g}", bias=f"{norms.bias:.3g}", readout=f"{norms.dense_kernel:.3g}"))
    use, follow = st.columns([1, 2])
    use.button(_("Use these weights"), key="train_use", on_click=_apply, icon=":material/input:",
               help=_("This epoch's GRU and this example sequence become the app's example (and its link); "
                      "the Dense readout stays here."))
    follow.toggle(_("Show the scrubbed epoch in every view"), key="train_follow", on_change=_follow)


def _example_table(evals: Data, n: int, shown: Snapshot) -> None:
    prediction = shown.model.predict(evals.x[n : n + 1])[0, :, 0]  # (T,)
    rows = {_("input"): [", ".join(f"{v:g}" for v in row) for row in evals.x[n]],
            _("target"): [f"{v:.3f}" if s else "–" for v, s in zip(evals.y[n, :, 0], evals.scored)],
            _("output at epoch {epoch}").format(epoch=shown.epoch): [f"{v:.3f}" for v in prediction]}
    steps = pd.RangeIndex(1, len(prediction) + 1, name=_("step"))
    st.dataframe(pd.DataFrame(rows, index=steps).T, width="stretch")


def _apply() -> None:
    """Callback: the scrubbed epoch's GRU and the example become the app's current example."""
    ss, job = st.session_state, _job()
    if job is None or not job.snapshots:
        return
    language.start()  # a callback runs before the page sets the run's language, and this one writes a note
    shown = job.snapshots[min(int(ss.get("train_epoch", 0)), len(job.snapshots) - 1)]
    x = job.evals.x[int(ss.train_example) - 1]
    ss.seq_text, ss.h0_text, ss.mask_text, ss.go_backwards = state.sequence_text(x), "", "", False
    state.set_weights(shown.model.gru, notes=(_("Trained on the {task} task, epoch {epoch} of {last}.").format(
        task=task_name(job.config.task), epoch=shown.epoch, last=job.snapshots[-1].epoch),))
    ss.train_applied, ss.train_rerun = (id(job), shown.epoch, int(ss.train_example)), True


def _follow() -> None:
    if st.session_state.get("train_follow"):
        _apply()

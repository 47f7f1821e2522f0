"""`probe`: with a `[probe]` table, linear (and other) probes on every layer's features after
every stage and on the untrained model (see `forgetlab.probing.prober.Prober`); the run's
results gain the `probing` section (P, P0, gaps, CKA, geometry) and scores.csv its rows."""

from __future__ import annotations

from forgetlab.observers.base import History, Observer, ObserverEnv, StageView, register
from forgetlab.probing.spec import ProbeSpec


@register("probe", help="probes on every layer after every stage (P next to R)")
class Probing(Observer):
    section = "probe"
    Spec = ProbeSpec

    def __init__(self, prober) -> None:
        self.prober = prober

    @classmethod
    def check(cls, spec, mode: str) -> None:
        from forgetlab.errors import SpecError
        from forgetlab.streams import is_generative

        if spec.probe is not None and is_generative(spec.stream):
            raise SpecError("probe: a generative (chat) stream has no classes to probe")

    @classmethod
    def build(cls, spec, env: ObserverEnv) -> Probing | None:
        if spec.probe is None:
            return None
        from forgetlab.probing.prober import Prober

        features = env.run_dir / "features" if env.run_dir is not None else None
        prober = Prober(spec.probe, env.stream, env.learner, env.device, features, seed=spec.seed)
        return cls(prober)

    def wants_hidden(self, stage: int) -> bool:
        return self.prober.needs_hidden()

    def on_hidden(self, task: int, batch, hidden_states) -> None:
        self.prober.on_hidden(task, batch, hidden_states)

    def on_predicted(self, task: int, batch, predicted) -> None:
        self.prober.on_predicted(task, batch, predicted)

    def before_stream(self, view: StageView) -> None:
        self.prober.observe(-1)

    def after_stage(self, view: StageView) -> None:
        self.prober.observe(view.stage)

    def results(self, history: History) -> dict:
        return {"probing": self.prober.results(history.accuracy_matrix())}

    def score_rows(self, history: History) -> list[tuple]:
        return self.prober.score_rows()

    def state_dict(self) -> dict:
        return self.prober.state_dict()

    def load_state_dict(self, state: dict) -> None:
        if state:
            self.prober.load_state_dict(state)

"""How far the judges agree with the human labels: accuracy and Cohen's kappa per judge.

Only labels that speak to a judge's question are used: relevance sees good vs not_answerable
candidates, generality sees good vs too_general/missing_context, fidelity sees the styled pairs."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from personaqa.optimize.judges import JudgePanel
from personaqa.optimize.labels import LabelledExample


@dataclass
class Agreement:
    judge: str
    n: int
    accuracy: float
    kappa: float
    human_positive_rate: float
    judge_positive_rate: float

    def as_row(self) -> dict:
        return asdict(self)


def _agreement(judge: str, human: list[bool], predicted: list[bool]) -> Agreement:
    n = len(human)
    if n == 0:
        return Agreement(judge, 0, float("nan"), float("nan"), float("nan"), float("nan"))
    accuracy = sum(h == p for h, p in zip(human, predicted)) / n
    from sklearn.metrics import cohen_kappa_score  # 2 s to import: only when compile needs it

    # kappa is undefined when both raters use a single label; report 0 (no agreement beyond chance).
    kappa = float(cohen_kappa_score(human, predicted)) if len(set(human) | set(predicted)) > 1 else 0.0
    if math.isnan(kappa):  # when one rater is constant
        kappa = 0.0
    return Agreement(judge, n, accuracy, kappa, sum(human) / n, sum(predicted) / n)


def judge_agreement(panel: JudgePanel, examples: list[LabelledExample]) -> list[Agreement]:
    relevance_h, relevance_p, generality_h, generality_p, fidelity_h, fidelity_p = [], [], [], [], [], []
    with panel.context():
        for example in examples:
            for candidate in example.candidates:
                if candidate.label == "good" or candidate.reason == "not_answerable":
                    relevance_h.append(candidate.label == "good")
                    relevance_p.append(panel.relevance(example.chunk, candidate.question).score == 1)
                if candidate.label == "good" or candidate.reason in ("too_general", "missing_context"):
                    generality_h.append(candidate.label == "good")
                    generality_p.append(panel.generality(candidate.question).score == 1)
            for styled in example.styled:
                fidelity_h.append(styled.faithful)
                fidelity_p.append(
                    panel.fidelity(example.persona, styled.question, styled.styled_question).score == 1
                )
    return [
        _agreement("relevance", relevance_h, relevance_p),
        _agreement("generality", generality_h, generality_p),
        _agreement("persona_fidelity", fidelity_h, fidelity_p),
    ]

"""Context stage: a question that does not name what its document is about is given the name by the LM.

NVIDIA's recipe drops "context-missing" questions. On the sample, the question-form check
(`question_form.unanchored`) found 19 of 42 written questions naming neither the product, the organisation
nor the club of their document ("What time does the club meet?", "What is the purpose of the shared office
day?"), most of them otherwise good. Asked to add the name, the 1.5B model returned 17 of 19 unchanged; with
the response pattern requiring one of the title's names (`naming_pattern`), it put the name in ("What time
does the Riverside Primary after-school club meet?", "... the shared office day at Northwind Labs?") at
~3 s a call, against ~10 s for writing the question again (probe, 2026-12-03). A rewrite that loses the
question's own words, names or numbers, or still names nothing, is not kept (`naming_problem`)."""

from __future__ import annotations

import re
from typing import Annotated

import dspy
from personaqa.programs.lm.calls import call_lm
from personaqa.programs.recipe.checks.answers import content_words
from personaqa.programs.recipe.checks.question_form import (
    CLINGING,
    dropped_names,
    form_problem,
    title_names,
    unanchored,
)
from personaqa.signatures import NameTheSubject
from pydantic import StringConstraints

KEEP = 0.75  # share of the question's content words the named question must keep


def name_forms(title: str) -> list[str]:
    """The names of a title (`title_names`) as the title writes them and in lowercase, longest first;
    only forms of letters and digits (they go into a response pattern)."""
    wanted = title_names(title)
    tokens = [t.strip(CLINGING) for t in title.lstrip("# ").split()]
    forms = {t for t in tokens if t.lower() in wanted} | wanted
    return sorted((f for f in forms if f.isalnum()), key=lambda f: (-len(f), f))


def naming_pattern(question: str, title: str) -> str | None:
    """A response pattern for the named question: about as long as `question`, one of the title's names
    (`name_forms`) as a whole word, then no colon or bracket (not the title's subtitle, "... after-school
    club: a guide for parents", nor its year), one question mark at the end; None
    when the title holds no name. No straight double quote or backslash (see
    `types.ASKED_QUESTION_PATTERN`); no `\\b` and no groups with `?:` (llama.cpp's pattern grammar has
    neither): a name starts the text or follows a space, and no letter or digit follows it ("Analytics",
    not "analyticservices.com")."""
    forms = name_forms(title)
    if not forms:
        return None
    head = len(question) + 20
    return (
        rf'^([^"\\\n?]{{0,{head}}} )?({"|".join(forms)})'
        rf'([^"\\\n?:()A-Za-z0-9][^"\\\n?:()]{{0,{len(question)}}})?[?]$'
    )


def naming_problem(named: str, question: str, title: str) -> str | None:
    """Why `named` cannot stand for `question`, or None: it is no usable question, still names nothing of
    its document, drops a name or number of the question, keeps fewer than KEEP of its content words, or
    copies the document's title (`copied_title`)."""
    if problem := form_problem(named):
        return problem
    if problem := unanchored(named, title):
        return problem
    if dropped := dropped_names(question, named):
        return f"drops '{dropped[0]}'"
    own = content_words(question)
    if own and len(own & content_words(named)) < KEEP * len(own):
        return "changes what the question asks"
    if copied := copied_title(named, question, title):
        return f"copies its document's title ('{copied}')"
    return None


TITLE_RUN = (
    5  # words of the title in a row that a named question may not add ("AeroFlow 300 air purifier" may)
)


def _flat(text: str) -> str:
    return " ".join(word.strip(CLINGING) for word in text.lower().split())


def copied_title(named: str, question: str, title: str) -> str | None:
    """The first TITLE_RUN words in a row of `title` that `named` holds and `question` did not, or None:
    "... at metro city bus fares to rise from april 2026?" names the title, not the thing (a sample run)."""
    words = _flat(title.lstrip("# ")).split()
    have, had = f" {_flat(named)} ", f" {_flat(question)} "
    for start in range(len(words) - TITLE_RUN + 1):
        run = " ".join(words[start : start + TITLE_RUN])
        if f" {run} " in have and f" {run} " not in had:
            return run
    return None


class SubjectNamer(dspy.Module):
    """question + its document's title → the question naming what the title names (one LM call)."""

    def __init__(self) -> None:
        super().__init__()
        self.name_subject = dspy.Predict(NameTheSubject)

    def forward(self, question: str, title: str) -> str | None:
        """The named question, or None when the title holds no name to give it. Raises StageFailure if
        the LM's answer is unusable."""
        pattern = naming_pattern(question, title)
        if pattern is None:
            return None
        field = Annotated[str, StringConstraints(min_length=5, max_length=300, pattern=pattern)]
        signature = self.name_subject.signature.with_updated_fields("named_question", type_=field)
        result = call_lm("context", self.name_subject, question=question, title=title, signature=signature)
        return re.sub(r"\s+", " ", str(result.named_question)).strip()

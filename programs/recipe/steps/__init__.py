"""The checks of the chain (`recipe/chain.py`), one function per step: each takes the program, the unit and
a candidate, may change the candidate (its named or styled text, verdicts, answer and evidence), and returns
the `Rejection` that drops it, or None to keep it. `written` checks a question as it is written, `judged`
styles it and asks the judges."""

"""`personaqa init DIR`: the files a project starts from, commented so they can be edited without the docs:
run.yaml (every setting at its default), personas.yaml (a template with example questions) and
example_queries.txt (where real user questions go before they become persona examples)."""

from __future__ import annotations

import argparse
from pathlib import Path

from personaqa.programs.cli.config_reference import commented_yaml
from personaqa.programs.cli.options import add_command
from personaqa.programs.core.atomic import atomic_write
from personaqa.programs.core.errors import InputError

DESCRIPTION = """\
Write run.yaml (every setting at its default, commented), personas.yaml (two
personas with example questions, to edit) and example_queries.txt into DIR.
Existing files are kept unless --force."""

EXAMPLES = """\
personaqa init myproject
personaqa generate --config myproject/run.yaml --docs my_documents/ \\
    --personas myproject/personas.yaml --out myproject/run1 --dry-run"""

PERSONAS = """\
# Who asks questions about your documents: one entry per kind of user (2-5 work well).
#   name:        a short id, used in the outputs (questions.jsonl, the BEIR queries, evaluate's tables)
#   description: who they are, what they care about and how they write; the LM reads it as written
#   examples:    3-10 questions this kind of user really asks, in their own words (up to 20).
#                They set the persona's voice (the style rewrite imitates them) and its stake: a persona
#                is not asked about a chunk far from its examples (persona_stake_threshold in run.yaml).
#                Take them from search logs or tickets (example_queries.txt), ideally about OTHER documents
#                than the ones you generate from: examples about the same text get copied.
# Optional per persona:
#   own_wording_share: 0.5          # share of this persona's questions in their own words, not the text's
#   style: {length: short and quick, tone: casual, wording: everyday words}   # else derived by the LM
- name: new_employee
  description: >-
    Someone in their first month who reads the handbook on a phone between meetings, asks short
    practical questions and does not know the internal jargon yet.
  examples:
    - how many days can i work from home
    - who do i ask to get a laptop charger replaced
    - is there a deadline for submitting travel expenses
- name: compliance_officer
  description: >-
    A compliance officer who checks policies for obligations, exceptions and deadlines, and writes
    precise, formal questions that name the policy and the clause concerned.
  examples:
    - Which approval is required before personal data is shared with an external processor?
    - By what date must incidents be reported to the data protection officer under the security policy?
    - What exceptions to the four-eyes principle does the payments procedure allow?
"""

QUERIES = """\
# Real questions your users ask, one per line (search logs, support tickets, chat transcripts).
# personaqa does not read this file: copy 3-10 lines that sound like one kind of user into that
# persona's `examples:` in personas.yaml. Lines starting with # are comments.
how do i reset my password on the new portal
what is the notice period if i want to change teams
Which clause of the travel policy covers business-class flights over six hours?
"""

FILES = {
    "run.yaml": commented_yaml,
    "personas.yaml": lambda: PERSONAS,
    "example_queries.txt": lambda: QUERIES,
}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_command(
        subparsers,
        "init",
        summary="write a commented config and personas template to edit",
        description=DESCRIPTION,
        examples=EXAMPLES,
        usage="DIR [--force]",
    )
    p.add_argument("dir", type=Path, metavar="DIR", help="folder to write into (created if missing)")
    p.add_argument("--force", action="store_true", help="overwrite files that exist")
    p.set_defaults(func=run)


def write_project(folder: Path, force: bool = False) -> list[Path]:
    """Write the starter files into `folder`; InputError (nothing written) if one exists and not `force`."""
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: exists and is not a directory")
    existing = [folder / name for name in FILES if (folder / name).exists()]
    if existing and not force:
        raise InputError(f"{existing[0]}: exists; pass --force to overwrite it")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in FILES.items():
        with atomic_write(folder / name, "w") as handle:
            handle.write(text())
        written.append(folder / name)
    return written


def run(args: argparse.Namespace) -> int:
    for path in write_project(args.dir, args.force):
        print(f"wrote {path}")
    print(
        f"next: edit {args.dir / 'personas.yaml'}, then\n"
        f"  personaqa generate --config {args.dir / 'run.yaml'} --personas {args.dir / 'personas.yaml'} "
        f"--docs YOUR_DOCUMENTS --out {args.dir / 'run1'} --dry-run"
    )
    return 0

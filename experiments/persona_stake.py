"""The stake of each persona in each chunk (programs/recipe/stake.py) and who passes at the threshold.

    python experiments/persona_stake.py [--docs PATH ...] [--personas FILE] [--threshold T]

Prints one row per chunk: the highest cosine of the chunk with each persona's description and example
questions, marked '-' where the persona passes (below the threshold), and the units left per persona.
Defaults: the shipped sample and personas, the run config's default threshold."""

from __future__ import annotations

import argparse
from importlib.resources import files

from _sections import add_write_argument, writes_section
from personaqa.programs.config import RunConfig
from personaqa.programs.corpus.chunking import chunk_document
from personaqa.programs.corpus.documents import iter_documents
from personaqa.programs.corpus.embedding import load_embedder
from personaqa.programs.corpus.personas import load_personas
from personaqa.programs.recipe.stake import stake


@writes_section("persona_stake")
def main() -> None:
    sample = files("personaqa.programs") / "sample"
    config = RunConfig()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", nargs="+", default=[str(sample / "docs")])
    parser.add_argument("--personas", default=str(sample / "personas.yaml"))
    parser.add_argument("--threshold", type=float, default=config.persona_stake_threshold)
    add_write_argument(parser, "persona_stake")
    args = parser.parse_args()

    embedder = load_embedder(config.embedder)
    personas = load_personas(args.personas)
    chunks = [
        c
        for d in iter_documents(args.docs)
        for c in chunk_document(d, config.chunk_size, config.chunk_overlap)
    ]
    print(f"threshold {args.threshold}; '-' marks a persona that passes")
    print("chunk".ljust(34) + "".join(p.name[:18].rjust(20) for p in personas))
    kept = {p.name: 0 for p in personas}
    for chunk in chunks:
        cells = []
        for persona in personas:
            score = stake(chunk, persona, embedder)
            passes = score is not None and score < args.threshold
            kept[persona.name] += not passes
            cells.append(
                (f"{'-' if passes else ' '}{score:+.2f}" if score is not None else "no examples").rjust(20)
            )
        print(chunk.chunk_id[:34].ljust(34) + "".join(cells))
    print(
        "units asked".ljust(34) + "".join(str(kept[p.name]).rjust(20) for p in personas),
        f"  (of {len(chunks)} chunks each; {sum(kept.values())} units)",
    )


if __name__ == "__main__":
    main()

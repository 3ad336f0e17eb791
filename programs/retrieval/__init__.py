"""Searching a corpus: BEIR folders, the built-in retrievers (lexical, dense, fused) and plug-ins, and the
panel that runs several of them under one policy for degenerate input. Evaluation scores what they find;
a run may search its own chunks with them."""

from personaqa.programs.retrieval.beir import BeirCollection, CorpusDoc, Query, load_beir
from personaqa.programs.retrieval.panel import Panel, build_panel
from personaqa.programs.retrieval.retrievers import BUILT_IN, Hit, Retriever, build_retriever

__all__ = [
    "BUILT_IN",
    "BeirCollection",
    "CorpusDoc",
    "Hit",
    "Panel",
    "Query",
    "Retriever",
    "build_panel",
    "build_retriever",
    "load_beir",
]

"""The next search proposed by the answering model itself, for a model that can plan.

The bundled model cannot plan; a person's bigger chat model (one with a chat template)
can. `ModelProposer` shows it the question and what the searches found so far, and asks
for one short query for the fact still missing, or DONE. Comparisons are still split by
rule (that needs no model), and it runs in the same loop, under the same cap, budget and
trace as the rules (engine.search.multistep).
"""

from __future__ import annotations

from pathlib import Path

from engine.answer.prompting import PromptBuilder
from engine.models.generation import Generator
from engine.search.multistep import LookupState, NextSearch, QueryProposer, RuleProposer

PLANNER = (
    "You plan searches in a person's own documents. You are given a question and the "
    "passages the searches found so far. If they hold everything the question needs, reply "
    "DONE. Otherwise reply with one short search query (a name or a few words) for what is "
    "still missing. Reply with the query or DONE only."
)
PASSAGES_SHOWN = 4
PASSAGE_CHARS = 400
QUERY_TOKENS = 24
DONE = "DONE"


class ModelProposer:
    """Asks a chat model for the next search; the rules split comparisons."""

    def __init__(
        self, generator: Generator, builder: PromptBuilder, rules: QueryProposer | None = None
    ) -> None:
        self.generator = generator
        self.builder = builder
        self.rules = rules or RuleProposer()

    def first(self, question: str) -> list[NextSearch]:
        return self.rules.first(question)

    def next(self, state: LookupState) -> list[NextSearch]:
        found = "\n\n".join(
            f"[{n}] {Path(hit.path).name}\n{hit.text[:PASSAGE_CHARS].strip()}"
            for n, hit in enumerate(state.found[:PASSAGES_SHOWN], 1)
        )
        asked = [
            ("system", PLANNER),
            ("user", f"Question: {state.question}\n\nFound so far:\n\n{found}"),
        ]
        tokens = self.builder.chat_tokens(asked)
        reply = "".join(self.generator.stream(tokens, QUERY_TOKENS, ("\n",))).strip()
        query = reply.strip(" \"'`.").strip()
        if not query or query.upper().startswith(DONE) or query in state.tried:
            return []
        return [NextSearch(query, "the model asked for it", subject=query)]

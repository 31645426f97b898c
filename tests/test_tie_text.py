"""A stated tie's stored text put together from parts (ingest/tie_text.py) is the text of its whole JSON."""

from __future__ import annotations

import math
import random

from graph.json_text import compact
from ingest.records import NO_PROPS, PendingLink, Provenance, TargetRef, target_ref
from ingest.tie_text import LinkTexts, link_to_json


def test_one_encoder_over_many_ties_gives_each_the_text_of_its_whole_json() -> None:
    """One ``LinkTexts`` serves a whole run: its kept kinds, far ends and last provenance must never give a tie
    another's text, whatever the values: quotes, separators, a lone surrogate, ``True`` beside ``1``, a float below
    1e-4 or not finite in one part and a text that makes the standard library write the whole in another, a tie
    longer than the 1,000 bytes past which ``compact`` looks at the floats rather than the text."""
    chooser = random.Random(7)
    pieces = ["", "a", ",", '"', "\\", ":", "深圳", "\t", "\x01", "\u2028", "\ud800", "e-5", "0.00001", "}", "长" * 400]
    odd = [1e-06, math.nan, math.inf, -0.0, 2**70, 1e16, "0.00001"]

    def text() -> str:
        return "".join(chooser.choice(pieces) for _ in range(chooser.randrange(4)))

    texts = LinkTexts()
    shared_targets = [target_ref(text(), chooser.choice(["place", "cluster"]), (text(),)) for _ in range(5)]
    provenance = Provenance("firms", "f.csv", 2)
    for _ in range(3000):
        if chooser.random() < 0.3:  # a new row: the next ties share its provenance
            provenance = Provenance(
                chooser.choice(["firms", "源"]),
                text(),
                chooser.randrange(2, 9),
                chooser.choice([None, text()]),
                chooser.choice([None, "high", text()]),
            )
        create: object = chooser.choice([False, True, 1, 0])
        target = chooser.choice(
            [*shared_targets, TargetRef(text(), text(), tuple(text() for _ in range(chooser.randrange(3))), create)]  # type: ignore[arg-type]
        )
        link = PendingLink.of(
            chooser.choice(["LOCATED_IN", "IN_CLUSTER", text()]),
            chooser.choice(["Enterprise", text()]),
            text(),
            target,
            provenance,
            column=chooser.choice([None, "city", text()]),
            inbound=chooser.random() < 0.3,
            required=chooser.random() < 0.3,
            props=chooser.choice([NO_PROPS, {"role": text()}, {"a": chooser.choice(odd), "b": chooser.choice(odd)}]),
        )
        assert texts.text(link) == compact(link_to_json(link))

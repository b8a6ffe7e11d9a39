"""The triage model on its own (no database): what makes a target usable, the held-out split
by time, confidence, and the bytes it is stored as."""

import io
import json
import random
import zlib

import numpy as np
import pytest

from casedesk.assist import triage
from casedesk.assist.triage import Example, TriageInput

WORDS = {
    "Billing": ["invoice", "refund", "charged", "payment", "card", "vat"],
    "Technical": ["error", "crash", "slow", "login", "timeout", "sync"],
    "Account": ["access", "role", "users", "admin", "permission", "owner"],
}
FILLER = ["please", "help", "thanks", "hello", "team", "today", "we", "our", "the"]


def examples(n: int, seed: int = 1, *, noise: float = 0.1) -> list[Example]:
    """Cases whose words say their category (and priority, when urgent), with some noise."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        category = rng.choice(list(WORDS))
        words = rng.sample(WORDS[category], 3) + rng.sample(FILLER, 4)
        urgent = rng.random() < 0.3
        if urgent:
            words.append("urgent outage")
        label = rng.choice(list(WORDS)) if rng.random() < noise else category
        out.append(
            Example(
                TriageInput(
                    subject=" ".join(words[:3]),
                    description=" ".join(words[3:]),
                    source=rng.choice(["email", "web"]),
                ),
                {
                    "category": label,
                    "priority": "urgent" if urgent else "normal",
                    "type": "Question",
                    "queue": "",
                    "subcategory": "",
                },
            )
        )
    return out


@pytest.fixture(scope="module")
def model() -> triage.TriageModelData:
    return triage.fit(examples(600), seed=3)


def test_a_learnable_target_is_usable_and_measured_on_the_newest_fifth(
    model: triage.TriageModelData,
) -> None:
    assert (model.trained_on, model.held_out) == (480, 120)
    category = model.scores["category"]
    assert category.usable and category.reason == ""
    assert category.accuracy >= 0.8
    assert category.accuracy >= category.baseline + triage.BASELINE_MARGIN
    assert category.classes == 3 and category.examples == 480 and category.tested == 120
    assert model.scores["priority"].usable


def test_a_target_with_one_value_or_no_labels_is_not_offered(
    model: triage.TriageModelData,
) -> None:
    assert not model.scores["type"].usable
    assert "one value" in model.scores["type"].reason
    assert not model.scores["queue"].usable  # no case has a queue
    assert set(model.classifiers) == {"category", "priority"}


def test_labels_that_do_not_follow_the_text_are_not_offered() -> None:
    rng = random.Random(5)
    data = examples(600)
    shuffled = [Example(e.data, {**e.labels, "category": rng.choice(list(WORDS))}) for e in data]
    model = triage.fit(shuffled)
    score = model.scores["category"]
    assert not score.usable
    assert "accuracy" in score.reason or "commonest" in score.reason
    assert "category" not in model.classifiers


def test_too_few_labelled_cases_are_not_offered() -> None:
    model = triage.fit(examples(100))
    assert not model.scores["category"].usable
    assert "too few" in model.scores["category"].reason


def test_the_split_is_by_time_the_newest_cases_are_the_test_set() -> None:
    """The words of the last fifth mean something else: trained on the past, the model is
    measured on the future it has not seen, so it scores badly there."""
    data = examples(500, noise=0.0)
    flip = {"Billing": "Technical", "Technical": "Account", "Account": "Billing"}
    changed = data[:400] + [
        Example(e.data, {**e.labels, "category": flip[e.labels["category"]]}) for e in data[400:]
    ]
    assert triage.fit(data).scores["category"].accuracy > 0.9
    assert triage.fit(changed).scores["category"].accuracy < 0.2


def test_predictions_carry_a_confidence_and_low_ones_are_withheld(
    model: triage.TriageModelData,
) -> None:
    found = model.predict(
        TriageInput(subject="refund invoice charged twice", description="urgent outage please")
    )
    assert found["category"][0] == "Billing"
    assert found["priority"][0] == "urgent"
    assert all(triage.CONFIDENCE_FLOOR <= c <= 1.0 for _, c in found.values())
    vague = model.predict(TriageInput(subject="hello", description="thanks"))
    assert "category" not in vague or vague["category"][1] >= triage.CONFIDENCE_FLOOR


def test_structured_fields_become_tokens() -> None:
    data = TriageInput(
        subject="x",
        source="email",
        account_tier="Mid market",
        contact_domain="acme.test",
        language="de",
    )
    assert triage.structured_of(data) == "source=email tier=mid_market domain=acme.test lang=de"
    assert triage.structured_of(TriageInput(subject="x")) == ""


def test_the_model_survives_bytes_and_predicts_the_same(model: triage.TriageModelData) -> None:
    blob = triage.dumps(model)
    again = triage.loads(blob)
    probe = [e.data for e in examples(50, seed=9)]
    for target, linear in model.classifiers.items():
        before = linear.proba(model.features.transform(probe))
        after = again.classifiers[target].proba(again.features.transform(probe))
        assert np.allclose(before, after, atol=1e-6)
        assert again.classifiers[target].classes == linear.classes
    assert again.scores["category"].as_dict() == model.scores["category"].as_dict()
    assert (again.trained_on, again.held_out) == (model.trained_on, model.held_out)
    assert b"pickle" not in zlib.decompress(blob)[:200]


def test_one_case_predicts_as_it_would_in_a_batch(model: triage.TriageModelData) -> None:
    probe = [e.data for e in examples(20, seed=11)] + [TriageInput(subject="")]
    batch = model.features.transform(probe)
    for k, data in enumerate(probe):
        columns, values = model.features.row(data)
        for linear in model.classifiers.values():
            assert np.allclose(linear.proba_row(columns, values), linear.proba(batch[k])[0])


def test_bytes_of_another_format_or_damaged_are_refused() -> None:
    buffer = io.BytesIO()
    meta = json.dumps({"format": 99}).encode()
    np.savez(buffer, meta=np.frombuffer(meta, dtype=np.uint8))
    with pytest.raises(ValueError, match="format"):
        triage.loads(zlib.compress(buffer.getvalue()))
    with pytest.raises(ValueError, match="unreadable"):
        triage.loads(b"not a model")

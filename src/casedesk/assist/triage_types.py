"""What the triage model reads and answers (`assist/triage.py`), apart from the model: these
plain records import nothing heavy, so `assist/training.py` and the API that use them load
without NumPy, SciPy and scikit-learn, which only training and prediction need."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class TriageInput:
    """What triage reads of a case, new or existing."""

    subject: str
    description: str = ""
    source: str = ""
    account_tier: str = ""
    account_segment: str = ""
    contact_domain: str = ""
    language: str = ""


@dataclass(frozen=True)
class Suggestion:
    """One predicted field. `value` is the picklist value, the priority's rung name, or the
    queue's id as str; `label` what the agent reads."""

    target: str
    value: str
    label: str
    confidence: float


@dataclass(frozen=True)
class Example:
    """A past case as training reads it: its input and its known values per target ("" when
    it has none; such a case teaches nothing about that target)."""

    data: TriageInput
    labels: Mapping[str, str]

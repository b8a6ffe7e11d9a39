"""The triage model: what a case's text and fields say about its category, subcategory, type,
priority and queue. Pure: no ORM; `assist/training.py` feeds it cases and stores its bytes.

Features: the subject (counted twice, it is the densest part) and description as TF-IDF word
1-2-grams, the subject also as character 3-5-grams within words (typos and word forms still
match; over the description they would cost most of the training time), each vocabulary
capped; the structured fields (source, account tier and segment, contact domain,
language) as one-hot tokens. One linear classifier per target (SGD with log loss, one
against the rest), its normalised probability as the confidence.

Measured honestly: the history is split by time, the newest `HELD_OUT_SHARE` is the test set
(that is how the model is used: trained on the past, asked about what comes next), and each
target's accuracy there is compared with always answering the majority class. Then the
classifiers that predict are fitted on the whole history (with the vocabulary and IDF of the
measured part).

Serialised without pickle: vocabularies and settings as JSON, IDF weights, coefficients and
intercepts as float32 arrays in an `.npz`, the lot zlib-compressed. Prediction reads those
arrays directly (no scikit-learn object is rebuilt but the count vectorizers), so a blob
written by one scikit-learn version reads in another.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import SGDClassifier

from casedesk.assist.triage_types import Example, TriageInput

TARGETS = ("category", "subcategory", "type", "priority", "queue")

# Held-out share: the newest fifth of the history, as in use the model sees what is newer.
HELD_OUT_SHARE = 0.2
# A target is offered only when it clearly learned something: at least MIN_CLASSES values
# seen, MIN_TRAIN_EXAMPLES labelled cases to learn from and MIN_TEST_EXAMPLES to measure on,
# held-out accuracy of at least ACCURACY_FLOOR (below it agents would undo more suggestions
# than they keep) and at least BASELINE_MARGIN above always answering the commonest value
# (a model that only learned "most cases are Normal" helps nobody).
MIN_CLASSES = 2
MIN_TRAIN_EXAMPLES = 100
MIN_TEST_EXAMPLES = 30
ACCURACY_FLOOR = 0.6
BASELINE_MARGIN = 0.1
# A prediction less sure than this is not offered: it is a guess between values (on the
# synthetic history it withholds about a tenth of the type predictions, the least reliable
# target, and almost none of the category ones).
CONFIDENCE_FLOOR = 0.5

# Caps that keep a model small (coefficients are features x classes float32) and training
# quick at 100,000 cases; words beyond the cap are the rarest.
MAX_WORD_FEATURES = 20_000
MAX_CHAR_FEATURES = 15_000
# The structured fields weigh as much as a few words: they help, the text decides.
STRUCTURED_WEIGHT = 0.5
SGD_ALPHA = 1e-4
MIN_EPOCHS, MAX_EPOCHS = 3, 10
SGD_SAMPLE_PASSES = 100_000
FORMAT = 1


@dataclass
class TargetScore:
    accuracy: float = 0.0
    baseline: float = 0.0
    classes: int = 0
    examples: int = 0
    tested: int = 0
    # Share of held-out cases with a prediction above CONFIDENCE_FLOOR, and its accuracy.
    coverage: float = 0.0
    confident_accuracy: float = 0.0
    usable: bool = False
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "accuracy": round(self.accuracy, 4),
            "baseline": round(self.baseline, 4),
            "classes": self.classes,
            "examples": self.examples,
            "tested": self.tested,
            "coverage": round(self.coverage, 4),
            "confident_accuracy": round(self.confident_accuracy, 4),
            "usable": self.usable,
            "reason": self.reason,
        }


@dataclass
class _Linear:
    classes: list[str]
    coef: npt.NDArray[np.float32]  # (classes, features); one row when there are two classes
    intercept: npt.NDArray[np.float32]
    _weights: npt.NDArray[np.float32] | None = None

    def weights(self) -> npt.NDArray[np.float32]:
        if self._weights is None:
            # Features by classes, contiguous: a sparse row times a transposed view would copy
            # the whole matrix on every call.
            self._weights = np.ascontiguousarray(self.coef.T)
        return self._weights

    def proba(self, x: sparse.csr_matrix) -> npt.NDArray[np.float64]:
        """Probabilities per row and class: one-vs-rest sigmoids, normalised to sum to 1 (as
        scikit-learn's SGDClassifier does)."""
        return self._normalised(np.asarray(x @ self.weights(), dtype=np.float64))

    def proba_row(
        self, columns: npt.NDArray[np.intp], values: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        """`proba` of one case given as `_Features.row`."""
        scores = np.asarray(values @ self.weights()[columns], dtype=np.float64)
        return np.asarray(self._normalised(scores.reshape(1, -1))[0], dtype=np.float64)

    def _normalised(self, scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        scores = scores + self.intercept
        sig = 1.0 / (1.0 + np.exp(-np.clip(scores, -30, 30)))
        if len(self.classes) == 2:
            return np.hstack([1.0 - sig, sig])
        total = sig.sum(axis=1, keepdims=True)
        total[total == 0] = 1.0
        return np.asarray(sig / total, dtype=np.float64)


@dataclass
class _Features:
    word_vocab: dict[str, int]
    word_idf: npt.NDArray[np.float32]
    char_vocab: dict[str, int]
    char_idf: npt.NDArray[np.float32]
    struct_vocab: dict[str, int]
    _vectorizers: tuple[CountVectorizer, CountVectorizer, CountVectorizer] | None = None

    @property
    def width(self) -> int:
        return len(self.word_vocab) + len(self.char_vocab) + len(self.struct_vocab)

    def vectorizers(self) -> tuple[CountVectorizer, CountVectorizer, CountVectorizer]:
        if self._vectorizers is None:
            self._vectorizers = (
                _word_vectorizer(vocabulary=self.word_vocab),
                _char_vectorizer(vocabulary=self.char_vocab),
                _struct_vectorizer(vocabulary=self.struct_vocab),
            )
        return self._vectorizers

    def row(self, data: TriageInput) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
        """One case's features as (columns, values): what `transform` gives for it, without
        building sparse matrices (their overhead is most of a single prediction's time)."""
        word, char, struct = self.vectorizers()
        columns, values, offset = [], [], 0
        for vectorizer, text, idf in (
            (word, text_of(data), self.word_idf),
            (char, subject_of(data), self.char_idf),
        ):
            counts = vectorizer.transform([text])
            weights = (np.log(counts.data.astype(np.float64)) + 1.0) * idf[counts.indices]
            norm = float(np.sqrt((weights * weights).sum()))
            columns.append(counts.indices.astype(np.intp) + offset)
            values.append(weights / norm if norm else weights)
            offset += len(idf)
        tokens = struct.transform([structured_of(data)])
        columns.append(tokens.indices.astype(np.intp) + offset)
        values.append(tokens.data.astype(np.float64) * STRUCTURED_WEIGHT)
        return np.concatenate(columns), np.concatenate(values)

    def transform(self, items: Sequence[TriageInput]) -> sparse.csr_matrix:
        word, char, struct = self.vectorizers()
        return _combine(
            word.transform([text_of(item) for item in items]),
            self.word_idf,
            char.transform([subject_of(item) for item in items]),
            self.char_idf,
            struct.transform([structured_of(item) for item in items]),
        )


@dataclass
class TriageModelData:
    """A fitted model: its features, one classifier per usable target, and its scores."""

    features: _Features
    classifiers: dict[str, _Linear]
    scores: dict[str, TargetScore] = field(default_factory=dict)
    trained_on: int = 0
    held_out: int = 0

    def predict(self, data: TriageInput) -> dict[str, tuple[str, float]]:
        """Each usable target's most likely value and its confidence, when at least
        CONFIDENCE_FLOOR."""
        columns, values = self.features.row(data)
        out: dict[str, tuple[str, float]] = {}
        for target, linear in self.classifiers.items():
            probabilities = linear.proba_row(columns, values)
            best = int(np.argmax(probabilities))
            if probabilities[best] >= CONFIDENCE_FLOOR:
                out[target] = (linear.classes[best], float(probabilities[best]))
        return out


# --- text ----------------------------------------------------------------------------------


def text_of(data: TriageInput) -> str:
    return f"{data.subject}\n{data.subject}\n{data.description}"


def subject_of(data: TriageInput) -> str:
    return data.subject


def structured_of(data: TriageInput) -> str:
    """One token per known structured field, e.g. `source=email tier=enterprise`."""
    fields = {
        "source": data.source,
        "tier": data.account_tier,
        "segment": data.account_segment,
        "domain": data.contact_domain,
        "lang": data.language,
    }
    return " ".join(
        f"{name}={value.strip().lower().replace(' ', '_')}"
        for name, value in fields.items()
        if value.strip()
    )


def _word_vectorizer(**options: Any) -> CountVectorizer:
    return CountVectorizer(ngram_range=(1, 2), lowercase=True, dtype=np.float32, **options)


def _char_vectorizer(**options: Any) -> CountVectorizer:
    return CountVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), lowercase=True, dtype=np.float32, **options
    )


def _struct_vectorizer(**options: Any) -> CountVectorizer:
    return CountVectorizer(
        token_pattern=r"\S+", lowercase=False, binary=True, dtype=np.float32, **options
    )


def _tfidf(counts: sparse.csr_matrix, idf: npt.NDArray[np.float32]) -> sparse.csr_matrix:
    """Sublinear term frequency times IDF, each row scaled to unit length."""
    x = sparse.csr_matrix(counts, dtype=np.float32, copy=True)
    x.data = np.log(x.data) + 1.0
    x = sparse.csr_matrix(x.multiply(idf[np.newaxis, :]))
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ x, dtype=np.float32)


def _idf(counts: sparse.csr_matrix) -> npt.NDArray[np.float32]:
    df = np.bincount(sparse.csr_matrix(counts).indices, minlength=counts.shape[1])
    n = counts.shape[0]
    return np.asarray(np.log((1 + n) / (1 + df)) + 1.0, dtype=np.float32)


def _combine(
    words: sparse.csr_matrix,
    word_idf: npt.NDArray[np.float32],
    chars: sparse.csr_matrix,
    char_idf: npt.NDArray[np.float32],
    struct: sparse.csr_matrix,
) -> sparse.csr_matrix:
    return sparse.hstack(
        [_tfidf(words, word_idf), _tfidf(chars, char_idf), struct * STRUCTURED_WEIGHT],
        format="csr",
        dtype=np.float32,
    )


def _fit_features(items: Sequence[TriageInput]) -> tuple[_Features, sparse.csr_matrix]:
    # min_df=2: a word seen once is a name or a typo, and only inflates the model.
    word = _word_vectorizer(max_features=MAX_WORD_FEATURES, min_df=2)
    char = _char_vectorizer(max_features=MAX_CHAR_FEATURES, min_df=2)
    # A field that (nearly) every case has the same value of (one language, one source)
    # tells nothing and would only act as a second intercept: a case lacking it would then
    # look unlike every case learned from.
    struct = _struct_vectorizer(min_df=2, max_df=0.9)
    words = word.fit_transform([text_of(item) for item in items])
    chars = char.fit_transform([subject_of(item) for item in items])
    try:
        structs = struct.fit_transform([structured_of(item) for item in items])
        struct_vocab = {k: int(v) for k, v in struct.vocabulary_.items()}
    except ValueError:  # no structured field is known on any case
        struct_vocab = {}
        structs = sparse.csr_matrix((len(items), 0), dtype=np.float32)
    features = _Features(
        word_vocab={k: int(v) for k, v in word.vocabulary_.items()},
        word_idf=_idf(words),
        char_vocab={k: int(v) for k, v in char.vocabulary_.items()},
        char_idf=_idf(chars),
        struct_vocab=struct_vocab,
    )
    matrix = _combine(words, features.word_idf, chars, features.char_idf, structs)
    return features, matrix


# --- fitting and measuring -------------------------------------------------------------------


def _epochs(rows: int) -> int:
    """Passes over the data: a small history needs more of them to settle, a large one
    settles in a few (SGD_SAMPLE_PASSES sample updates in all, within the bounds)."""
    return max(MIN_EPOCHS, min(MAX_EPOCHS, math.ceil(SGD_SAMPLE_PASSES / max(rows, 1))))


def _fit_linear(x: sparse.csr_matrix, y: Sequence[str], seed: int) -> _Linear:
    model = SGDClassifier(
        loss="log_loss",
        alpha=SGD_ALPHA,
        max_iter=_epochs(x.shape[0]),
        tol=None,
        random_state=seed,
    )
    model.fit(x, list(y))
    return _Linear(
        classes=[str(c) for c in model.classes_],
        coef=np.asarray(model.coef_, dtype=np.float32),
        intercept=np.asarray(model.intercept_, dtype=np.float32),
    )


def _labelled(examples: Sequence[Example], target: str) -> list[int]:
    return [i for i, e in enumerate(examples) if e.labels.get(target, "")]


def _measure(
    target: str,
    train: Sequence[Example],
    test: Sequence[Example],
    x_train: sparse.csr_matrix,
    x_test: sparse.csr_matrix,
    seed: int,
) -> TargetScore:
    """Fits on `train`, scores on `test`: accuracy, the majority baseline, and the verdict."""
    score = TargetScore()
    train_rows = _labelled(train, target)
    test_rows = _labelled(test, target)
    counts = Counter(train[i].labels[target] for i in train_rows)
    score.classes, score.examples, score.tested = len(counts), len(train_rows), len(test_rows)
    if len(counts) < MIN_CLASSES:
        score.reason = "only one value in the history"
        return score
    if len(train_rows) < MIN_TRAIN_EXAMPLES or len(test_rows) < MIN_TEST_EXAMPLES:
        score.reason = "too few cases with this field set"
        return score
    linear = _fit_linear(x_train[train_rows], [train[i].labels[target] for i in train_rows], seed)
    truth = [test[i].labels[target] for i in test_rows]
    probabilities = linear.proba(x_test[test_rows])
    best = probabilities.argmax(axis=1)
    predicted = [linear.classes[k] for k in best]
    right = [p == t for p, t in zip(predicted, truth, strict=True)]
    confident = probabilities.max(axis=1) >= CONFIDENCE_FLOOR
    majority = counts.most_common(1)[0][0]
    score.accuracy = sum(right) / len(truth)
    score.baseline = sum(t == majority for t in truth) / len(truth)
    score.coverage = float(confident.mean())
    kept = [r for r, c in zip(right, confident, strict=True) if c]
    score.confident_accuracy = sum(kept) / len(kept) if kept else 0.0
    if score.accuracy < ACCURACY_FLOOR:
        score.reason = f"held-out accuracy under {ACCURACY_FLOOR:.0%}"
    elif score.accuracy < score.baseline + BASELINE_MARGIN:
        score.reason = "not clearly better than always answering the commonest value"
    else:
        score.usable = True
    return score


def fit(examples: Sequence[Example], *, seed: int = 0) -> TriageModelData:
    """Measures each target on the newest HELD_OUT_SHARE of `examples` (oldest first), then
    fits the targets that passed on all of them."""
    cut = len(examples) - max(1, int(len(examples) * HELD_OUT_SHARE))
    train, test = examples[:cut], examples[cut:]
    # The features are learned from the training part only: the test part stays unseen.
    features, x_train = _fit_features([e.data for e in train])
    x_test = features.transform([e.data for e in test])
    scores = {target: _measure(target, train, test, x_train, x_test, seed) for target in TARGETS}
    usable = [target for target in TARGETS if scores[target].usable]
    # The vocabulary and IDF stay those of the training part: learning them again from all
    # cases would double the time spent on text for a few rare new words.
    x = sparse.vstack([x_train, x_test], format="csr")
    classifiers: dict[str, _Linear] = {}
    for target in usable:
        rows = _labelled(examples, target)
        classifiers[target] = _fit_linear(x[rows], [examples[i].labels[target] for i in rows], seed)
    return TriageModelData(
        features=features,
        classifiers=classifiers,
        scores=scores,
        trained_on=len(train),
        held_out=len(test),
    )


# --- bytes -----------------------------------------------------------------------------------


def dumps(model: TriageModelData) -> bytes:
    """The fitted model as compact bytes (see the module docstring)."""
    meta = {
        "format": FORMAT,
        "word_vocab": _vocab_list(model.features.word_vocab),
        "char_vocab": _vocab_list(model.features.char_vocab),
        "struct_vocab": _vocab_list(model.features.struct_vocab),
        "classes": {t: c.classes for t, c in model.classifiers.items()},
        "scores": {t: s.as_dict() for t, s in model.scores.items()},
        "trained_on": model.trained_on,
        "held_out": model.held_out,
    }
    arrays: dict[str, npt.NDArray[Any]] = {
        "meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
        "word_idf": model.features.word_idf.astype(np.float32),
        "char_idf": model.features.char_idf.astype(np.float32),
    }
    for target, linear in model.classifiers.items():
        arrays[f"coef_{target}"] = linear.coef.astype(np.float32)
        arrays[f"intercept_{target}"] = linear.intercept.astype(np.float32)
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **arrays)
    return zlib.compress(buffer.getvalue(), 6)


def loads(blob: bytes) -> TriageModelData:
    """The model `dumps` wrote; ValueError for bytes that are not one."""
    try:
        return _loads(blob)
    except (zlib.error, zipfile.BadZipFile, KeyError, OSError, json.JSONDecodeError) as error:
        raise ValueError(f"unreadable triage model: {error}") from error


def _loads(blob: bytes) -> TriageModelData:
    with np.load(io.BytesIO(zlib.decompress(blob)), allow_pickle=False) as arrays:
        meta = json.loads(arrays["meta"].tobytes().decode())
        if meta.get("format") != FORMAT:
            raise ValueError(f"unknown triage model format {meta.get('format')!r}")
        features = _Features(
            word_vocab=_vocab_dict(meta["word_vocab"]),
            word_idf=np.asarray(arrays["word_idf"], dtype=np.float32),
            char_vocab=_vocab_dict(meta["char_vocab"]),
            char_idf=np.asarray(arrays["char_idf"], dtype=np.float32),
            struct_vocab=_vocab_dict(meta["struct_vocab"]),
        )
        classifiers = {
            target: _Linear(
                classes=list(classes),
                coef=np.asarray(arrays[f"coef_{target}"], dtype=np.float32),
                intercept=np.asarray(arrays[f"intercept_{target}"], dtype=np.float32),
            )
            for target, classes in meta["classes"].items()
        }
    return TriageModelData(
        features=features,
        classifiers=classifiers,
        scores={t: TargetScore(**s) for t, s in meta["scores"].items()},
        trained_on=int(meta["trained_on"]),
        held_out=int(meta["held_out"]),
    )


def _vocab_list(vocab: Mapping[str, int]) -> list[str]:
    """A vocabulary as its terms in column order (half the size of the mapping)."""
    terms = [""] * len(vocab)
    for term, column in vocab.items():
        terms[column] = term
    return terms


def _vocab_dict(terms: Sequence[str]) -> dict[str, int]:
    return {term: column for column, term in enumerate(terms)}

"""What assist keeps: each tenant's trained triage models, versioned; the similar-case index."""

from django.db import models

from casedesk.cases.models import Case
from casedesk.tenancy.models import Tenant


class TriageModel(models.Model):
    """One training run's result for a tenant. The newest `usable` version is the one that
    predicts; older versions stay for the admin's history (and are pruned by the trainer)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField()
    trained_at = models.DateTimeField()
    # How the run was started: `schedule`, `command`, `web` or `api`.
    trigger = models.CharField(max_length=20)
    trained_on = models.PositiveIntegerField(help_text="cases the model learned from")
    held_out = models.PositiveIntegerField(help_text="cases kept back to measure it")
    # {target: {"accuracy": float, "baseline": float, "classes": int, "usable": bool}}
    scores = models.JSONField(default=dict)
    usable = models.BooleanField(default=False)
    # Why a run made no usable model (too little history, ...); empty when usable.
    reason = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    # The fitted estimators, serialised by assist/triage.py; empty for an unusable run.
    blob = models.BinaryField(default=b"")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "version"],
                                               name="assist_triage_version_unique")]
        indexes = [models.Index(fields=["tenant", "-version"], name="assist_triage_latest")]

    def __str__(self) -> str:
        return f"triage model v{self.version} of tenant {self.tenant_id}"


# --- Similar cases (assist/similar.py) ---------------------------------------------------------


class SimilarIndexState(models.Model):
    """Per tenant, what the similar-case index knows as a whole: how many cases it holds (the
    N of the inverse document frequency) and when it was last built from scratch."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="+")
    documents = models.PositiveIntegerField(default=0)
    built_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"similar index of tenant {self.tenant_id}: {self.documents} cases"


class SimilarTerm(models.Model):
    """How many of a tenant's indexed cases use a term (a hashed word root): its document
    frequency, kept up to date as cases are indexed, so rare terms weigh more."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    term = models.BigIntegerField()
    df = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "term"],
                                               name="assist_similar_term_unique")]

    def __str__(self) -> str:
        return f"term {self.term} in {self.df} cases"


class SimilarSignature(models.Model):
    """A case's signature: its most telling terms with their TF-IDF weights (a unit vector,
    `{term: weight}`), and a digest of the text it was made from (unchanged text is not
    indexed again)."""

    # No index of its own: signatures are read by case, and a tenant index is what the
    # planner wrongly picks for "tenant = X AND case IN (...)" when X holds most rows.
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+",
                               db_index=False)
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="+")
    vector = models.JSONField(default=dict)
    digest = models.CharField(max_length=32)
    indexed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"signature of case {self.case_id}"


class SimilarPosting(models.Model):
    """The inverted index: one row per case for each of its few most telling terms. A query
    reads, per term, the postings of highest weight first (the index below)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+",
                               db_index=False)
    term = models.BigIntegerField()
    # Not a database foreign key: eight rows a case, written in bulk; a case's deletion
    # takes them with it through the ORM, and the reader checks every case it returns.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+",
                             db_constraint=False)
    weight = models.FloatField()
    # The case's creation time: a query reads only earlier cases' postings, without the cases.
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index("tenant", "term", models.F("weight").desc(),
                                models.F("case").desc(), name="assist_similar_posting")]

    def __str__(self) -> str:
        return f"term {self.term} of case {self.case_id}"


class SimilarDirty(models.Model):
    """A case whose text changed (or that is new) since it was indexed: the worker's to-do
    list, claimed with SKIP LOCKED so two workers share it."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="+",
                                primary_key=True)
    marked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"case {self.case_id} to index"

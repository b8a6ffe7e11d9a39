"""What a demo article is, and the portal prefix its links use."""

from dataclasses import dataclass

PORTAL = "/portal/demo/kb"


@dataclass(frozen=True)
class ArticleSpec:
    """One article. `slug` is its natural key (the builder finds it by it, live or old);
    `author` is the local part of a staff email (`content.STAFF`). An article with an
    `update` is published twice: first without it, later with it appended, so its version
    history has two entries."""

    slug: str
    title: str
    category: tuple[str, str]  # (top-level category, subcategory)
    summary: str
    body: str
    tags: tuple[str, ...]
    topics: tuple[str, ...]  # the demo topic keys (demo.topics) the article answers
    author: str
    visibility: str = "public"  # a kb.models.Visibility value
    status: str = "published"  # a kb.models.ArticleStatus value
    update: str = ""

    @property
    def final_body(self) -> str:
        """The body as the latest version has it."""
        return self.body + self.update

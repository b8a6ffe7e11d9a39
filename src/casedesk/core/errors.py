"""Domain errors, each mapped to one HTTP status by the API and to a message by the console."""


class DomainError(Exception):
    """A refusal the caller can show as is: `detail` is written for the user."""

    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    status_code = 404


class PermissionDenied(DomainError):
    status_code = 403


class Conflict(DomainError):
    """The request is valid but the current state refuses it (a forbidden move, a race lost)."""

    status_code = 409


class Invalid(DomainError):
    """Input that does not validate; `field` names the offending field when there is one."""

    status_code = 422

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field

"""The survey link's token: the survey's id and nonce, signed with the installation's secret
(django.core.signing, its own salt). It holds no time: the survey row's `expires_at` decides
expiry, against the caller's `now`, so tests and the clock agree."""

from django.core import signing

_SALT = "casedesk.csat.survey"


def survey_token(survey_id: int, nonce: str) -> str:
    return signing.dumps([survey_id, nonce], salt=_SALT, compress=False)


def read_token(token: str) -> tuple[int, str] | None:
    """(survey id, nonce), or None for anything this installation did not sign."""
    try:
        value = signing.loads(token, salt=_SALT)
    except (signing.BadSignature, ValueError, UnicodeError):
        return None
    if (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int)
            and not isinstance(value[0], bool) and isinstance(value[1], str)):
        return value[0], value[1]
    return None

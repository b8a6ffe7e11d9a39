"""Reading the tenancy pages in tests."""

import re
from typing import Any


def has_error(response: Any, field: str) -> bool:
    """Whether the page shows an error on the form field `field` (the accept page marks its
    errors by test id; the settings pages draw fields with crm/partials/_field.html)."""
    html = response.content.decode()
    return (f'data-testid="error-{field}"' in html or re.search(
        rf'<div class="field has-error[^"]*">\s*<label for="id_{field}"', html) is not None)

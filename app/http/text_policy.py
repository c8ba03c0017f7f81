"""What text a request may carry, for every string field of every schema: no NUL character and no lone surrogate —
neither can be stored (PostgreSQL refuses NUL in text, and a lone surrogate is no UTF-8 at all).

Installed on marshmallow's String field before any schema is defined: the first imports of the `app` package.
"""
import re

from marshmallow import ValidationError, fields

ALLOWED_TEXT = r"^[^\x00\ud800-\udfff]*$"
_FORBIDDEN = re.compile(r"[\x00\ud800-\udfff]")
_deserialize = fields.String._deserialize


def _checked(self, value, attr, data, **kwargs):
    text = _deserialize(self, value, attr, data, **kwargs)
    if _FORBIDDEN.search(text):
        raise ValidationError("含有无法保存的字符（NUL 或无效的 Unicode）")
    return text


fields.String._deserialize = _checked  # type: ignore[method-assign]  # every String field, in one place


def text_pattern(_converter, field, **_) -> dict:
    """apispec: every string of the OpenAPI description says what it may hold (unless its own pattern says more)."""
    if isinstance(field, fields.String) and not any(hasattr(rule, "regex") for rule in field.validators):
        return {"pattern": ALLOWED_TEXT}
    return {}

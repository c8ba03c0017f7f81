"""The `<id:…>` URL part: digits naming an object. A number no id column can hold names nothing: it reaches the view
as 0, which no object has, so the answer is the view's own 404 (not a database overflow)."""
from werkzeug.routing import BaseConverter

from app.http.schemas import MAX_ID


class IdConverter(BaseConverter):
    regex = r"\d+"
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = int(value)
        return number if number <= MAX_ID else 0

    def to_url(self, value) -> str:
        return str(int(value))

    @staticmethod
    def parameter_schema(_converter) -> dict:
        """How the OpenAPI description shows the part."""
        return {"type": "integer", "minimum": 1, "maximum": MAX_ID}

"""The `<id:…>` URL part: digits naming an object. Only a number an id column can hold (1 … MAX_ID) names anything:
0 or a larger number is 404 on every route, whatever its method — never a database overflow, never the view's "no id"
case (`/admin/measures/0` is no new-measure form)."""
from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter

from app.http.schemas import MAX_ID


class IdConverter(BaseConverter):
    regex = r"\d+"
    part_isolating = True

    def to_python(self, value: str) -> int:
        # Raised rather than werkzeug's ValidationError, which would make another method's rule answer 405.
        number = int(value) if len(value) <= len(str(MAX_ID)) else 0  # int() refuses over 4300 digits
        if not 1 <= number <= MAX_ID:
            raise NotFound()
        return number

    def to_url(self, value) -> str:
        return str(int(value))

    @staticmethod
    def parameter_schema(_converter) -> dict:
        """How the OpenAPI description shows the part."""
        return {"type": "integer", "minimum": 1, "maximum": MAX_ID}

"""The 公示 page and its open-data CSV: the same filters (kind, category, part of an enterprise's name) for both."""
from flask import Response, render_template, request, stream_with_context
from marshmallow import EXCLUDE, fields, validate

from app.domain.dates import today
from app.domain.identity import ENTERPRISE, ENTERPRISE_NAME_LENGTH, SUBJECT_KINDS
from app.http.bodies import load
from app.http.schemas import PageQuerySchema
from app.services import publication


class ListQuerySchema(PageQuerySchema):
    """The page's query string; a parameter it does not know (a share link's tracking) is ignored."""

    class Meta:
        unknown = EXCLUDE

    kind = fields.String(load_default=ENTERPRISE, validate=validate.OneOf(SUBJECT_KINDS))
    category = fields.String(load_default=None, validate=validate.Length(max=40))
    q = fields.String(load_default="", validate=validate.Length(max=ENTERPRISE_NAME_LENGTH))


def _query() -> tuple[publication.Filters, int]:
    """The filters asked for (blank ones left out; the name only searches enterprises) and the page number."""
    query = load(ListQuerySchema(), {key: value.strip() for key, value in request.args.items() if value.strip()})
    name = query["q"] if query["kind"] == ENTERPRISE else ""
    return publication.Filters(query["kind"], query["category"], name), query["page"]


def public_list():
    """守信激励对象公示: the kind's categories with their counts, and a page of its published subjects."""
    filters, number = _query()
    day = today()
    return render_template("publication/list.html", filters=filters, number=number,
                           counts=publication.category_counts(filters.kind, day),
                           page=publication.listing(filters, day, number))


def list_csv():
    """The same list as open data: every page of it in one CSV file."""
    filters, _ = _query()
    day = today()
    return Response(stream_with_context(publication.csv_text(filters, day)), mimetype="text/csv",
                    headers={"Content-Disposition":
                             f"attachment; filename=xinyi-public-list-{filters.kind}-{day:%Y%m%d}.csv"})

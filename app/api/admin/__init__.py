"""The administration API (API.md, "Administrators"), one blueprint per area under /api/v1/admin."""
from app.api.admin import accounts, auth, catalogue, lists, reports, review

BLUEPRINTS = (auth.blp, review.blp, lists.blp, catalogue.blp, accounts.blp, reports.blp)

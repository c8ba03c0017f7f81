"""The administration API (API.md, "Administrators"), one blueprint per area under /api/v1/admin."""
from app.api.admin import auth, review

BLUEPRINTS = (auth.blp, review.blp)

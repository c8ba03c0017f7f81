"""Public endpoints: health check, measure catalogue and list categories (no login)."""
from flask_smorest import Blueprint

from app.api.public.schemas import (
    CategoryListSchema,
    HealthSchema,
    MeasureListSchema,
    MeasureQuerySchema,
    MeasureSchema,
)
from app.domain.dates import today
from app.services import measures, subjects

blp = Blueprint("public", __name__, url_prefix="/api/v1", description="公开目录：激励措施清单与名单类别")
health = Blueprint("health", __name__, description="服务健康检查")
BLUEPRINTS = (health, blp)


@health.route("/healthz")
@health.response(200, HealthSchema)
def healthz():
    """Liveness: answers without touching the database (the benchmarks' baseline)."""
    return {"status": "ok"}


@blp.route("/measures")
@blp.arguments(MeasureQuerySchema, location="query", as_kwargs=True)
@blp.response(200, MeasureListSchema)
def list_measures(scenario=None, kind=None):
    """激励措施清单: published measures valid today, filtered by scenario and subject kind."""
    return {"items": measures.catalogue(today(), scenario=scenario, kind=kind)}


@blp.route("/measures/<id:measure_id>")
@blp.response(200, MeasureSchema)
def get_measure(measure_id):
    """One measure, including a withdrawn one (shown with its status)."""
    return measures.public_measure(measure_id)


@blp.route("/categories")
@blp.response(200, CategoryListSchema)
def list_categories():
    """名单类别 with their subject kind and reporting department."""
    return {"items": subjects.categories()}

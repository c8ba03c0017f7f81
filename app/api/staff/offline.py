"""The counters' offline endpoints: the bundle a counter decides with when the network is gone, and the upload of
what it decided then (docs/offline-codes.md)."""
from flask import g
from flask_smorest import Blueprint

from app import metrics
from app.api.staff.offline_schemas import BundleQuerySchema, BundleSchema, OfflineResultSchema, OfflineUploadSchema
from app.domain.dates import utcnow
from app.http.auth import login_required, no_store
from app.services import bundle, offline

blp = Blueprint("scan_offline", __name__, url_prefix="/api/v1",
                description="柜台离线核验：离线数据包（密钥、本单位措施、拒绝名单）与离线记录上传")
blp.after_request(no_store)
staff_only = login_required("staff")


@blp.route("/scan/bundle")
@staff_only
@blp.arguments(BundleQuerySchema, location="query", as_kwargs=True)
@blp.response(200, BundleSchema)
def scan_bundle(since):
    """Everything this counter needs to decide offline; with `since`, the deny-list's changes since that version."""
    return bundle.bundle(g.session.account_id, utcnow(), since)


@blp.route("/scan/offline", methods=["POST"])
@staff_only
@blp.arguments(OfflineUploadSchema)
@blp.response(200, OfflineResultSchema)
def scan_offline(body):
    """Decisions made offline, each recorded once in the scan log (marked offline) with its outcome."""
    items = [offline.OfflineItem(**item) for item in body["items"]]
    outcomes = offline.reconcile(g.session.account_id, items, utcnow())
    metrics.offline_uploaded(outcomes)
    return {"items": [{"idempotency_key": key, "outcome": outcome} for key, outcome in outcomes]}

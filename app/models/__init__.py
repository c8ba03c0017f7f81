"""Typed SQLAlchemy models, one module per area; every model is importable from here."""
from app.models.accounts import AccessToken, Account
from app.models.audit import AuditEvent
from app.models.cases import CaseEvent, Complaint, Evidence, Message, Objection
from app.models.catalogue import Measure, MeasureChange, Venue
from app.models.codes import CodeBatch
from app.models.lists import Department, DishonestyRecord, ImportBatch, ListCategory, ListEntry, Subject
from app.models.rollups import DailyAttempts, DailyRedemptions, DailyVenueCitizens, RolledDay  # noqa: F401
from app.models.scanning import Redemption, ScanAttempt
from app.models.wechat import WechatBinding

__all__ = ["AccessToken", "Account", "AuditEvent", "CaseEvent", "CodeBatch", "Complaint", "DishonestyRecord",
           "Department", "Evidence", "ImportBatch", "ListCategory", "ListEntry", "Measure", "MeasureChange", "Message",
           "Objection", "Redemption", "ScanAttempt", "Subject", "Venue", "WechatBinding"]

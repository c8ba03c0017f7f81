"""Partner units (实施单位): the venues where measures are honoured and counter staff work."""
import sqlalchemy as sa

from app.domain.measures import parse_scenario
from app.errors import Conflict, NotFound
from app.extensions import db
from app.models import Venue
from app.services import audit


def get_venue(venue_id: int | None) -> Venue:
    venue = db.session.get(Venue, venue_id) if venue_id else None
    if venue is None:
        raise NotFound("venue_not_found", "实施单位不存在")
    return venue


def venues() -> list[Venue]:
    return list(db.session.scalars(sa.select(Venue).order_by(Venue.code)))


def save_venue(actor: str, code: str, name: str, scenario: str, address: str = "",
               venue_id: int | None = None) -> Venue:
    """Create a venue (实施单位) or edit one."""
    venue = db.session.get(Venue, venue_id) if venue_id else Venue()
    if venue is None:
        raise NotFound("venue_not_found", "实施单位不存在")
    clash = db.session.scalar(sa.select(Venue.id).where(Venue.code == code, Venue.id != (venue_id or 0)))
    if clash:
        raise Conflict("code_taken", "编码已被使用")
    venue.code, venue.name, venue.scenario, venue.address = code, name, parse_scenario(scenario), address
    db.session.add(venue)
    db.session.flush()
    audit.record(actor, "venue.update" if venue_id else "venue.create", "venue", venue.id, code=code, name=name)
    db.session.commit()
    return venue

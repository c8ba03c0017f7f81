"""Sessions through the service: audiences never stand in for one another; disabling an account ends it at once."""
import datetime as dt

import pytest
import sqlalchemy as sa

from app.db.prepared import Prepared
from app.domain.dates import utcnow
from app.extensions import db
from app.models import AccessToken
from app.services import accounts, sessions
from app.services.sessions import Unauthenticated
from tests.helpers import identity, login


@pytest.fixture
def venue_id(catalogue):
    return catalogue["BUS"].id


def _refused(token, audience):
    with pytest.raises(Unauthenticated) as refused:
        sessions.authenticate(token, audience, utcnow())
    return refused.value.code


def test_tokens_are_bound_to_their_audience(client, venue_id):
    accounts.create_account("counter1", "counter-pass", "staff", "test", venue_id=venue_id)
    accounts.create_account("boss", "admin-pass-1", "admin", "test")
    _, staff_token, _ = sessions.login_account("counter1", "counter-pass", "staff", utcnow())
    _, admin_token, _ = sessions.login_account("boss", "admin-pass-1", "admin", utcnow())
    citizen_token = login(client, identity(1))["Authorization"].split()[1]

    assert sessions.authenticate(staff_token, "staff", utcnow()).account_id is not None
    assert sessions.authenticate(citizen_token, "citizen", utcnow()).subject_id is not None
    for token, wrong in ((staff_token, "citizen"), (staff_token, "admin"), (admin_token, "staff"),
                         (admin_token, "citizen"), (citizen_token, "staff"), (citizen_token, "admin")):
        assert _refused(token, wrong) == "invalid_token"
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {staff_token}"}).status_code == 401


def test_a_staff_member_cannot_log_in_as_admin(venue_id):
    accounts.create_account("counter2", "counter-pass", "staff", "test", venue_id=venue_id)
    with pytest.raises(Unauthenticated) as refused:
        sessions.login_account("counter2", "counter-pass", "admin", utcnow())
    assert refused.value.code == "invalid_credentials"


def test_wrong_password_and_unknown_user_look_the_same(venue_id):
    accounts.create_account("counter3", "counter-pass", "staff", "test", venue_id=venue_id)
    codes = set()
    for username, password in (("counter3", "wrong-pass"), ("nobody", "counter-pass")):
        with pytest.raises(Unauthenticated) as refused:
            sessions.login_account(username, password, "staff", utcnow())
        codes.add((refused.value.code, refused.value.message))
    assert len(codes) == 1


def test_disabling_an_account_ends_its_sessions_for_good(venue_id):
    account = accounts.create_account("counter4", "counter-pass", "staff", "test", venue_id=venue_id)
    _, token, _ = sessions.login_account("counter4", "counter-pass", "staff", utcnow())
    accounts.set_active(account.id, False, "admin:1", utcnow())
    assert _refused(token, "staff") == "account_disabled"
    with pytest.raises(Unauthenticated):
        sessions.login_account("counter4", "counter-pass", "staff", utcnow())
    accounts.set_active(account.id, True, "admin:1", utcnow())
    assert _refused(token, "staff") == "account_disabled"
    _, fresh, _ = sessions.login_account("counter4", "counter-pass", "staff", utcnow())
    assert sessions.authenticate(fresh, "staff", utcnow()).account_id == account.id


def test_last_use_is_written_at_most_once_a_minute(client):
    """Reading with a token should not turn every request into a write."""
    token = login(client, identity(2))["Authorization"].split()[1]
    start = utcnow()
    session = sessions.authenticate(token, "citizen", start + dt.timedelta(seconds=30))
    assert session.subject_id
    stored = db.session.get(AccessToken, session.token_id)
    db.session.refresh(stored)
    first = stored.last_used_at
    sessions.authenticate(token, "citizen", start + dt.timedelta(seconds=90))
    db.session.refresh(stored)
    assert stored.last_used_at != first


def test_authenticating_is_one_prepared_read_and_a_write_at_most_once_a_minute(client, monkeypatch):
    """Every API request authenticates: one lookup below the ORM (how a token ended and whether its account is
    active both in it), the touch only when a minute has passed, and nothing through the ORM session."""
    token = login(client, identity(3))["Authorization"].split()[1]
    start, ran, orm = utcnow(), [], []
    run = Prepared.run
    monkeypatch.setattr(Prepared, "run", lambda self, connection, **values: ran.append(self) or run(
        self, connection, **values))
    listener = lambda *_: orm.append(1)  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        sessions.authenticate(token, "citizen", start + dt.timedelta(seconds=30))
        assert len(ran) == 1
        sessions.authenticate(token, "citizen", start + dt.timedelta(seconds=90))
        assert len(ran) == 3
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert orm == []

"""Who may act: account roles, the token audience each signs in to, and how an actor is written in the records.

A partner unit's manager (实施单位管理员) signs in to the console like the credit office, but sees only their unit."""
ROLES = ("admin", "reviewer", "reporter", "manager", "staff")
ROLE_NAMES = {"admin": "管理员", "reviewer": "审核员", "reporter": "报送单位", "manager": "实施单位管理员",
              "staff": "柜台人员"}
AUDIENCES = ("citizen", "staff", "admin")
# Staff and console accounts share the accounts table but never each other's audience.
ROLE_AUDIENCE = {"staff": "staff", "admin": "admin", "reviewer": "admin", "reporter": "admin", "manager": "admin"}
REVIEWERS = ("admin", "reviewer")
CONSOLE_ROLES = ("admin", "reviewer", "reporter", "manager")
# Roles that belong to one partner unit (实施单位): counter staff and the unit's own managers.
VENUE_ROLES = ("staff", "manager")


def actor(audience: str, principal_id: int) -> str:
    """How a signed-in principal is named in the audit log and case histories: `admin:8`, `staff:3`, `citizen:5`."""
    return f"{audience}:{principal_id}"


def admin_actor(account_id: int) -> str:
    return actor("admin", account_id)


def citizen_actor(subject_id: int) -> str:
    return actor("citizen", subject_id)


def actor_kind(actor: str) -> str:
    """The part of an actor a citizen may see: `citizen`, `admin`, `staff`, or a system name such as `cli`."""
    return actor.split(":")[0]

"""Scan history and refusals at the counters: a manager's own unit, or any unit for the credit office; attempts
decided offline are marked, a duplicate of an offline redemption names the counter whose redemption stands, and that
redemption names the duplicates."""
from flask import g, render_template, request

from app.services import offline, scan_log, venues
from app.web.console.access import requires, unit_of


@requires("admin", "manager")
def scan_log_page():
    unit = unit_of(g.account)
    venue_id = unit if unit is not None else request.args.get("venue", type=int)
    refusals_only = request.args.get("only") == "refused"
    page = scan_log.attempts(venue_id, after=request.args.get("after") or None, refusals_only=refusals_only)
    return render_template("console/scans.html", page=page, unit=unit, venue_id=venue_id,
                           refusals_only=refusals_only, venues=[] if unit else venues.venues(),
                           held=offline.redemptions_held(page.items), repeats=offline.repeats_of(page.items))

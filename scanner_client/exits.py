"""Exit statuses of the command line, for gates and scripts that act on them."""

OK = 0
REFUSED = 1
LOGIN_OR_USAGE = 2
UNREACHABLE = 3
NO_CODE = 4

EXIT_STATUSES = {
    OK: "every code read was granted (with --confirm: redeemed, and the server acknowledged it, or redeemed offline "
        "and kept in the outbox for upload)",
    REFUSED: "at least one code was refused (verify said no, or the server refused the confirmation)",
    LOGIN_OR_USAGE: "bad command line, or the server refused the login (wrong user name or password)",
    UNREACHABLE: "no decision: the server could not be reached (at login, for a verify) and no offline bundle younger "
                 "than a day could decide, or a confirmation is still queued in the outbox after --drain-seconds "
                 "(it is sent on the next start; nothing is lost)",
    NO_CODE: "no QR code was read in any frame (decode: in some file)",
}


def headless_status(refused: bool, unanswered: bool, queued: int, codes_read: int) -> int:
    """One status for a headless run: an unknown outcome first, then a refusal, then nothing read."""
    if unanswered or queued:
        return UNREACHABLE
    if refused:
        return REFUSED
    if not codes_read:
        return NO_CODE
    return OK

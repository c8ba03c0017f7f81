"""Who is signed in to the web scanner: counter staff, in a server-side session like the console's."""
from app.web.auth import signed_in

SESSION_KEY = "scan_token"
requires = signed_in(SESSION_KEY, "staff", "scanner.login")

"""Counter-staff scanner client: reads identity QR codes from a webcam and talks to the server over HTTP."""

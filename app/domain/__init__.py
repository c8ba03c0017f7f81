"""Pure domain rules: plain values in, plain values out; no database session, no request, no clock of their own."""

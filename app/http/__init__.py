"""HTTP helpers every API and page shares: bearer-token auth, request bodies through schemas, the error handler."""

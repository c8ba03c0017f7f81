"""By-hand benchmarks, run from the project root (see bench/README.md); not part of the test suite."""

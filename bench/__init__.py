"""Docent benchmarks (`make bench`). Not part of the test run; results in bench/results/."""

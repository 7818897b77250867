"""Benchmarks: `make bench`. Each figure is printed beside a ceiling measured in the same
run on the same machine, so the ratio means something where the absolute number does not."""

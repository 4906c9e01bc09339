"""Pure transformations of samples: counters to rates, rollup math."""

"""Red teaming: a versioned attack corpus sent through the gateway as a workload, graded, stored and compared."""

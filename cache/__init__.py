"""The Redis layer: connection, key schema, atomic writes, the due-queue, leases and budgets."""

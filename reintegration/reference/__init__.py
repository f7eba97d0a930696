"""Lists kept as data: places, the reference lists of intake, support types and entitlements."""

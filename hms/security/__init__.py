"""Security primitives: password hashing and policy, opaque tokens."""

"""Process plumbing for running HMS on one machine: an embedded Redis and a small child-process supervisor."""

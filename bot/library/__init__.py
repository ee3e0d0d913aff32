"""A server's own library: /library import, show and remove, and `/recommend from:library`."""

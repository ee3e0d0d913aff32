"""/privacy and /forget-me, and the registry every feature declares its member data in."""

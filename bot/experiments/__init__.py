"""/experiment: A/B between the serving model and another version on a share of the members."""

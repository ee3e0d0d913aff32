"""/recommend: title resolution, autocomplete, did-you-mean, the list (without repeats) and its card."""

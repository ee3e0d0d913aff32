"""What `recommender` and `feedback` both need and neither may take from the other: the statistics
module (`common.stats`) and the runtime-state directory setting (`common.settings`). It imports no
other project package.
"""

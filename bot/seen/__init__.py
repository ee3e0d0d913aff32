""""Seen it": /seen, the 👀 reaction and the Seen it button; a member's lists skip what they marked."""

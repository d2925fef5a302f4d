"""The CIN census: XML reader and writer, the tables the rules see, and the rule set."""

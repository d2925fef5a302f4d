"""The SSDA903 looked-after children return: readers, writer, the tables the rules see, the rule set."""

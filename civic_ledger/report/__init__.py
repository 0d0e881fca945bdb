"""Reports for auditors: the suite's events read, decoded and exported."""

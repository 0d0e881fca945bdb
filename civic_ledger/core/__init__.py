"""What every layer shares: exceptions, encodings and ids, names, documents, revert decoding."""

"""Audio: loudness and mastering, encoding and joining, ID3 tags and chapters."""

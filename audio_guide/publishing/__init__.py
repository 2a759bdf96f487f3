"""Publishing: the files of an edition (feed, transcripts, page, handout,
cover, checksums), written from plain data."""

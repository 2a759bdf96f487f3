"""Reading: the guides (front matter and Markdown), the site's settings, the
pronunciation lexicon and the episodes' identities, into plain data (model.py)."""

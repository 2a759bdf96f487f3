"""Speaking: what is said (script), the engines behind one contract, voice
resolution, and the workers that speak, master and encode each section into
the cache."""

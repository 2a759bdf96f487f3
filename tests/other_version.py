"""Loaded into a Dask worker before it takes any work (``dask worker --preload
tests.other_version``, in tests/test_cluster.py): from then on that worker runs,
as far as anything in it can tell, another release of audio-guide, as a
machine left behind at an upgrade would."""

import audio_guide

audio_guide.__version__ = "0.0.0+another"

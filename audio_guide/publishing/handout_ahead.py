"""The handout's layout found ahead, in a process of its own (see
edition.lay_out_handout): ``python -m audio_guide.publishing.handout_ahead
PARENT_PID`` reads a pickled edition on stdin and writes its layout as JSON.

It is tied to its parent before the PDF library loads (half a second), so a
build killed mid-way leaves nothing running."""

import json
import pickle
import sys

from ..system_calls import die_with_parent

if __name__ == "__main__":
    die_with_parent(int(sys.argv[1]))
    from .handout import find_layout

    print(json.dumps(find_layout(pickle.load(sys.stdin.buffer))))

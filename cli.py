"""Run the audio-guide command line without installing it: python cli.py --help"""

from audio_guide.cli import run

if __name__ == "__main__":
    run()

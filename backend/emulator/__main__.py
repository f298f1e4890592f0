"""Run the emulator standalone: `python -m backend.emulator --port 8765 --data-dir .deme`."""

from backend.emulator.server import main

main()

"""HMS composition root: `python main.py` starts everything; `python main.py --help` lists the parts."""

import os
import sys

from hms.cli import main, simulate_web

if os.environ.get('NICEGUI_USER_SIMULATION'):
    simulate_web()
elif __name__ in {'__main__', '__mp_main__'}:
    sys.exit(main(sys.argv[1:]))

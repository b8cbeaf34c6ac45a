"""Memory of each process of a running HMS (web, worker with its pool, beat, Redis), read from its data folder's pid
files: RSS, and PSS (pages shared by the worker's forked pool processes counted once).

    .venv/bin/python -m bench.idle_memory /path/to/data     # of a `python main.py` started on that folder
"""

from __future__ import annotations

import argparse
from pathlib import Path

import psutil

from .memory import tree_pss, tree_rss

COMPONENTS = ('web', 'worker', 'beat', 'redis')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('data_dir', type=Path)
    run = parser.parse_args().data_dir / 'run'
    print('| process | processes | RSS MB | PSS MB |\n|---|--:|--:|--:|')
    for name in COMPONENTS:
        pid_file = run / f'{name}.pid'
        if not pid_file.exists():
            print(f'| {name} | not running | | |')
            continue
        process = psutil.Process(int(pid_file.read_text()))
        count = 1 + len(process.children(recursive=True))
        print(f'| {name} | {count} | {tree_rss(process) / 2**20:.0f} | {tree_pss(process) / 2**20:.0f} |')


if __name__ == '__main__':
    main()

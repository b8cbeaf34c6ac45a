"""``python -m hms``: the command line of ``hms`` and ``python main.py``; the supervisor starts its children so."""

from hms.cli import entry

if __name__ == '__main__':
    entry()

"""HMS: hospital and clinic management system."""

from importlib.metadata import PackageNotFoundError, version

try:
    # The one version number: pyproject.toml's, as installed. The API's info.version and the page footer read it here.
    __version__ = version('hms')
except PackageNotFoundError:  # a source tree used without installing it
    __version__ = '0+unknown'

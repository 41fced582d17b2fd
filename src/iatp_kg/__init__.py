"""iatp-kg: the linked-open-data backbone of the IATP platform."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("iatp-kg")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["__version__"]

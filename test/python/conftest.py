# The helpers are scripts, not a package: tests import them from helpers/ by module name.
import pathlib
import sys

HELPERS = pathlib.Path(__file__).resolve().parents[2] / 'helpers'
sys.path.insert(0, str(HELPERS))

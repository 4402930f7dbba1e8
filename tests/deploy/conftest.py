"""Makes deploy_checks importable whatever pytest's import mode (prepend or importlib)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

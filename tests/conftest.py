import sys
from pathlib import Path

# tests/ helpers (corpus_tools) importable without making tests/ a package
sys.path.insert(0, str(Path(__file__).parent))

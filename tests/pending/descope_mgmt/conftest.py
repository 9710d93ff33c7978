"""Pending Descope management compatibility suite: the routes of the next slice.

These modules use the helpers of the live Descope suite (tests/compat/descope/conftest.py, importable as
`descope_compat`) so that each one can move into tests/compat/descope unchanged once its routes land.
This conftest only makes that module importable from here and re-exports its fixtures.
"""
import importlib.util
import sys
from pathlib import Path

_COMPAT_CONFTEST = Path(__file__).resolve().parents[2] / "compat" / "descope" / "conftest.py"

if "descope_compat" not in sys.modules:
    # Registered under the same name the live conftest gives itself (it then re-registers itself as
    # `descope_compat`), so a later import by either name finds this one module.
    _spec = importlib.util.spec_from_file_location("descope_compat", _COMPAT_CONFTEST)
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["descope_compat"] = _module
    _spec.loader.exec_module(_module)

from descope_compat import _no_descope_env, sdk  # noqa: E402,F401  (fixtures, re-exported for pytest)

"""Rules the user documentation states, restated here for the tests (not read from the code).

Imported by name (``from documented import ...``), like ``tests/sample_copy.py``.
"""

from __future__ import annotations

#: Disposal actions that vacate the land, selected by ``clear="recommended"``
#: (docs/scenarios.md §2, the ``recommended`` row).
CLEARING_ACTIONS = frozenset({"无偿收回", "政府收储", "整体腾退", "搬迁入园", "兼并重组", "债转股"})

"""The budgets door, the one module of `rungway.budgets` other capabilities import.

The minimum another capability needs to reason about budgets without reaching into this one: the definitions
(`list_budgets`, `Budget` with its `BudgetScope`, `Period` and amount), where a budget's current period starts
and ends (`period_bounds`), what it has spent so far in a period according to the request log
(`spend_in_log`, at most `MAX_SPEND_NANO`), and which budgets a workload's own key may see
(`visible_budgets`). The spend forecasts use it to say when each budget runs out.
"""

from __future__ import annotations

from rungway.budgets.model import MAX_SPEND_NANO, Budget, BudgetScope, Period, period_bounds
from rungway.budgets.service import visible_budgets
from rungway.budgets.store import list_budgets, spend_in_log

__all__ = [
    "MAX_SPEND_NANO",
    "Budget",
    "BudgetScope",
    "Period",
    "list_budgets",
    "period_bounds",
    "spend_in_log",
    "visible_budgets",
]

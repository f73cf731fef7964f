"""Mesa agents: the identity and interface of employees and customers.

Their state lives in numpy arrays owned by the model, indexed by ``index``, so
every mechanism is vectorised; the properties here read those arrays. The model
registers them in bulk (``model.mesa_adapter.enrol`` and ``retire``).
"""

from __future__ import annotations

from model.customers import ACTIVE, CHURNED, PROSPECT
from model.departments import DEPARTMENTS, LEVELS
from model.mesa_adapter import IndexedAgent

_STATUS = {PROSPECT: "prospect", ACTIVE: "active", CHURNED: "churned"}


class Employee(IndexedAgent):
    """One employee in one position of the org chart."""

    @property
    def department(self) -> str:
        return DEPARTMENTS[self.model.org.dept[self.index]]

    @property
    def level(self) -> str:
        return LEVELS[self.model.org.level[self.index]]

    @property
    def manager(self) -> Employee | None:
        parent = self.model.org.parent[self.index]
        return None if parent < 0 else self.model.employee_at[parent]

    @property
    def centricity(self) -> float:
        return float(self.model.staff.centricity[self.index])

    @property
    def wellbeing(self) -> float:
        return float(self.model.staff.wellbeing[self.index])

    @property
    def skill(self) -> float:
        return float(self.model.staff.skill[self.index])

    @property
    def tenure(self) -> int:
        return int(self.model.staff.tenure[self.index])


class Customer(IndexedAgent):
    """One person in the market: prospect, active customer or former customer."""

    @property
    def status(self) -> str:
        return _STATUS[int(self.model.market.status[self.index])]

    @property
    def satisfaction(self) -> float:
        return float(self.model.market.satisfaction[self.index])

    @property
    def expectation(self) -> float:
        return float(self.model.expectations(self.index))

    @property
    def score(self) -> int:
        return int(self.model.market.score[self.index])

    @property
    def tenure(self) -> int:
        return int(self.model.market.tenure[self.index])

    @property
    def spend(self) -> float:
        return float(self.model.market.spend[self.index])

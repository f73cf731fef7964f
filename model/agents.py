"""Mesa agents: the identity and interface of employees and customers.

Their state lives in numpy arrays owned by the model, indexed by ``index``, so
every mechanism is vectorised; the properties here read those arrays.
"""

from __future__ import annotations

import mesa

from model.customers import ACTIVE, CHURNED, PROSPECT
from model.departments import DEPARTMENTS, LEVELS

_STATUS = {PROSPECT: "prospect", ACTIVE: "active", CHURNED: "churned"}


class Employee(mesa.Agent):
    """One employee in one position of the org chart."""

    def __init__(self, model, index: int) -> None:
        super().__init__(model)
        self.index = index

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


class Customer(mesa.Agent):
    """One person in the market: prospect, active customer or former customer."""

    def __init__(self, model, index: int) -> None:
        super().__init__(model)
        self.index = index

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

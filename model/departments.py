"""Departments and the customer touchpoints each of them serves, as data."""

DEPARTMENTS: tuple[str, ...] = (
    "executive",
    "product",
    "operations",
    "logistics",
    "marketing",
    "sales",
    "service",
    "finance",
    "hr",
)
DEPT_INDEX: dict[str, int] = {d: i for i, d in enumerate(DEPARTMENTS)}

# Departments whose staff meet customers: the metrics they are measured on and
# deliberate bad practice reach their behaviour directly [seed004].
FRONTLINE: tuple[str, ...] = ("sales", "service", "logistics", "operations")

# Which departments serve each touchpoint, with the share of contacts each
# serves [seed002] [seed003]. Logistics is a partner the firm only partly
# controls: its on-time rate is scaled by ``partner_reliability``.
TOUCHPOINTS: dict[str, dict[str, float]] = {
    "presale": {"sales": 0.6, "marketing": 0.4},
    "product": {"product": 0.6, "operations": 0.4},
    "delivery": {"operations": 0.5, "logistics": 0.5},
    "right_product": {"sales": 0.5, "operations": 0.5},
    "recovery": {"service": 1.0},
}

LEVELS: tuple[str, ...] = ("executive", "manager", "staff")

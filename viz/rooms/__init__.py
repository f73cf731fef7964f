"""Workshop rooms in the dashboard: the lobby, the facilitator's console, a team's page and
an observer's view, served under ``/workshop`` beside the explorer (``viz.app``).

The pages are thin views over the domain layer (``workshop``): every rule (who may do
what, when, how often) is enforced there; a refusal is shown as its one plain sentence
beside the control it came from.
"""
